// test2: running a loop from a thread that does not own it is a programming error: it aborts.
#include "EventLoop.h"

#include "Thread.h"

#include <stdio.h>

static EventLoop *g_loop;

static void threadFunc(void *arg) {
  (void)arg;
  EventLoop_loop(g_loop);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;

  Thread thread;
  Thread_init(&thread, threadFunc, NULL, "intruder");
  Thread_start(&thread);
  Thread_join(&thread);

  Thread_destroy(&thread);
  EventLoop_destroy(&loop);
  return 0;
}
