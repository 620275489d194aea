#include "TimerQueue.h"

#include "EventLoop.h"
#include "Logging.h"
#include "Timer.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

// --- the timerfd ---------------------------------------------------------------------------

static int create_timerfd(void) {
  // CLOCK_MONOTONIC: a change of the wall clock must not fire or delay timers.
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0)
    LOG_SYSFATAL("Failed in timerfd_create");
  return fd;
}

// How long from now until `when`, as a relative itimerspec. A zero it_value would disarm the
// timerfd instead of firing it, so anything due now or in the past fires in 100 us.
static struct timespec how_much_time_from_now(Timestamp when) {
  int64_t microseconds = when.microSecondsSinceEpoch - Timestamp_now().microSecondsSinceEpoch;
  if (microseconds < 100)
    microseconds = 100;
  struct timespec ts;
  ts.tv_sec = (time_t)(microseconds / kMicroSecondsPerSecond);
  ts.tv_nsec = (long)((microseconds % kMicroSecondsPerSecond) * 1000);
  return ts;
}

static void reset_timerfd(int timerfd, Timestamp expiration) {
  struct itimerspec newValue;
  memset(&newValue, 0, sizeof newValue);
  newValue.it_value = how_much_time_from_now(expiration);
  if (timerfd_settime(timerfd, 0, &newValue, NULL) != 0)
    LOG_SYSERR("timerfd_settime()");
}

// The timerfd stays readable until its expiration count is read: level-triggered polling would
// report it again on every iteration.
static void read_timerfd(int timerfd, Timestamp now) {
  uint64_t howmany;
  ssize_t n = read(timerfd, &howmany, sizeof howmany);
  char buf[32];
  LOG_TRACE("TimerQueue_handleRead() %llu at %s", (unsigned long long)howmany,
            Timestamp_toString(now, buf, sizeof buf));
  if (n != sizeof howmany)
    LOG_ERROR("TimerQueue_handleRead() reads %zd bytes instead of 8", n);
}

// --- the heap ------------------------------------------------------------------------------

// Each slot carries its timer's expiration beside the pointer. Comparing two slots then reads
// only the heap array; following the pointers would touch two Timers scattered through memory,
// a cache miss each once the heap is large, and sift_up and sift_down compare at every level.
// Only on a tie, which is rare, does the comparison follow the pointers (Timer_before).
static inline bool entry_before(const TimerQueueEntry *a, const TimerQueueEntry *b) {
  if (a->expiration.microSecondsSinceEpoch != b->expiration.microSecondsSinceEpoch)
    return a->expiration.microSecondsSinceEpoch < b->expiration.microSecondsSinceEpoch;
  return Timer_before(a->timer, b->timer);
}

// Moves the entry at i up to its place; returns where it ended.
static size_t sift_up(TimerQueue *self, size_t i) {
  TimerQueueEntry entry = self->heap[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!entry_before(&entry, &self->heap[parent]))
      break;
    self->heap[i] = self->heap[parent];
    i = parent;
  }
  self->heap[i] = entry;
  return i;
}

static void sift_down(TimerQueue *self, size_t i) {
  TimerQueueEntry entry = self->heap[i];
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= self->size)
      break;
    if (child + 1 < self->size && entry_before(&self->heap[child + 1], &self->heap[child]))
      ++child;
    if (!entry_before(&self->heap[child], &entry))
      break;
    self->heap[i] = self->heap[child];
    i = child;
  }
  self->heap[i] = entry;
}

static void heap_push(TimerQueue *self, Timer *timer) {
  if (self->size == self->capacity) {
    size_t capacity = self->capacity ? self->capacity * 2 : 64;
    TimerQueueEntry *heap = realloc(self->heap, capacity * sizeof *heap);
    if (heap == NULL)
      LOG_FATAL("out of memory growing the timer heap to %zu", capacity);
    self->heap = heap;
    self->capacity = capacity;
  }
  self->heap[self->size].expiration = timer->expiration;
  self->heap[self->size].timer = timer;
  sift_up(self, self->size++);
}

static Timer *heap_pop(TimerQueue *self) {
  assert(self->size > 0);
  Timer *top = self->heap[0].timer;
  if (--self->size > 0) {
    self->heap[0] = self->heap[self->size];
    sift_down(self, 0);
  }
  return top;
}

// --- the queue -----------------------------------------------------------------------------

