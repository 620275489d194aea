// EventLoopThread: a thread that runs its own EventLoop ("one loop per thread" as an object).
//
// startLoop() starts the thread and returns its loop once the loop exists, so the caller can
// hand it work (runInLoop, runAfter) at once. destroy() quits the loop and joins the thread,
// always. The owner calls init, startLoop and destroy from one thread.
#ifndef REACTOR_EVENTLOOPTHREAD_H
#define REACTOR_EVENTLOOPTHREAD_H

#include "Mutex.h"
#include "Thread.h"

#include <stdbool.h>

struct EventLoop;

typedef struct EventLoopThread {
  // owner thread only
  Thread thread;
  bool started;
  // guarded by mutex
  MutexLock mutex;
  Condition cond;
  struct EventLoop *loop; // the running thread's loop; NULL before it exists and after it ends
} EventLoopThread;

void EventLoopThread_init(EventLoopThread *self);
/// Quits the loop (if it still runs) and joins the thread.
void EventLoopThread_destroy(EventLoopThread *self);
/// Starts the thread; returns its loop, which runs until destroy. Call once.
struct EventLoop *EventLoopThread_startLoop(EventLoopThread *self);

#endif
