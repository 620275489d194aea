// timer_delays: zero, negative and huge delays. A zero or negative delay means "as soon as
// possible": the timer fires on the loop's next iteration, never inside runAfter itself, and
// earliest due first. A huge delay (1e12 s, 1e300 s) means "never": the due time saturates
// instead of overflowing into the past, so the timer must not fire. Prints one line per fact;
// tests/s02.bats and tests/s03.bats check them.
#include "EventLoop.h"

#include "Timer.h"

#include <stdbool.h>
#include <stdio.h>

static EventLoop *g_loop;
static Timestamp g_start;
static bool g_scheduling; // true while main is still inside the runAfter calls

static double ms_since_start(void) {
  return Timestamp_timeDifference(Timestamp_now(), g_start) * 1000;
}

static void fired(void *arg) {
  printf("fired %s after %.0f ms%s\n", (const char *)arg, ms_since_start(),
         g_scheduling ? " inside runAfter" : "");
}

static void stop(void *arg) {
  (void)arg;
  printf("stop after %.0f ms\n", ms_since_start());
  EventLoop_quit(g_loop);
}

// How far in the future a scheduled timer is due, in years (negative: in the past).
static double years_ahead(TimerId id) {
  double seconds = Timestamp_timeDifference(id.timer->expiration, Timestamp_now());
  return seconds / (365.25 * 24 * 3600);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;
  g_start = Timestamp_now();

  g_scheduling = true;
  // The huge ones first: each becomes the earliest timer in turn, so the timerfd is armed
  // with the huge value before the others re-arm it.
  TimerId h1 = EventLoop_runAfter(&loop, 1e300, fired, "huge1e300");
  printf("huge1e300 due in %.0f years\n", years_ahead(h1) > 1e5 ? 1e5 : years_ahead(h1));
  TimerId h2 = EventLoop_runAfter(&loop, 1e12, fired, "huge1e12");
  printf("huge1e12 due in %.0f years\n", years_ahead(h2) > 1e5 ? 1e5 : years_ahead(h2));
  TimerId h3 = EventLoop_runEvery(&loop, 1e300, fired, "every1e300");
  printf("every1e300 due in %.0f years\n", years_ahead(h3) > 1e5 ? 1e5 : years_ahead(h3));
  EventLoop_runAfter(&loop, 0, fired, "zero");
  EventLoop_runAfter(&loop, -1, fired, "negative");
  EventLoop_runAfter(&loop, -1e300, fired, "negative1e300");
  EventLoop_runAfter(&loop, 0.3, stop, NULL);
  g_scheduling = false;

  EventLoop_loop(&loop);
  printf("loop returned after %.0f ms\n", ms_since_start());
  EventLoop_destroy(&loop);
  printf("exit\n");
  return 0;
}
