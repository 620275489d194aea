// EventLoop: the reactor, one per thread ("one loop per thread").
//
// The thread that initialises a loop owns it: only that thread may run loop(), and a thread may
// own at most one loop. Breaking either rule is a programming error and aborts with a FATAL line.
// Embedded by value (usually on the owning thread's stack): EventLoop_init / EventLoop_destroy.
// Each iteration polls its channels, then dispatches the active ones; it runs until quit().
// Timers (runAt, runAfter, runEvery) arrive through one more channel, the TimerQueue's timerfd.
// Other threads hand work to the loop with runInLoop / queueInLoop; an eventfd wakes the loop.
#ifndef REACTOR_EVENTLOOP_H
#define REACTOR_EVENTLOOP_H

#include "Callbacks.h"
#include "Channel.h"
#include "CurrentThread.h"
#include "Mutex.h"
#include "Poller.h"
#include "TimerId.h"
#include "Timestamp.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

struct TimerQueue;

// A unit of work handed to the loop: fn(arg), run in the loop thread.
typedef void (*Functor)(void *arg);

typedef struct PendingFunctor {
  Functor fn;
  void *arg;
  const char *name; // fn's function name, for TRACE lines
} PendingFunctor;

typedef struct EventLoop {
  // set at init
  pid_t threadId; // the owning thread's kernel tid
  Poller *poller;
  struct TimerQueue *timerQueue;
  int wakeupFd; // an eventfd: written by other threads to break the loop out of poll
  Channel wakeupChannel;
  // loop thread only
  bool looping;
  bool callingPendingFunctors;
  ChannelList activeChannels;
  // any thread
  atomic_bool quit;
  atomic_bool hasPendingFunctors; // numPendingFunctors > 0, for a look without the lock
  // guarded by mutex
  MutexLock mutex;
  PendingFunctor *pendingFunctors;
  size_t numPendingFunctors;
  size_t pendingCapacity;
} EventLoop;

/// Makes the calling thread the loop's owner; aborts if it already owns a loop.
void EventLoop_init(EventLoop *self);
/// Runs the functors still queued, then frees everything. Owner thread only; the loop must
/// not be running.
void EventLoop_destroy(EventLoop *self);
/// Runs the loop until quit(); runs the functors still pending before it returns.
/// Owner thread only.
void EventLoop_loop(EventLoop *self);
/// Asks the loop to stop after the current iteration; a quit before loop() is kept, so loop()
/// then returns after one iteration. Any thread: from another thread it wakes the loop.
void EventLoop_quit(EventLoop *self);

// runInLoop, queueInLoop, runAt, runAfter and runEvery are macros over the *Named functions:
// they pass the function's name along (#fn, #cb), kept with the queued call or the timer so that
// a TRACE line can say what it runs.

/// Runs fn(arg) now if called in the loop thread, else queues it and wakes the loop.
/// Any thread.
#define EventLoop_runInLoop(self, fn, arg) EventLoop_runInLoopNamed(self, fn, arg, #fn)
/// Queues fn(arg) to run in the loop thread after the current iteration's events, in the
/// order queued. Any thread.
#define EventLoop_queueInLoop(self, fn, arg) EventLoop_queueInLoopNamed(self, fn, arg, #fn)
void EventLoop_runInLoopNamed(EventLoop *self, Functor fn, void *arg, const char *name);
void EventLoop_queueInLoopNamed(EventLoop *self, Functor fn, void *arg, const char *name);
/// Makes the loop's poll return now. Any thread.
void EventLoop_wakeup(EventLoop *self);

/// Runs cb(arg) at `time`. Any thread.
#define EventLoop_runAt(self, time, cb, arg) EventLoop_runAtNamed(self, time, cb, arg, #cb)
/// Runs cb(arg) `delay` seconds from now (zero or negative: as soon as possible). Any thread.
#define EventLoop_runAfter(self, delay, cb, arg) EventLoop_runAfterNamed(self, delay, cb, arg, #cb)
/// Runs cb(arg) every `interval` seconds, first `interval` seconds from now. Any thread.
#define EventLoop_runEvery(self, interval, cb, arg)                                                \
  EventLoop_runEveryNamed(self, interval, cb, arg, #cb)
TimerId EventLoop_runAtNamed(EventLoop *self, Timestamp time, TimerCallback cb, void *arg,
                             const char *name);
TimerId EventLoop_runAfterNamed(EventLoop *self, double delay, TimerCallback cb, void *arg,
                                const char *name);
TimerId EventLoop_runEveryNamed(EventLoop *self, double interval, TimerCallback cb, void *arg,
                                const char *name);

/// Internal, for Channel: adds or updates a channel in the Poller. Loop thread only.
void EventLoop_updateChannel(EventLoop *self, struct Channel *channel);

/// The FATAL line for a loop used from a thread that does not own it; never returns.
void EventLoop_abortNotInLoopThread(const EventLoop *self);
/// True when called from the owner thread. Any thread. Inline, as muduo's: every loop-only
/// function checks it.
static inline bool EventLoop_isInLoopThread(const EventLoop *self) {
  return self->threadId == CurrentThread_tid();
}
/// Aborts with a FATAL line unless called from the owner thread. Any thread.
static inline void EventLoop_assertInLoopThread(const EventLoop *self) {
  if (!EventLoop_isInLoopThread(self))
    EventLoop_abortNotInLoopThread(self);
}
/// The loop the calling thread owns, or NULL. Any thread.
EventLoop *EventLoop_getEventLoopOfCurrentThread(void);

#endif
