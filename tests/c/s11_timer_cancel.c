// s11_timer_cancel: TimerQueue cancel (muduo step 11) in the cases that broke muduo or could
// break ours. Each phase runs the loop until its last timer quits it, then prints one line of
// counts; the test compares the lines.
//   same tick     A and B are due at the same instant, A (added first) cancels B: B must not
//                 run. Then B' cancels A' after A' ran in that tick: no effect, no double free.
//                 And a one-shot cancelling a repeating timer due with it: it never runs.
//   self          a repeating timer cancels itself on its 3rd run; a one-shot cancels itself.
//   stale         a TimerId kept after its timer fired, its memory reused by a new timer: the
//                 cancel must leave the new timer alone (the sequence number tells them apart).
//   thread        another thread adds 100 timers and cancels them at once, and cancels a
//                 repeating timer of the loop's; none of the 100 runs, the repeating one stops.
//   many          10000 timers; a quarter cancelled up front, a quarter cancelled by the timer
//                 due at the same instant just before them; exactly the other half runs.
#include "EventLoop.h"

#include "Thread.h"
#include "TimerQueue.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static EventLoop *g_loop;

static void quit_loop(void *arg) {
  (void)arg;
  EventLoop_quit(g_loop);
}

static void count(void *arg) { ++*(int *)arg; }

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

// --- same tick -----------------------------------------------------------------------------

static TimerId g_victim;
static int g_aRan, g_bRan, g_a2Ran, g_b2Ran, g_repeatRan;

static void cancel_victim(void *arg) {
  ++*(int *)arg;
  EventLoop_cancel(g_loop, g_victim);
}

static void phase_same_tick(void) {
  Timestamp when = Timestamp_addTime(Timestamp_now(), 0.05);
  // A is added first, so it runs first among the timers due at `when`.
  EventLoop_runAt(g_loop, when, cancel_victim, &g_aRan);
  g_victim = EventLoop_runAt(g_loop, when, count, &g_bRan);
  EventLoop_runAfter(g_loop, 0.1, quit_loop, NULL);
  EventLoop_loop(g_loop);

  when = Timestamp_addTime(Timestamp_now(), 0.05);
  g_victim = EventLoop_runAt(g_loop, when, count, &g_a2Ran);
  EventLoop_runAt(g_loop, when, cancel_victim, &g_b2Ran);
  EventLoop_runAfter(g_loop, 0.1, quit_loop, NULL);
  EventLoop_loop(g_loop);

  // A repeating timer due in the same tick as the one-shot that cancels it: never runs, and is
  // not put back in the heap afterwards (it would run 10 times in the next 200 ms).
  int canceller = 0;
  when = Timestamp_addTime(Timestamp_now(), 0.05);
  EventLoop_runAt(g_loop, when, cancel_victim, &canceller);
  // runEvery's first run is one interval from its own now: add it at `when` directly.
  g_victim = TimerQueue_addTimer(g_loop->timerQueue, count, &g_repeatRan, "count", when, 0.05);
  EventLoop_runAfter(g_loop, 0.25, quit_loop, NULL);
  EventLoop_loop(g_loop);
  printf("same tick: A ran %d, B ran %d; B' ran %d, A' ran %d; repeating ran %d\n", g_aRan, g_bRan,
         g_b2Ran, g_a2Ran, g_repeatRan);
}

// --- self ------------------------------------------------------------------------------------

static TimerId g_self;
static int g_selfRan, g_oneShotSelfRan;

static void cancel_self_on_third(void *arg) {
  (void)arg;
  if (++g_selfRan == 3)
    EventLoop_cancel(g_loop, g_self);
}

static TimerId g_oneShotSelf;

static void one_shot_cancel_self(void *arg) {
  (void)arg;
  ++g_oneShotSelfRan;
  EventLoop_cancel(g_loop, g_oneShotSelf);
}

static void phase_self(void) {
  g_self = EventLoop_runEvery(g_loop, 0.02, cancel_self_on_third, NULL);
  g_oneShotSelf = EventLoop_runAfter(g_loop, 0.03, one_shot_cancel_self, NULL);
  EventLoop_runAfter(g_loop, 0.4, quit_loop, NULL);
  EventLoop_loop(g_loop);
  printf("self: repeating ran %d, one-shot ran %d\n", g_selfRan, g_oneShotSelfRan);
}

// --- stale ids ---------------------------------------------------------------------------------

static TimerId g_first;
static int g_firstRan, g_secondRan, g_reused;

static void add_second_and_cancel_first(void *arg) {
  (void)arg;
  // The first timer has run and been freed: its memory is free for the next Timer_new.
  TimerId second = EventLoop_runAfter(g_loop, 0.02, count, &g_secondRan);
  g_reused = second.timer == g_first.timer;
  EventLoop_cancel(g_loop, g_first);
  EventLoop_cancel(g_loop, g_first); // twice: still nothing
  EventLoop_runAfter(g_loop, 0.1, quit_loop, NULL);
}

