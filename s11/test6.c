// test6: an EventLoopThread runs work handed to it from the main thread.
#include "EventLoop.h"
#include "EventLoopThread.h"

#include "CurrentThread.h"

#include <stdio.h>
#include <unistd.h>

static void runInThread(void *arg) {
  (void)arg;
  printf("runInThread(): pid = %d, tid = %d\n", getpid(), CurrentThread_tid());
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("main(): pid = %d, tid = %d\n", getpid(), CurrentThread_tid());

  EventLoopThread loopThread;
  EventLoopThread_init(&loopThread);
  EventLoop *loop = EventLoopThread_startLoop(&loopThread);
  EventLoop_runInLoop(loop, runInThread, NULL);
  sleep(1);
  EventLoop_runAfter(loop, 2, runInThread, NULL);
  sleep(3);
  EventLoopThread_destroy(&loopThread);

  printf("exit main().\n");
  return 0;
}