// Adds a timer; returns true when it became the earliest, so the timerfd must be re-armed.
static bool TimerQueue_insert(TimerQueue *self, Timer *timer) {
  heap_push(self, timer);
  return self->heap[0].timer == timer;
}

static void TimerQueue_handleRead(void *arg, Timestamp receiveTime);

TimerQueue *TimerQueue_new(EventLoop *loop) {
  TimerQueue *self = calloc(1, sizeof *self);
  if (self == NULL)
    LOG_FATAL("out of memory creating a TimerQueue");
  self->loop = loop;
  self->timerfd = create_timerfd();
  Channel_init(&self->timerfdChannel, loop, self->timerfd);
  Channel_setReadCallback(&self->timerfdChannel, TimerQueue_handleRead, self);
  // Always reading: the timerfd is armed and re-armed, never unwatched.
  Channel_enableReading(&self->timerfdChannel);
  return self;
}

void TimerQueue_free(TimerQueue *self) {
  if (self == NULL)
    return;
  Channel_disableAll(&self->timerfdChannel);
  Channel_destroy(&self->timerfdChannel);
  close(self->timerfd);
  for (size_t i = 0; i < self->size; ++i)
    Timer_free(self->heap[i].timer);
  free(self->heap);
  free(self->expired);
  free(self);
}

static void TimerQueue_addTimerInLoop(void *arg) {
  Timer *timer = arg;
  // runInLoop runs this in the loop's own thread, whose EventLoop owns this queue: so the Timer
  // need not carry a pointer to its queue across the hop, 8 bytes fewer in every timer.
  TimerQueue *self = EventLoop_getEventLoopOfCurrentThread()->timerQueue;
  EventLoop_assertInLoopThread(self->loop);
  if (TimerQueue_insert(self, timer))
    reset_timerfd(self->timerfd, timer->expiration);
}

TimerId TimerQueue_addTimer(TimerQueue *self, TimerCallback cb, void *arg, const char *name,
                            Timestamp when, double interval) {
  Timer *timer = Timer_new(cb, arg, name, when, interval);
  // The id is taken before the hop: once queued, the loop thread owns the timer.
  TimerId id = {timer, timer->sequence};
  EventLoop_runInLoop(self->loop, TimerQueue_addTimerInLoop, timer);
  return id;
}

// Pops every timer due at `now`, earliest first, into self->expired; returns how many. The array
// only grows and is kept: a new one each tick would be a malloc and a free per tick, and glibc
// answers a request of a KiB or more (a batch of over 64 timers) by first merging every small
// chunk freed since, which after a million freed timers stalled the loop for 170 ms.
static size_t TimerQueue_getExpired(TimerQueue *self, Timestamp now) {
  size_t n = 0;
  while (self->size > 0 &&
         self->heap[0].expiration.microSecondsSinceEpoch <= now.microSecondsSinceEpoch) {
    if (n == self->expiredCapacity) {
      size_t capacity = n ? n * 2 : 16;
      Timer **grown = realloc(self->expired, capacity * sizeof *grown);
      if (grown == NULL)
        LOG_FATAL("out of memory collecting %zu expired timers", capacity);
      self->expired = grown;
      self->expiredCapacity = capacity;
    }
    self->expired[n++] = heap_pop(self);
  }
  return n;
}

// After the expired timers ran: put the repeating ones back, free the rest, re-arm the timerfd.
static void TimerQueue_reset(TimerQueue *self, Timer **expired, size_t n, Timestamp now) {
  for (size_t i = 0; i < n; ++i) {
    Timer *timer = expired[i];
    if (timer->repeat) {
      Timer_restart(timer, now);
      TimerQueue_insert(self, timer);
    } else {
      Timer_free(timer);
    }
  }
  if (self->size > 0)
    reset_timerfd(self->timerfd, self->heap[0].expiration);
}

static void TimerQueue_handleRead(void *arg, Timestamp receiveTime) {
  TimerQueue *self = arg;
  (void)receiveTime;
  EventLoop_assertInLoopThread(self->loop);
  Timestamp now = Timestamp_now();
  read_timerfd(self->timerfd, now);

  size_t n = TimerQueue_getExpired(self, now);
  Timer **expired = self->expired;
  bool trace = Logger_logLevel() <= LOG_LEVEL_TRACE;
  for (size_t i = 0; i < n; ++i) {
    if (trace)
      LOG_TRACE("running timer %zu of %zu: %s", i + 1, n, expired[i]->name);
    Timer_run(expired[i]);
  }
  TimerQueue_reset(self, expired, n, now);
}
