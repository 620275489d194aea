#include "EventLoop.h"

#include "Channel.h"
#include "CurrentThread.h"
#include "Logging.h"
#include "TimerQueue.h"

#include <assert.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

// The loop owned by this thread: how "one loop per thread" is enforced.
static __thread EventLoop *t_loopInThisThread = NULL;

static const int kPollTimeMs = 10 * 1000;

void EventLoop_abortNotInLoopThread(const EventLoop *self) {
  LOG_FATAL("EventLoop %p was created in thread %d, current thread is %d", (const void *)self,
            self->threadId, CurrentThread_tid());
}

static int create_eventfd(void) {
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0)
    LOG_SYSFATAL("Failed in eventfd");
  return fd;
}

// The wakeup eventfd became readable: read its 8-byte counter back to zero, or the
// level-triggered poll would keep returning at once. Wakeups coalesce: one read clears many.
static void EventLoop_handleRead(void *arg, Timestamp receiveTime) {
  EventLoop *self = arg;
  (void)receiveTime;
  uint64_t one;
  ssize_t n = read(self->wakeupFd, &one, sizeof one);
  if (n != sizeof one)
    LOG_ERROR("EventLoop EventLoop_handleRead() reads %zd bytes instead of 8", n);
}

void EventLoop_init(EventLoop *self) {
  self->threadId = CurrentThread_tid();
  self->looping = false;
  self->callingPendingFunctors = false;
  atomic_init(&self->quit, false);
  atomic_init(&self->hasPendingFunctors, false);
  MutexLock_init(&self->mutex);
  self->pendingFunctors = NULL;
  self->numPendingFunctors = 0;
  self->pendingCapacity = 0;
  LOG_TRACE("EventLoop created %p in thread %d", (void *)self, self->threadId);
  if (t_loopInThisThread != NULL)
    LOG_FATAL("Another EventLoop %p exists in this thread %d", (void *)t_loopInThisThread,
              self->threadId);
  t_loopInThisThread = self;
  self->poller = Poller_new(self);
  self->timerQueue = TimerQueue_new(self);
  ChannelList_init(&self->activeChannels);
  self->wakeupFd = create_eventfd();
  Channel_init(&self->wakeupChannel, self, self->wakeupFd);
  Channel_setReadCallback(&self->wakeupChannel, EventLoop_handleRead, self);
  Channel_enableReading(&self->wakeupChannel);
}

static void EventLoop_doPendingFunctors(EventLoop *self);
static bool has_pending_functors(EventLoop *self);

void EventLoop_destroy(EventLoop *self) {
  assert(!self->looping);
  EventLoop_assertInLoopThread(self);
  // Work queued after loop() returned (by an object freed after the loop, say) still runs:
  // it is usually teardown that frees memory.
  while (has_pending_functors(self))
    EventLoop_doPendingFunctors(self);
  Channel_disableAll(&self->wakeupChannel);
  Channel_destroy(&self->wakeupChannel);
  close(self->wakeupFd);
  free(self->pendingFunctors);
  MutexLock_destroy(&self->mutex);
  ChannelList_destroy(&self->activeChannels);
  TimerQueue_free(self->timerQueue);
  Poller_free(self->poller);
  if (t_loopInThisThread == self)
    t_loopInThisThread = NULL;
}

static void trace_active_channels(const EventLoop *self) {
  for (size_t i = 0; i < self->activeChannels.size; ++i) {
    const Channel *channel = self->activeChannels.items[i];
    LOG_TRACE("active fd %d revents 0x%x", channel->fd, (unsigned)channel->revents);
  }
}

// Runs the functors queued so far. The list is swapped out under the lock and run without it:
// a functor may queue more (they run next iteration, after a wakeup) and other threads are not
// blocked while functors run.
static void EventLoop_doPendingFunctors(EventLoop *self) {
  // Most iterations find nothing queued: one load instead of a lock and an unlock. A functor
  // queued just after the load is not missed: one from another thread comes with a wakeup, so
  // the next poll returns at once and the next iteration finds it; this thread queues only
  // before this point of an iteration, or while the functors run, which also wakes the loop.
  if (!atomic_load_explicit(&self->hasPendingFunctors, memory_order_acquire))
    return;
  MutexLock_lock(&self->mutex);
  PendingFunctor *functors = self->pendingFunctors;
  size_t n = self->numPendingFunctors;
  self->pendingFunctors = NULL;
  self->numPendingFunctors = 0;
  self->pendingCapacity = 0;
  atomic_store_explicit(&self->hasPendingFunctors, false, memory_order_relaxed);
  MutexLock_unlock(&self->mutex);

  bool trace = n > 0 && Logger_logLevel() <= LOG_LEVEL_TRACE;
  self->callingPendingFunctors = true;
  for (size_t i = 0; i < n; ++i) {
    if (trace)
      LOG_TRACE("running pending functor %zu of %zu: %s", i + 1, n, functors[i].name);
    functors[i].fn(functors[i].arg);
  }
  self->callingPendingFunctors = false;
  free(functors);
}

