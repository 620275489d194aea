// wakeup_cases: when the loop must be woken, and that it is. The loop blocks in poll for up to
// 10 s, so a missing wakeup shows as a delay of about 10 s; each case prints how long it took.
//
// usage: wakeup_cases CASE
//   before_loop    a functor queued before loop() runs on the first iteration
//   from_functor   a functor queued by a running functor runs on the next iteration
//   quit_other     quit() from another thread while the loop waits in poll returns loop() at once
//   quit_early     quit() from another thread before loop() starts: loop() returns at once
//   drain          functors queued before quit (by the loop thread and by another thread)
//                  all run before loop() returns
#include "EventLoop.h"

#include "Thread.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static EventLoop *g_loop;
static Timestamp g_mark;
static int g_ran = 0;

static double ms_since(Timestamp t) { return Timestamp_timeDifference(Timestamp_now(), t) * 1000; }

static void print_and_quit(void *arg) {
  printf("%s ran after %.0f ms\n", (const char *)arg, ms_since(g_mark));
  EventLoop_quit(g_loop);
}

static void queue_next(void *arg) {
  (void)arg;
  // Give the loop time to settle: without a wakeup the next functor would wait for poll.
  usleep(100 * 1000);
  g_mark = Timestamp_now();
  EventLoop_queueInLoop(g_loop, print_and_quit, "functor queued by a functor");
}

static void count(void *arg) {
  (void)arg;
  ++g_ran;
}

// The loop thread queues three more functors and then quits: they were queued while functors
// ran, so only the drain before loop() returns can run them.
static void queue_then_quit(void *arg) {
  (void)arg;
  for (int i = 0; i < 3; ++i)
    EventLoop_queueInLoop(g_loop, count, NULL);
  EventLoop_quit(g_loop);
}

static void sleep_then_quit(void *arg) {
  (void)arg;
  usleep(300 * 1000);
  g_mark = Timestamp_now();
  EventLoop_quit(g_loop);
}

static void post_then_quit(void *arg) {
  (void)arg;
  usleep(200 * 1000);
  for (int i = 0; i < 1000; ++i)
    EventLoop_queueInLoop(g_loop, count, NULL);
  EventLoop_runInLoop(g_loop, queue_then_quit, NULL);
  EventLoop_quit(g_loop);
}

static void quit_now(void *arg) { EventLoop_quit(arg); }

static void run_in_thread(ThreadFunc fn, void *arg, Thread *thread) {
  Thread_init(thread, fn, arg, "helper");
  Thread_start(thread);
}

static void finish_thread(Thread *thread) {
  Thread_join(thread);
  Thread_destroy(thread);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *which = argc > 1 ? argv[1] : "";
  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;
  Thread thread;

  if (strcmp(which, "before_loop") == 0) {
    EventLoop_queueInLoop(&loop, print_and_quit, "functor queued before loop");
    usleep(100 * 1000);
    g_mark = Timestamp_now();
    EventLoop_loop(&loop);
  } else if (strcmp(which, "from_functor") == 0) {
    EventLoop_queueInLoop(&loop, queue_next, NULL);
    EventLoop_loop(&loop);
  } else if (strcmp(which, "quit_other") == 0) {
    run_in_thread(sleep_then_quit, NULL, &thread);
    EventLoop_loop(&loop);
    printf("loop returned %.0f ms after quit from another thread\n", ms_since(g_mark));
    finish_thread(&thread);
  } else if (strcmp(which, "quit_early") == 0) {
    run_in_thread(quit_now, &loop, &thread);
    finish_thread(&thread);
    g_mark = Timestamp_now();
    EventLoop_loop(&loop);
    printf("loop returned after %.0f ms\n", ms_since(g_mark));
  } else if (strcmp(which, "drain") == 0) {
    run_in_thread(post_then_quit, NULL, &thread);
    EventLoop_loop(&loop);
    printf("functors run before loop() returned: %d of 1003\n", g_ran);
    finish_thread(&thread);
  } else {
    fprintf(stderr, "usage: wakeup_cases before_loop|from_functor|quit_other|quit_early|drain\n");
    EventLoop_destroy(&loop);
    return 1;
  }
  EventLoop_destroy(&loop);
  return 0;
}
