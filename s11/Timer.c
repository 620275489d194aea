#include "Timer.h"

#include "Logging.h"

#include <stdatomic.h>
#include <stdlib.h>

// Timers may be created from any thread, so the counter is atomic.
static atomic_int_fast64_t s_numCreated = 0;

Timer *Timer_new(TimerCallback cb, void *arg, const char *name, Timestamp when, double interval) {
  Timer *self = malloc(sizeof *self);
  if (self == NULL)
    LOG_FATAL("out of memory creating a Timer");
  self->callback = cb;
  self->arg = arg;
  self->name = name;
  self->interval = interval;
  self->sequence = atomic_fetch_add(&s_numCreated, 1) + 1;
  self->expiration = when;
  self->canceled = false;
  self->repeat = interval > 0.0;
  return self;
}

void Timer_free(Timer *self) { free(self); }

void Timer_run(Timer *self) { self->callback(self->arg); }

void Timer_restart(Timer *self, Timestamp now) {
  self->expiration = self->repeat ? Timestamp_addTime(now, self->interval) : Timestamp_invalid();
}

bool Timer_before(const Timer *a, const Timer *b) {
  if (a->expiration.microSecondsSinceEpoch != b->expiration.microSecondsSinceEpoch)
    return a->expiration.microSecondsSinceEpoch < b->expiration.microSecondsSinceEpoch;
  return a->sequence < b->sequence;
}
