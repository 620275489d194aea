#include "EventLoopThreadPool.h"

#include "EventLoop.h"
#include "Logging.h"

#include <assert.h>
#include <stdlib.h>

EventLoopThreadPool *EventLoopThreadPool_new(EventLoop *baseLoop) {
  EventLoopThreadPool *self = calloc(1, sizeof *self);
  if (self == NULL)
    LOG_FATAL("out of memory creating an EventLoopThreadPool");
  self->baseLoop = baseLoop;
  return self;
}

void EventLoopThreadPool_free(EventLoopThreadPool *self) {
  if (self == NULL)
    return;
  for (int i = 0; i < self->numThreads && self->started; ++i)
    EventLoopThread_destroy(&self->threads[i]);
  free(self->threads);
  free(self->loops);
  free(self);
}

void EventLoopThreadPool_setThreadNum(EventLoopThreadPool *self, int numThreads) {
  assert(!self->started);
  assert(numThreads >= 0);
  self->numThreads = numThreads;
}

void EventLoopThreadPool_start(EventLoopThreadPool *self) {
  assert(!self->started);
  EventLoop_assertInLoopThread(self->baseLoop);
  self->started = true;
  if (self->numThreads == 0)
    return;
  self->threads = calloc((size_t)self->numThreads, sizeof *self->threads);
  self->loops = calloc((size_t)self->numThreads, sizeof *self->loops);
  if (self->threads == NULL || self->loops == NULL)
    LOG_FATAL("out of memory starting %d IO threads", self->numThreads);
  for (int i = 0; i < self->numThreads; ++i) {
    EventLoopThread_init(&self->threads[i]);
    self->loops[i] = EventLoopThread_startLoop(&self->threads[i]);
  }
}

EventLoop *EventLoopThreadPool_getNextLoop(EventLoopThreadPool *self) {
  EventLoop_assertInLoopThread(self->baseLoop);
  if (self->numThreads == 0)
    return self->baseLoop;
  EventLoop *loop = self->loops[self->next];
  self->next = (self->next + 1) % self->numThreads;
  return loop;
}
