// test1: each thread runs its own EventLoop.
#include "EventLoop.h"

#include "CurrentThread.h"
#include "Thread.h"

#include <stdio.h>
#include <unistd.h>

static void threadFunc(void *arg) {
  (void)arg;
  printf("threadFunc(): pid = %d, tid = %d\n", getpid(), CurrentThread_tid());
  EventLoop loop;
  EventLoop_init(&loop);
  EventLoop_loop(&loop);
  EventLoop_destroy(&loop);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("main(): pid = %d, tid = %d\n", getpid(), CurrentThread_tid());

  EventLoop loop;
  EventLoop_init(&loop);

  Thread thread;
  Thread_init(&thread, threadFunc, NULL, "loop");
  Thread_start(&thread);

  EventLoop_loop(&loop);

  Thread_join(&thread);
  Thread_destroy(&thread);
  EventLoop_destroy(&loop);
  return 0;
}
