#include "EventLoopThread.h"

#include "EventLoop.h"

#include <assert.h>
#include <stddef.h>

static void EventLoopThread_threadFunc(void *arg) {
  EventLoopThread *self = arg;
  EventLoop loop;
  EventLoop_init(&loop);

  MutexLock_lock(&self->mutex);
  self->loop = &loop;
  Condition_notify(&self->cond);
  MutexLock_unlock(&self->mutex);

  EventLoop_loop(&loop);

  // The loop is about to disappear with this stack frame: unpublish it first, under the lock,
  // so destroy() never calls quit() on a dead loop.
  MutexLock_lock(&self->mutex);
  self->loop = NULL;
  MutexLock_unlock(&self->mutex);
  EventLoop_destroy(&loop);
}

void EventLoopThread_init(EventLoopThread *self) {
  Thread_init(&self->thread, EventLoopThread_threadFunc, self, "EventLoopThread");
  self->started = false;
  MutexLock_init(&self->mutex);
  Condition_init(&self->cond, &self->mutex);
  self->loop = NULL;
}

void EventLoopThread_destroy(EventLoopThread *self) {
  if (self->started) {
    MutexLock_lock(&self->mutex);
    // quit() is honoured even before the thread enters loop(), so this never hangs.
    if (self->loop != NULL)
      EventLoop_quit(self->loop);
    MutexLock_unlock(&self->mutex);
    Thread_join(&self->thread);
  }
  Thread_destroy(&self->thread);
  Condition_destroy(&self->cond);
  MutexLock_destroy(&self->mutex);
}

EventLoop *EventLoopThread_startLoop(EventLoopThread *self) {
  assert(!self->started);
  self->started = true;
  Thread_start(&self->thread);

  MutexLock_lock(&self->mutex);
  while (self->loop == NULL)
    Condition_wait(&self->cond);
  EventLoop *loop = self->loop;
  MutexLock_unlock(&self->mutex);
  return loop;
}
