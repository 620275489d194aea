// tick_costs: once the loop has run a few ticks, firing a batch of timers allocates nothing and
// takes no lock. 100 repeating timers share their first expiration and their interval, and so
// come due together, always in one batch (added through TimerQueue_addTimer with one `when`:
// runEvery would give each its own, and a slow first tick could split them). The program counts
// every malloc, calloc, realloc and pthread_mutex_lock the process makes (linked with
// -Wl,--wrap for the four, see common/rules.mk) over the 2000 runs after the first 500 (batches 6
// to 25, each one loop iteration), and prints
//   ran 2000 timers after the first 500 with N allocations and M locks
// where N is 0 when the TimerQueue reuses its array of due timers (a new array per tick, grown
// from 16 slots to 128, is 4 allocations a tick), and M is 0 when the loop looks at its functor
// queue without the lock while it is empty (from s03, which has the queue; locking to find it
// empty is 1 lock an iteration). Then quits.
#include "EventLoop.h"
#include "TimerQueue.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>

enum { kTimers = 100, kWarmupRuns = 5 * kTimers, kCountedRuns = 20 * kTimers };

// Counted in every thread, though only the loop thread runs here.
static atomic_long g_allocations;

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

void *__wrap_malloc(size_t size) {
  atomic_fetch_add(&g_allocations, 1);
  return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size) {
  atomic_fetch_add(&g_allocations, 1);
  return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size) {
  atomic_fetch_add(&g_allocations, 1);
  return __real_realloc(p, size);
}

static atomic_long g_locks;

int __real_pthread_mutex_lock(pthread_mutex_t *mutex);
int __wrap_pthread_mutex_lock(pthread_mutex_t *mutex);

int __wrap_pthread_mutex_lock(pthread_mutex_t *mutex) {
  atomic_fetch_add(&g_locks, 1);
  return __real_pthread_mutex_lock(mutex);
}

static EventLoop *g_loop;
static long g_runs = 0;
static long g_allocationsFrom = 0;
static long g_locksFrom = 0;

static void on_timer(void *arg) {
  (void)arg;
  ++g_runs;
  if (g_runs == kWarmupRuns) {
    g_allocationsFrom = atomic_load(&g_allocations);
    g_locksFrom = atomic_load(&g_locks);
  } else if (g_runs == kWarmupRuns + kCountedRuns) {
    printf("ran %d timers after the first %d with %ld allocations and %ld locks\n", kCountedRuns,
           kWarmupRuns, atomic_load(&g_allocations) - g_allocationsFrom,
           atomic_load(&g_locks) - g_locksFrom);
    EventLoop_quit(g_loop);
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;
  Timestamp first = Timestamp_addTime(Timestamp_now(), 0.02);
  for (int i = 0; i < kTimers; ++i)
    TimerQueue_addTimer(loop.timerQueue, on_timer, NULL, "on_timer", first, 0.02);
  EventLoop_loop(&loop);
  EventLoop_destroy(&loop);
  return 0;
}
