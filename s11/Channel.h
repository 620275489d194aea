// Channel: one file descriptor's interest and callbacks, as seen by one EventLoop.
//
// A Channel does not own its fd: whoever owns the fd (a socket, a timerfd) owns the Channel
// too and closes the fd itself, after removing the Channel from its loop. The loop's Poller
// reports which events happened (revents); handleEvent dispatches them to the callbacks.
// A Channel belongs to one loop and is used only from that loop's thread. Embedded by value in
// its owner (Channel_init / Channel_destroy), or allocated (Connector) and freed the same way.
#ifndef REACTOR_CHANNEL_H
#define REACTOR_CHANNEL_H

#include "Timestamp.h"

#include <stdbool.h>

struct EventLoop;

typedef void (*EventCallback)(void *arg);
// Read events carry the time poll returned: the best estimate of when the data arrived.
typedef void (*ReadEventCallback)(void *arg, Timestamp receiveTime);
// Holding an owner alive while its handler runs: take a reference, then drop it.
typedef void (*TieCallback)(void *owner);

typedef struct Channel {
  // set at init
  struct EventLoop *loop;
  int fd;
  // loop thread only
  int events;  // what we want: POLLIN, POLLOUT, ...
  int revents; // what happened, set by the Poller
  int index;   // the Poller's bookkeeping, -1 when new
  bool eventHandling;
  bool addedToLoop;
  ReadEventCallback readCallback;
  void *readArg;
  EventCallback writeCallback;
  void *writeArg;
  EventCallback closeCallback;
  void *closeArg;
  EventCallback errorCallback;
  void *errorArg;
  // the tie: an owner kept alive (by reference count) while handleEvent runs
  TieCallback tieHold;
  TieCallback tieRelease;
  void *tieOwner;
} Channel;

void Channel_init(Channel *self, struct EventLoop *loop, int fd);
/// The channel must be removed from its loop (or never added) and not be handling events.
void Channel_destroy(Channel *self);

/// Dispatches revents to the callbacks. Loop thread only (called by EventLoop_loop).
void Channel_handleEvent(Channel *self, Timestamp receiveTime);

// Callback slots: a function and the argument it is called with, set together. Loop thread.
void Channel_setReadCallback(Channel *self, ReadEventCallback cb, void *arg);
void Channel_setWriteCallback(Channel *self, EventCallback cb, void *arg);
void Channel_setCloseCallback(Channel *self, EventCallback cb, void *arg);
void Channel_setErrorCallback(Channel *self, EventCallback cb, void *arg);
/// Keeps owner alive while handleEvent runs: hold(owner) before the callbacks, release(owner)
/// after them, so a callback that drops the owner's last other reference cannot free it
/// under the running handler. Loop thread.
void Channel_tie(Channel *self, TieCallback hold, TieCallback release, void *owner);

// Interest changes go straight to the loop's Poller. Loop thread only.
void Channel_enableReading(Channel *self);
void Channel_disableReading(Channel *self);
void Channel_enableWriting(Channel *self);
void Channel_disableWriting(Channel *self);
void Channel_disableAll(Channel *self);
bool Channel_isNoneEvent(const Channel *self);
bool Channel_isWriting(const Channel *self);
bool Channel_isReading(const Channel *self);
/// Takes the channel out of its loop's Poller; it must have no interest left. Loop thread.
void Channel_remove(Channel *self);

int Channel_fd(const Channel *self);
int Channel_events(const Channel *self);
void Channel_setRevents(Channel *self, int revents);
int Channel_index(const Channel *self);
void Channel_setIndex(Channel *self, int index);
struct EventLoop *Channel_ownerLoop(const Channel *self);

#endif
