// TimerId: an opaque handle to a scheduled timer, returned by EventLoop_runAt and friends.
// A plain value: copy it freely. The sequence number tells a live timer from a freed one whose
// memory was reused.
#ifndef REACTOR_TIMERID_H
#define REACTOR_TIMERID_H

#include <stdint.h>

struct Timer;

typedef struct TimerId {
  struct Timer *timer;
  int64_t sequence;
} TimerId;

#endif
