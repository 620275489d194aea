// EventLoop: the reactor, one per thread ("one loop per thread").
//
// The thread that initialises a loop owns it: only that thread may run loop(), and a thread may
// own at most one loop. Breaking either rule is a programming error and aborts with a FATAL line.
// Embedded by value (usually on the owning thread's stack): EventLoop_init / EventLoop_destroy.
// Each iteration polls its channels, then dispatches the active ones; it runs until quit().
#ifndef REACTOR_EVENTLOOP_H
#define REACTOR_EVENTLOOP_H

#include "CurrentThread.h"
#include "Poller.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

struct Channel;

typedef struct EventLoop {
  // set at init
  pid_t threadId; // the owning thread's kernel tid
  Poller *poller;
  // loop thread only
  bool looping;
  ChannelList activeChannels;
  // any thread
  atomic_bool quit;
} EventLoop;

/// Makes the calling thread the loop's owner; aborts if it already owns a loop.
void EventLoop_init(EventLoop *self);
/// Owner thread only; the loop must not be running.
void EventLoop_destroy(EventLoop *self);
/// Runs the loop until quit(). Owner thread only.
void EventLoop_loop(EventLoop *self);
/// Asks the loop to stop after the current iteration; a quit before loop() is kept, so loop()
/// then returns after one iteration. The loop notices it when poll returns (at most 10 s).
void EventLoop_quit(EventLoop *self);

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
