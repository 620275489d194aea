// timer_bench: how fast one loop adds and fires timers, how much memory a million of them take,
// and how many functors per second another thread can hand a loop through runInLoop.
// Built with -O2 from s11's library and again from s03's (tests/bench/timers.mk), one binary
// each; TIMER_BENCH_STAGE names the stage. Not part of the test suite.
//
// usage: timer_bench [timers [functors]]   (defaults 1000000 and 2000000)
//
// Timers: `timers` one-shots due at random times spread over one second (so each insert lands
// somewhere in the middle of the heap, not always at the end), added from the loop thread.
// Then the bench waits until every one is overdue and runs the loop: the first timerfd
// expiry collects them all and fires them in one batch, so the fire figure is the heap's pop
// rate plus the callback, not the spread of due times. A second round fires timers as they come
// due (spread over one second) to show the lateness of a live loop.
#include "EventLoop.h"
#include "EventLoopThread.h"

#include "Mutex.h"
#include "timer_rounds.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef TIMER_BENCH_STAGE
#define TIMER_BENCH_STAGE "?"
#endif

static EventLoop *g_loop;
static long g_target;
static long g_fired = 0;
static Timestamp g_firstFire;
static int64_t g_lateSum = 0; // us, live round
static int64_t g_lateMax = 0;

static double seconds_since(Timestamp t) { return Timestamp_timeDifference(Timestamp_now(), t); }

static void on_timer(void *arg) {
  (void)arg;
  if (g_fired++ == 0)
    g_firstFire = Timestamp_now();
  if (g_fired == g_target)
    EventLoop_quit(g_loop);
}

// For the live round: arg carries the due time, so lateness can be measured.
static void on_timer_live(void *arg) {
  int64_t due = (int64_t)(intptr_t)arg;
  int64_t late = Timestamp_now().microSecondsSinceEpoch - due;
  g_lateSum += late;
  if (late > g_lateMax)
    g_lateMax = late;
  on_timer(NULL);
}

static void bench_timers(long n) {
  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;
  long hwm0 = status_kb("VmHWM");

  // Round 1: add n timers due within the next second, wait until all are overdue, fire.
  Timestamp base = Timestamp_addTime(Timestamp_now(), 0.5);
  Timestamp start = Timestamp_now();
  double cpu0 = cpu_seconds();
  for (long i = 0; i < n; ++i) {
    Timestamp when = {base.microSecondsSinceEpoch + (int64_t)(next_random() % 1000000)};
    EventLoop_runAt(&loop, when, on_timer, NULL);
  }
  double addCpu = cpu_seconds() - cpu0;
  double addSeconds = seconds_since(start);
  long hwm1 = status_kb("VmHWM");
  double wait = Timestamp_timeDifference(base, Timestamp_now()) + 1.05;
  if (wait > 0) {
    struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
    nanosleep(&ts, NULL);
  }
  g_target = n;
  g_fired = 0;
  start = Timestamp_now();
  cpu0 = cpu_seconds();
  EventLoop_loop(&loop);
  double fireCpu = cpu_seconds() - cpu0;
  double fireSeconds = seconds_since(start);
  printf("timers: %ld added in %.3f s: %.0f adds/s; CPU %.3f s: %.0f adds/s\n", n, addSeconds,
         n / addSeconds, addCpu, n / addCpu);
  printf("timers: %ld fired (all overdue, one batch) in %.3f s: %.0f fires/s; CPU %.3f s\n",
         g_fired, fireSeconds, g_fired / fireSeconds, fireCpu);
  printf("memory: VmHWM %ld kB before, %ld kB with %ld timers (%.0f bytes per timer)\n", hwm0, hwm1,
         n, (hwm1 - hwm0) * 1024.0 / n);

  // Round 2: n/10 timers due over the next second, fired by the live loop as they come due.
  long live = n / 10 > 0 ? n / 10 : 1;
  base = Timestamp_addTime(Timestamp_now(), 0.2);
  for (long i = 0; i < live; ++i) {
    int64_t due = base.microSecondsSinceEpoch + (int64_t)(next_random() % 1000000);
    Timestamp when = {due};
    EventLoop_runAt(&loop, when, on_timer_live, (void *)(intptr_t)due);
  }
  g_target = live;
  g_fired = 0;
  EventLoop_loop(&loop);
  printf("timers: %ld fired live over 1 s: mean lateness %.0f us, max %.1f ms\n", g_fired,
         (double)g_lateSum / g_fired, g_lateMax / 1000.0);
  printf("memory: peak VmHWM %ld kB\n", status_kb("VmHWM"));
  EventLoop_destroy(&loop);
}

// --- cross-thread runInLoop -----------------------------------------------------------------

static long g_ran = 0; // loop thread only
static long g_functors;
static MutexLock g_mutex;
static Condition g_done;
static bool g_finished = false; // guarded by g_mutex

static void functor(void *arg) {
  (void)arg;
  if (++g_ran == g_functors) {
    MutexLock_lock(&g_mutex);
    g_finished = true;
    Condition_notify(&g_done);
    MutexLock_unlock(&g_mutex);
  }
}

static void bench_run_in_loop(long n) {
  MutexLock_init(&g_mutex);
  Condition_init(&g_done, &g_mutex);
  g_functors = n;
  EventLoopThread thread;
  EventLoopThread_init(&thread);
  EventLoop *loop = EventLoopThread_startLoop(&thread);

  Timestamp start = Timestamp_now();
  for (long i = 0; i < n; ++i)
    EventLoop_runInLoop(loop, functor, NULL);
  double postSeconds = seconds_since(start);
  MutexLock_lock(&g_mutex);
  while (!g_finished)
    Condition_wait(&g_done);
  MutexLock_unlock(&g_mutex);
  double allSeconds = seconds_since(start);
  EventLoopThread_destroy(&thread);

  printf("runInLoop: %ld functors posted from another thread in %.3f s, all run after %.3f s: "
         "%.0f functors/s\n",
         n, postSeconds, allSeconds, n / allSeconds);
  Condition_destroy(&g_done);
  MutexLock_destroy(&g_mutex);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 3) {
    fprintf(stderr, "usage: timer_bench [timers [functors]]\n");
    return 2;
  }
  long timers = argc > 1 ? count_arg("timer_bench", argv[1], "timers") : 1000000;
  long functors = argc > 2 ? count_arg("timer_bench", argv[2], "functors") : 2000000;
  printf("timer_bench on stage %s\n", TIMER_BENCH_STAGE);
  bench_timers(timers);
  bench_run_in_loop(functors);
  return 0;
}
