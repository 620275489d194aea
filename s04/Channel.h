// Channel: one file descriptor's interest and callbacks, as seen by one EventLoop.
//
// A Channel does not own its fd: whoever owns the fd (a socket, a timerfd) owns the Channel
// too and closes the fd itself. The loop's Poller reports which events happened (revents);
// handleEvent dispatches them to the callbacks. A Channel belongs to one loop and is used only
// from that loop's thread. Embedded by value in its owner: Channel_init / Channel_destroy.
#ifndef REACTOR_CHANNEL_H
#define REACTOR_CHANNEL_H

#include "Timestamp.h"

#include <stdbool.h>

struct EventLoop;

typedef void (*EventCallback)(void *arg);
// Read events carry the time poll returned: the best estimate of when the data arrived.
typedef void (*ReadEventCallback)(void *arg, Timestamp receiveTime);

typedef struct Channel {
  // set at init
  struct EventLoop *loop;
  int fd;
  // loop thread only
  int events;  // what we want: POLLIN, POLLOUT, ...
  int revents; // what happened, set by the Poller
  int index;   // the Poller's bookkeeping (slot in its pollfd array), -1 when new
  ReadEventCallback readCallback;
  void *readArg;
  EventCallback writeCallback;
  void *writeArg;
  EventCallback errorCallback;
  void *errorArg;
} Channel;

void Channel_init(Channel *self, struct EventLoop *loop, int fd);
void Channel_destroy(Channel *self);

/// Dispatches revents to the callbacks. Loop thread only (called by EventLoop_loop).
void Channel_handleEvent(Channel *self, Timestamp receiveTime);

// Callback slots: a function and the argument it is called with, set together. Loop thread.
void Channel_setReadCallback(Channel *self, ReadEventCallback cb, void *arg);
void Channel_setWriteCallback(Channel *self, EventCallback cb, void *arg);
void Channel_setErrorCallback(Channel *self, EventCallback cb, void *arg);

// Interest changes go straight to the loop's Poller. Loop thread only.
void Channel_enableReading(Channel *self);
void Channel_enableWriting(Channel *self);
void Channel_disableWriting(Channel *self);
void Channel_disableAll(Channel *self);
bool Channel_isNoneEvent(const Channel *self);
bool Channel_isWriting(const Channel *self);

int Channel_fd(const Channel *self);
int Channel_events(const Channel *self);
void Channel_setRevents(Channel *self, int revents);
int Channel_index(const Channel *self);
void Channel_setIndex(Channel *self, int index);
struct EventLoop *Channel_ownerLoop(const Channel *self);

#endif
