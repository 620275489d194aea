// TimerQueue: all the timers of one EventLoop, behind a single timerfd.
//
// The timerfd is armed for the earliest timer and watched by an ordinary Channel, so timers
// become just another readable fd in the poll loop. Timers live in a binary min-heap ordered by
// (expiration, sequence): add and pop are O(log n), the earliest is always at the top. Each
// heap slot holds the timer's expiration beside its pointer, so ordering reads only the heap.
// Owned by its EventLoop (TimerQueue_new / TimerQueue_free). addTimer may be called from any
// thread: the timer is created there and inserted in the loop thread through runInLoop.
#ifndef REACTOR_TIMERQUEUE_H
#define REACTOR_TIMERQUEUE_H

#include "Callbacks.h"
#include "Channel.h"
#include "TimerId.h"
#include "Timestamp.h"

#include <stddef.h>

struct EventLoop;
struct Timer;

// One slot of the heap: the timer and a copy of its expiration, the key the heap orders by.
typedef struct TimerQueueEntry {
  Timestamp expiration;
  struct Timer *timer;
} TimerQueueEntry;

typedef struct TimerQueue {
  // set at init
  struct EventLoop *loop;
  int timerfd;
  Channel timerfdChannel;
  // loop thread only
  TimerQueueEntry *heap; // min-heap: heap[0] is due first
  size_t size;
  size_t capacity;
  struct Timer **expired; // the due timers of the tick being handled, kept from tick to tick
  size_t expiredCapacity;
} TimerQueue;

TimerQueue *TimerQueue_new(struct EventLoop *loop);
/// Frees every timer still scheduled. Loop thread only.
void TimerQueue_free(TimerQueue *self);

/// Schedules cb(arg) at `when`, repeating every `interval` seconds if interval > 0; `name`
/// (cb's function name) is what TRACE lines call it. Any thread.
TimerId TimerQueue_addTimer(TimerQueue *self, TimerCallback cb, void *arg, const char *name,
                            Timestamp when, double interval);

#endif
