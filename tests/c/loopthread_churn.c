// loopthread_churn: EventLoopThread created, started and destroyed many times. Each destroy
// must quit the loop and join the thread, so the process's thread count and fd count come back
// to where they started, and no destroy may hang - not even one right after startLoop, before
// the new loop has had a chance to enter loop(). Prints counts and the slowest destroy.
//
// usage: loopthread_churn [rounds]   (default 200)
#include "EventLoop.h"
#include "EventLoopThread.h"
#include "check_util.h"

#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_int g_ran = 0;

static void work(void *arg) {
  (void)arg;
  atomic_fetch_add(&g_ran, 1);
}

static void timer_work(void *arg) { (void)arg; }

// One round: start a loop thread (or not), optionally hand it work, destroy it. Work queued
// before destroy must run: the loop drains its functors before loop() returns. Returns the
// destroy's duration in ms.
static double one_round(int round) {
  EventLoopThread thread;
  EventLoopThread_init(&thread);
  if (round % 3 != 2) {
    EventLoop *loop = EventLoopThread_startLoop(&thread);
    if (round % 3 == 1) {
      EventLoop_runInLoop(loop, work, NULL);
      // Timers may or may not fire before the quit; either way destroy frees them.
      EventLoop_runAfter(loop, 0, timer_work, NULL);
      EventLoop_runAfter(loop, 60, timer_work, NULL);
    }
  }
  Timestamp start = Timestamp_now();
  EventLoopThread_destroy(&thread);
  return Timestamp_timeDifference(Timestamp_now(), start) * 1000;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int rounds = argc > 1 ? atoi(argv[1]) : 200;
  // One round first: a sanitizer may start a helper thread of its own at the first
  // pthread_create, and that thread must not count against us.
  one_round(0);
  int threads0 = check_settled_thread_count(), fds0 = check_fd_count();
  double slowest = 0;
  int started = 0, withWork = 0;
  for (int round = 0; round < rounds; ++round) {
    double ms = one_round(round);
    if (ms > slowest)
      slowest = ms;
    started += round % 3 != 2;
    withWork += round % 3 == 1;
  }
  printf("rounds %d, started %d, given work %d\n", rounds, started, withWork);
  printf("threads before %d after %d\n", threads0, check_settled_thread_count());
  printf("fds before %d after %d\n", fds0, check_fd_count());
  printf("slowest destroy %.0f ms\n", slowest);
  printf("work run %d of %d\n", atomic_load(&g_ran), withWork);
  return 0;
}