static void phase_stale(void) {
  g_first = EventLoop_runAfter(g_loop, 0.01, count, &g_firstRan);
  EventLoop_runAfter(g_loop, 0.05, add_second_and_cancel_first, NULL);
  EventLoop_loop(g_loop);
  printf("stale: first ran %d, second ran %d, memory reused %s\n", g_firstRan, g_secondRan,
         g_reused ? "yes" : "no");
}

// --- from another thread ---------------------------------------------------------------------

enum { kThreadTimers = 100 };
static atomic_int g_threadTimersRan;
static atomic_int g_tickRan;
static TimerId g_tick;
static int g_tickAtCancel, g_tickAfter1, g_tickAfter2;

static void sample1(void *arg) {
  (void)arg;
  g_tickAfter1 = atomic_load(&g_tickRan);
}

static void sample2(void *arg) {
  (void)arg;
  g_tickAfter2 = atomic_load(&g_tickRan);
  EventLoop_quit(g_loop);
}

static void thread_timer(void *arg) {
  (void)arg;
  atomic_fetch_add(&g_threadTimersRan, 1);
}

static void tick(void *arg) {
  (void)arg;
  atomic_fetch_add(&g_tickRan, 1);
}

static void canceller_thread(void *arg) {
  (void)arg;
  TimerId ids[kThreadTimers];
  for (int i = 0; i < kThreadTimers; ++i)
    ids[i] = EventLoop_runAfter(g_loop, 0.1, thread_timer, NULL);
  for (int i = 0; i < kThreadTimers; ++i)
    EventLoop_cancel(g_loop, ids[i]);
  while (atomic_load(&g_tickRan) < 3)
    sleep_ms(1);
  g_tickAtCancel = atomic_load(&g_tickRan);
  EventLoop_cancel(g_loop, g_tick);
  // Samples 0.2 s and 0.4 s after the cancel (timers added from this thread, too).
  EventLoop_runAfter(g_loop, 0.2, sample1, NULL);
  EventLoop_runAfter(g_loop, 0.4, sample2, NULL);
}

static void phase_thread(void) {
  g_tick = EventLoop_runEvery(g_loop, 0.01, tick, NULL);
  Thread thread;
  Thread_init(&thread, canceller_thread, NULL, "canceller");
  Thread_start(&thread);
  EventLoop_loop(g_loop);
  Thread_join(&thread);
  Thread_destroy(&thread);
  // A cancel from another thread lands in the loop thread a moment later: at most one more run.
  printf("thread: %d of %d cancelled timers ran; repeating timer ran %d times before the "
         "cancel, %d in the 0.2 s after it, %d in the next 0.2 s\n",
         atomic_load(&g_threadTimersRan), kThreadTimers, g_tickAtCancel,
         g_tickAfter1 - g_tickAtCancel, g_tickAfter2 - g_tickAfter1);
}

// --- many ----------------------------------------------------------------------------------

enum { kMany = 10000 };
static TimerId g_ids[kMany];
static unsigned char g_ran[kMany];

static void many_fired(void *arg) {
  int i = (int)(intptr_t)arg;
  ++g_ran[i];
  // i % 4 == 2 cancels i + 1, due at the same instant and added just after it.
  if (i % 4 == 2)
    EventLoop_cancel(g_loop, g_ids[i + 1]);
}

static void cancel_quarter(void *arg) {
  (void)arg;
  for (int i = 1; i < kMany; i += 4)
    EventLoop_cancel(g_loop, g_ids[i]);
}

static void phase_many(void) {
  Timestamp start = Timestamp_now();
  for (int i = 0; i < kMany; i += 2) {
    // Pairs share a due time, spread over 50-150 ms after start.
    Timestamp when = Timestamp_addTime(start, 0.05 + (double)(i % 1000) / 10000.0);
    g_ids[i] = EventLoop_runAt(g_loop, when, many_fired, (void *)(intptr_t)i);
    g_ids[i + 1] = EventLoop_runAt(g_loop, when, many_fired, (void *)(intptr_t)(i + 1));
  }
  // Times from `start`, not from now: adding 10000 timers can take longer than 20 ms (TSan, a
  // loaded machine), and the quarter must still be cancelled before the first of them is due.
  EventLoop_runAt(g_loop, Timestamp_addTime(start, 0.02), cancel_quarter, NULL);
  EventLoop_runAt(g_loop, Timestamp_addTime(start, 0.3), quit_loop, NULL);
  EventLoop_loop(g_loop);
  int ran = 0, wrong = 0;
  for (int i = 0; i < kMany; ++i) {
    ran += g_ran[i];
    if (g_ran[i] != (i % 2 == 0 ? 1 : 0))
      ++wrong;
  }
  printf("many: %d timers, %d ran, %d ran when they should not or did not when they should\n",
         kMany, ran, wrong);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;
  phase_same_tick();
  phase_self();
  phase_stale();
  phase_thread();
  phase_many();
  EventLoop_destroy(&loop);
  return 0;
}
