// timer_from_thread: another thread schedules a timer on a loop it does not own. In s02 that is
// a programming error (the TimerQueue is loop-thread only): it aborts with the FATAL line of
// EventLoop_assertInLoopThread. From s03 on the add hops to the loop thread through
// runInLoop, so it works: the timer fires in the loop thread.
#include "EventLoop.h"

#include "CurrentThread.h"
#include "Thread.h"

#include <stdio.h>

static EventLoop *g_loop;

static void fired(void *arg) {
  (void)arg;
  printf("timer fired in %s thread\n", EventLoop_isInLoopThread(g_loop) ? "the loop" : "another");
  EventLoop_quit(g_loop);
}

static void add_timer(void *arg) {
  (void)arg;
  printf("adding a timer from thread %d\n", CurrentThread_tid());
  EventLoop_runAfter(g_loop, 0.1, fired, NULL);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;
  printf("loop thread %d\n", CurrentThread_tid());
  Thread thread;
  Thread_init(&thread, add_timer, NULL, "adder");
  Thread_start(&thread);
  Thread_join(&thread);
  Thread_destroy(&thread);
  EventLoop_loop(&loop);
  EventLoop_destroy(&loop);
  printf("exit\n");
  return 0;
}
