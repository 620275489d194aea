#include "EventLoop.h"

#include "CurrentThread.h"
#include "Logging.h"

#include <assert.h>
#include <poll.h>
#include <stddef.h>

// The loop owned by this thread: how "one loop per thread" is enforced.
static __thread EventLoop *t_loopInThisThread = NULL;

void EventLoop_abortNotInLoopThread(const EventLoop *self) {
  LOG_FATAL("EventLoop %p was created in thread %d, current thread is %d", (const void *)self,
            self->threadId, CurrentThread_tid());
}

void EventLoop_init(EventLoop *self) {
  self->threadId = CurrentThread_tid();
  self->looping = false;
  LOG_TRACE("EventLoop created %p in thread %d", (void *)self, self->threadId);
  if (t_loopInThisThread != NULL)
    LOG_FATAL("Another EventLoop %p exists in this thread %d", (void *)t_loopInThisThread,
              self->threadId);
  t_loopInThisThread = self;
}

void EventLoop_destroy(EventLoop *self) {
  assert(!self->looping);
  if (t_loopInThisThread == self)
    t_loopInThisThread = NULL;
}

void EventLoop_loop(EventLoop *self) {
  assert(!self->looping);
  EventLoop_assertInLoopThread(self);
  self->looping = true;

  // Nothing to watch: poll with no fds is just a 5 second sleep.
  poll(NULL, 0, 5 * 1000);

  LOG_TRACE("EventLoop %p stop looping", (void *)self);
  self->looping = false;
}

EventLoop *EventLoop_getEventLoopOfCurrentThread(void) { return t_loopInThisThread; }
