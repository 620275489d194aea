// timer_order: many timers due at the same instant fire in the order they were added.
// A binary heap is not stable by itself: the tie-break on the timer's sequence number is what
// keeps the order. Timers due a little earlier and a little later are interleaved with the
// same-instant ones so that the heap really moves them around. Prints counts and the number of
// same-instant timers that fired out of insertion order (0 when correct).
#include "EventLoop.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { kTimers = 1000 };

static EventLoop *g_loop;
static int g_order[kTimers]; // same-instant timers, in the order they fired
static int g_sameFired = 0;
static int g_earlyFired = 0;
static int g_lateFired = 0;
static int g_lateBeforeSame = 0;
static int g_sameBeforeEarly = 0;

static void same(void *arg) {
  if (g_earlyFired < kTimers)
    ++g_sameBeforeEarly;
  g_order[g_sameFired++] = (int)(intptr_t)arg;
}

static void early(void *arg) {
  (void)arg;
  ++g_earlyFired;
}

static void late(void *arg) {
  (void)arg;
  if (g_sameFired < kTimers)
    ++g_lateBeforeSame;
  ++g_lateFired;
}

static void stop(void *arg) {
  (void)arg;
  EventLoop_quit(g_loop);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  unsigned seed = argc > 1 ? (unsigned)atoi(argv[1]) : 1;
  srand(seed);
  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;

  Timestamp when = Timestamp_addTime(Timestamp_now(), 0.3);
  Timestamp before = Timestamp_addTime(when, -0.05);
  Timestamp after = Timestamp_addTime(when, 0.05);
  int early_left = kTimers, late_left = kTimers;
  for (int i = 0; i < kTimers; ++i) {
    // A random number of distractors between two same-instant timers.
    while (rand() % 2 && (early_left > 0 || late_left > 0)) {
      if (early_left > 0 && (late_left == 0 || rand() % 2)) {
        EventLoop_runAt(&loop, before, early, NULL);
        --early_left;
      } else {
        EventLoop_runAt(&loop, after, late, NULL);
        --late_left;
      }
    }
    EventLoop_runAt(&loop, when, same, (void *)(intptr_t)i);
  }
  while (early_left-- > 0)
    EventLoop_runAt(&loop, before, early, NULL);
  while (late_left-- > 0)
    EventLoop_runAt(&loop, after, late, NULL);
  EventLoop_runAfter(&loop, 0.6, stop, NULL);
  EventLoop_loop(&loop);

  int out_of_order = 0;
  for (int i = 0; i < g_sameFired; ++i)
    if (g_order[i] != i)
      ++out_of_order;
  printf("same-instant fired %d of %d\n", g_sameFired, kTimers);
  printf("same-instant out of insertion order %d\n", out_of_order);
  printf("earlier fired %d, later fired %d\n", g_earlyFired, g_lateFired);
  printf("same-instant before earlier %d, later before same-instant %d\n", g_sameBeforeEarly,
         g_lateBeforeSame);
  EventLoop_destroy(&loop);
  return 0;
}
