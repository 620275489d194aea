// QuitSignals: SIGTERM and SIGINT quit an EventLoop, through a signalfd.
//
// A signal handler may only do async-signal-safe things, and a loop blocked in poll would not
// notice a flag set by one. Blocking the signals and reading them from a signalfd instead makes
// a signal just another readable fd: its Channel's callback quits the loop, in the loop thread,
// and the program then frees everything and exits 0 (so leak checkers see a clean exit).
// Init in the main thread before any other thread starts (threads inherit the blocked mask);
// destroy in the loop thread.
#ifndef REACTOR_QUITSIGNALS_H
#define REACTOR_QUITSIGNALS_H

#include "Channel.h"

struct EventLoop;

typedef struct QuitSignals {
  struct EventLoop *loop;
  int signalFd;
  Channel channel;
} QuitSignals;

void QuitSignals_init(QuitSignals *self, struct EventLoop *loop);
void QuitSignals_destroy(QuitSignals *self);

#endif
