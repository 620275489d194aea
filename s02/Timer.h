// Timer: one scheduled callback - when it is due, what to run, and whether it repeats.
// Owned by the TimerQueue it was added to, which frees it after its last run.
// Loop thread only once added.
#ifndef REACTOR_TIMER_H
#define REACTOR_TIMER_H

#include "Callbacks.h"
#include "Timestamp.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct Timer {
  // set at creation
  TimerCallback callback;
  void *arg;
  const char *name; // the callback's function name, for TRACE lines
  double interval;  // seconds between runs of a repeating timer; 0 for a one-shot
  int64_t sequence; // unique, increasing: ties in expiration run in the order they were added
  // the owning TimerQueue's, loop thread only
  Timestamp expiration;
  bool repeat; // set at creation; last, where it leaves no hole
} Timer;

/// A new timer due at `when`, repeating every `interval` seconds if interval > 0; `name` is
/// cb's function name, kept for TRACE lines. Any thread.
Timer *Timer_new(TimerCallback cb, void *arg, const char *name, Timestamp when, double interval);
void Timer_free(Timer *self);
/// Runs the callback.
void Timer_run(Timer *self);
/// For a repeating timer: the next expiration is `now` plus the interval.
void Timer_restart(Timer *self, Timestamp now);
/// True when a runs before b: earlier expiration, or the same and added first.
bool Timer_before(const Timer *a, const Timer *b);

#endif