static bool has_pending_functors(EventLoop *self) {
  MutexLock_lock(&self->mutex);
  bool pending = self->numPendingFunctors > 0;
  MutexLock_unlock(&self->mutex);
  return pending;
}

void EventLoop_loop(EventLoop *self) {
  assert(!self->looping);
  EventLoop_assertInLoopThread(self);
  self->looping = true;
  // quit is not reset here: a quit() that came before loop() must not be lost.

  while (!atomic_load(&self->quit)) {
    ChannelList_clear(&self->activeChannels);
    Timestamp pollReturnTime = Poller_poll(self->poller, kPollTimeMs, &self->activeChannels);
    if (Logger_logLevel() <= LOG_LEVEL_TRACE)
      trace_active_channels(self);
    for (size_t i = 0; i < self->activeChannels.size; ++i)
      Channel_handleEvent(self->activeChannels.items[i], pollReturnTime);
    EventLoop_doPendingFunctors(self);
  }
  // Work queued before quit (teardown, often) still runs: drain before returning.
  while (has_pending_functors(self))
    EventLoop_doPendingFunctors(self);

  LOG_TRACE("EventLoop %p stop looping", (void *)self);
  self->looping = false;
  atomic_store(&self->quit, false);
}

void EventLoop_quit(EventLoop *self) {
  atomic_store(&self->quit, true);
  // From another thread the loop may be blocked in poll for up to 10 s: wake it.
  if (!EventLoop_isInLoopThread(self))
    EventLoop_wakeup(self);
}

void EventLoop_runInLoopNamed(EventLoop *self, Functor fn, void *arg, const char *name) {
  if (EventLoop_isInLoopThread(self))
    fn(arg);
  else
    EventLoop_queueInLoopNamed(self, fn, arg, name);
}

void EventLoop_queueInLoopNamed(EventLoop *self, Functor fn, void *arg, const char *name) {
  MutexLock_lock(&self->mutex);
  if (self->numPendingFunctors == self->pendingCapacity) {
    size_t capacity = self->pendingCapacity ? self->pendingCapacity * 2 : 16;
    PendingFunctor *grown = realloc(self->pendingFunctors, capacity * sizeof *grown);
    if (grown == NULL)
      LOG_FATAL("out of memory queueing a functor (%zu pending)", self->numPendingFunctors);
    self->pendingFunctors = grown;
    self->pendingCapacity = capacity;
  }
  self->pendingFunctors[self->numPendingFunctors].fn = fn;
  self->pendingFunctors[self->numPendingFunctors].arg = arg;
  self->pendingFunctors[self->numPendingFunctors].name = name;
  ++self->numPendingFunctors;
  atomic_store_explicit(&self->hasPendingFunctors, true, memory_order_release);
  MutexLock_unlock(&self->mutex);

  // Wake the loop unless it will get to the functor anyway: another thread must wake it (it may
  // be blocked in poll); so must a functor queued while functors run (the swapped-out list does
  // not include it); and so must one queued before loop() starts, or the first poll would block.
  if (!EventLoop_isInLoopThread(self) || self->callingPendingFunctors || !self->looping)
    EventLoop_wakeup(self);
}

void EventLoop_wakeup(EventLoop *self) {
  uint64_t one = 1;
  ssize_t n = write(self->wakeupFd, &one, sizeof one);
  if (n != sizeof one)
    LOG_ERROR("EventLoop_wakeup() writes %zd bytes instead of 8", n);
}

TimerId EventLoop_runAtNamed(EventLoop *self, Timestamp time, TimerCallback cb, void *arg,
                             const char *name) {
  return TimerQueue_addTimer(self->timerQueue, cb, arg, name, time, 0.0);
}

TimerId EventLoop_runAfterNamed(EventLoop *self, double delay, TimerCallback cb, void *arg,
                                const char *name) {
  Timestamp time = Timestamp_addTime(Timestamp_now(), delay);
  return EventLoop_runAtNamed(self, time, cb, arg, name);
}

TimerId EventLoop_runEveryNamed(EventLoop *self, double interval, TimerCallback cb, void *arg,
                                const char *name) {
  Timestamp time = Timestamp_addTime(Timestamp_now(), interval);
  return TimerQueue_addTimer(self->timerQueue, cb, arg, name, time, interval);
}

void EventLoop_updateChannel(EventLoop *self, Channel *channel) {
  assert(Channel_ownerLoop(channel) == self);
  EventLoop_assertInLoopThread(self);
  Poller_updateChannel(self->poller, channel);
}

EventLoop *EventLoop_getEventLoopOfCurrentThread(void) { return t_loopInThisThread; }
