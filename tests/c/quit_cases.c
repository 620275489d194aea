// quit_cases: quit() asked twice from another thread, before and during loop(), on whichever
// backend the loop uses (epoll by default in s11, poll with REACTOR_USE_POLL=1). muduo once
// lost a quit() asked before loop() (loop() reset the flag), and EventLoopThread's destructor
// then hung in join; a quit asked twice must be as harmless as once.
//
// usage: quit_cases ROUNDS
//   Each round the main thread makes a loop and starts a thread that calls quit() on it twice:
//   in even rounds at once (usually before main has entered loop()), in odd rounds after 20 ms
//   (main waits in epoll_wait / poll by then). main runs loop(), joins the thread - the loop
//   must outlive every quit() - and destroys the loop. Then EventLoopThreads are destroyed
//   right after startLoop (their quit comes before their loop()), and last the main thread
//   quits twice and then calls loop().
// Prints
//   rounds R
//   slowest loop N ms             (a lost quit shows as the 10 s poll timeout, or a hang)
//   slowest EventLoopThread destroy N ms
//   threads before A after B
//   fds before A after B
//   loop after two early quits returned after N ms
#include "EventLoop.h"
#include "EventLoopThread.h"

#include "Thread.h"
#include "check_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static double ms_since(Timestamp t) { return Timestamp_timeDifference(Timestamp_now(), t) * 1000; }

static EventLoop *g_loop;

static void quit_twice(void *arg) {
  if (arg != NULL)
    usleep(20 * 1000);
  EventLoop_quit(g_loop);
  EventLoop_quit(g_loop);
}

// Returns how long loop() ran, in ms.
static double quit_from_thread(int round) {
  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;
  Thread thread;
  Thread_init(&thread, quit_twice, round % 2 ? &loop : NULL, "quitter");
  Thread_start(&thread);
  Timestamp start = Timestamp_now();
  EventLoop_loop(&loop);
  double ms = ms_since(start);
  Thread_join(&thread);
  Thread_destroy(&thread);
  EventLoop_destroy(&loop);
  return ms;
}

// Returns how long the destroy took, in ms.
static double destroy_at_once(void) {
  EventLoopThread thread;
  EventLoopThread_init(&thread);
  EventLoopThread_startLoop(&thread);
  Timestamp start = Timestamp_now();
  EventLoopThread_destroy(&thread);
  return ms_since(start);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int rounds = argc > 1 ? atoi(argv[1]) : 100;
  // One round first: a sanitizer may start a helper thread of its own at the first
  // pthread_create, and that thread must not count against us.
  quit_from_thread(0);
  int threads0 = check_settled_thread_count(), fds0 = check_fd_count();
  double slowestLoop = 0, slowestDestroy = 0;
  for (int round = 0; round < rounds; ++round) {
    double ms = quit_from_thread(round);
    if (ms > slowestLoop)
      slowestLoop = ms;
    ms = destroy_at_once();
    if (ms > slowestDestroy)
      slowestDestroy = ms;
  }
  printf("rounds %d\n", rounds);
  printf("slowest loop %.0f ms\n", slowestLoop);
  printf("slowest EventLoopThread destroy %.0f ms\n", slowestDestroy);
  printf("threads before %d after %d\n", threads0, check_settled_thread_count());
  printf("fds before %d after %d\n", fds0, check_fd_count());

  EventLoop loop;
  EventLoop_init(&loop);
  EventLoop_quit(&loop);
  EventLoop_quit(&loop);
  Timestamp start = Timestamp_now();
  EventLoop_loop(&loop);
  printf("loop after two early quits returned after %.0f ms\n", ms_since(start));
  EventLoop_destroy(&loop);
  return 0;
}
