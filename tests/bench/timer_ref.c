// timer_ref: the reference for timer_bench, a timer queue written by hand on a timerfd with libc
// only, doing timer_bench's timer rounds the same way, so the two can be read side by side.
//
// It is what a careful engineer writes for the same job: timers created one at a time with no
// bound on their number, each freed after it ran, cancellable by an id. So each timer is one
// malloc'd node (the callback, its argument, an id for cancel and for ties: 24 bytes, in malloc's
// smallest chunk), and the queue is a binary min-heap of (expiration, node) slots, so ordering
// reads only the heap but for ties. One timerfd is armed for the earliest timer, re-armed only when
// an add makes a new earliest or a batch has run. No event loop, no thread rules, no names, no
// repeating timers: everything timer_bench measures on top of this is the library's.
//
// usage: timer_ref [timers]   (default 1000000)
// Prints the timer lines of timer_bench in the same words (tests/bench/bench reads both).

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "timer_rounds.h"

typedef struct Node {
  void (*callback)(void *arg);
  void *arg;
  int64_t id; // unique: what a cancel would look for
} Node;

typedef struct Slot {
  int64_t when; // microseconds, CLOCK_MONOTONIC
  Node *node;
} Slot;

typedef struct Queue {
  int timerfd;
  Slot *heap;
  size_t size;
  size_t capacity;
  int64_t lastId;
} Queue;

static void die(const char *what) {
  perror(what);
  exit(1);
}

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

// Arms the timerfd for an absolute CLOCK_MONOTONIC time (0 would disarm it: at least 1 us).
static void arm(Queue *q, int64_t when) {
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  if (when < 1)
    when = 1;
  its.it_value.tv_sec = (time_t)(when / 1000000);
  its.it_value.tv_nsec = (long)(when % 1000000) * 1000;
  if (timerfd_settime(q->timerfd, TFD_TIMER_ABSTIME, &its, NULL) != 0)
    die("timerfd_settime");
}

// Does slot a run before slot b? Earlier first; on a tie, the one added first. Written with
// branches on purpose: as one expression gcc makes it branch-free, and then each level of a
// sift-down waits for the load of the level above; with branches the CPU guesses and loads
// ahead, and firing a million timers took 0.6-0.75 s instead of 0.33-0.53 s.
static int before(const Slot *a, const Slot *b) {
  if (a->when < b->when)
    return 1;
  if (a->when > b->when)
    return 0;
  return a->node->id < b->node->id;
}

static void add(Queue *q, int64_t when, void (*callback)(void *), void *arg) {
  Node *node = malloc(sizeof *node);
  if (node == NULL)
    die("malloc");
  node->callback = callback;
  node->arg = arg;
  node->id = ++q->lastId;
  if (q->size == q->capacity) {
    q->capacity = q->capacity ? q->capacity * 2 : 64;
    q->heap = realloc(q->heap, q->capacity * sizeof *q->heap);
    if (q->heap == NULL)
      die("realloc");
  }
  Slot slot = {when, node};
  size_t i = q->size++;
  while (i > 0 && before(&slot, &q->heap[(i - 1) / 2])) {
    q->heap[i] = q->heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  q->heap[i] = slot;
  if (i == 0)
    arm(q, when);
}

static Node *pop(Queue *q) {
  Node *top = q->heap[0].node;
  Slot last = q->heap[--q->size];
  size_t i = 0;
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= q->size)
      break;
    if (child + 1 < q->size && before(&q->heap[child + 1], &q->heap[child]))
      ++child;
    if (!before(&q->heap[child], &last))
      break;
    q->heap[i] = q->heap[child];
    i = child;
  }
  q->heap[i] = last;
  return top;
}

// One loop iteration's worth of timers: waits for the timerfd, runs every due timer (popped
// first, so a callback may add), frees them, re-arms for the next. Returns how many ran.
static long run_due(Queue *q) {
  struct pollfd pfd = {q->timerfd, POLLIN, 0};
  if (poll(&pfd, 1, -1) != 1)
    die("poll");
  uint64_t expirations;
  if (read(q->timerfd, &expirations, sizeof expirations) != sizeof expirations)
    die("read timerfd");
  int64_t now = now_us();
  long ran = 0;
  while (q->size > 0 && q->heap[0].when <= now) {
    Node *node = pop(q);
    node->callback(node->arg);
    free(node);
    ++ran;
  }
  if (q->size > 0)
    arm(q, q->heap[0].when);
  return ran;
}

static long g_fired;
static int64_t g_lateSum, g_lateMax;

static void on_timer(void *arg) {
  (void)arg;
  ++g_fired;
}

static void on_timer_live(void *arg) {
  int64_t late = now_us() - (int64_t)(intptr_t)arg;
  g_lateSum += late;
  if (late > g_lateMax)
    g_lateMax = late;
  ++g_fired;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 2) {
    fprintf(stderr, "usage: timer_ref [timers]\n");
    return 2;
  }
  long n = argc > 1 ? count_arg("timer_ref", argv[1], "timers") : 1000000;
  Queue q = {timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC), NULL, 0, 0, 0};
  if (q.timerfd < 0)
    die("timerfd_create");
  printf("timer_ref: a hand-written timer heap on a timerfd\n");
  long hwm0 = status_kb("VmHWM");

  // Round 1: n one-shots due within a second from 0.5 s on; all fire in one batch once overdue.
  int64_t base = now_us() + 500000;
  double cpu0 = cpu_seconds();
  int64_t start = now_us();
  for (long i = 0; i < n; ++i)
    add(&q, base + (int64_t)(next_random() % 1000000), on_timer, NULL);
  double addCpu = cpu_seconds() - cpu0;
  double addSeconds = (double)(now_us() - start) / 1e6;
  long hwm1 = status_kb("VmHWM");
  int64_t wait = base + 1050000 - now_us();
  if (wait > 0) {
    struct timespec ts = {(time_t)(wait / 1000000), (long)(wait % 1000000) * 1000};
    nanosleep(&ts, NULL);
  }
  g_fired = 0;
  cpu0 = cpu_seconds();
  start = now_us();
  while (g_fired < n)
    run_due(&q);
  double fireCpu = cpu_seconds() - cpu0;
  double fireSeconds = (double)(now_us() - start) / 1e6;
  printf("timers: %ld added in %.3f s: %.0f adds/s; CPU %.3f s: %.0f adds/s\n", n, addSeconds,
         n / addSeconds, addCpu, n / addCpu);
  printf("timers: %ld fired (all overdue, one batch) in %.3f s: %.0f fires/s; CPU %.3f s\n",
         g_fired, fireSeconds, g_fired / fireSeconds, fireCpu);
  printf("memory: VmHWM %ld kB before, %ld kB with %ld timers (%.0f bytes per timer)\n", hwm0, hwm1,
         n, (hwm1 - hwm0) * 1024.0 / n);

  // Round 2: n/10 timers due over the next second, run as they come due.
  long live = n / 10 > 0 ? n / 10 : 1;
  base = now_us() + 200000;
  for (long i = 0; i < live; ++i) {
    int64_t due = base + (int64_t)(next_random() % 1000000);
    add(&q, due, on_timer_live, (void *)(intptr_t)due);
  }
  g_fired = 0;
  while (g_fired < live)
    run_due(&q);
  printf("timers: %ld fired live over 1 s: mean lateness %.0f us, max %.1f ms\n", g_fired,
         (double)g_lateSum / g_fired, g_lateMax / 1000.0);
  printf("memory: peak VmHWM %ld kB\n", status_kb("VmHWM"));
  free(q.heap);
  close(q.timerfd);
  return 0;
}
