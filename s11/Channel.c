#include "Channel.h"

#include "EventLoop.h"
#include "Logging.h"

#include <assert.h>
#include <poll.h>
#include <stddef.h>

static const int kNoneEvent = 0;
static const int kReadEvent = POLLIN | POLLPRI;
static const int kWriteEvent = POLLOUT;

void Channel_init(Channel *self, EventLoop *loop, int fd) {
  self->loop = loop;
  self->fd = fd;
  self->events = kNoneEvent;
  self->revents = 0;
  self->index = -1;
  self->eventHandling = false;
  self->addedToLoop = false;
  self->readCallback = NULL;
  self->readArg = NULL;
  self->writeCallback = NULL;
  self->writeArg = NULL;
  self->closeCallback = NULL;
  self->closeArg = NULL;
  self->errorCallback = NULL;
  self->errorArg = NULL;
  self->tieHold = NULL;
  self->tieRelease = NULL;
  self->tieOwner = NULL;
}

void Channel_destroy(Channel *self) {
  // Freeing a channel from inside its own handler, or while the Poller still points at it,
  // would leave a dangling pointer behind: both are bugs.
  assert(!self->eventHandling);
  assert(!self->addedToLoop);
  (void)self;
}

static void update(Channel *self) {
  self->addedToLoop = true;
  EventLoop_updateChannel(self->loop, self);
}

void Channel_remove(Channel *self) {
  assert(Channel_isNoneEvent(self));
  self->addedToLoop = false;
  EventLoop_removeChannel(self->loop, self);
}

static void Channel_handleEventWithGuard(Channel *self, Timestamp receiveTime) {
  // POLLHUP without POLLIN: the peer is gone and there is nothing left to read. With POLLIN,
  // read first: the read returns the last data, then 0, and the read path closes.
  if ((self->revents & POLLHUP) && !(self->revents & POLLIN)) {
    if (self->closeCallback)
      self->closeCallback(self->closeArg);
  }
  // POLLNVAL: the fd was closed while still registered. That is a bug in the owner, not in
  // the peer, so say so loudly.
  if (self->revents & POLLNVAL)
    LOG_WARN("Channel_handleEvent() POLLNVAL on fd %d", self->fd);

  if (self->revents & (POLLERR | POLLNVAL)) {
    if (self->errorCallback)
      self->errorCallback(self->errorArg);
  }
  // POLLRDHUP (peer closed its writing side) is readable: the read returns 0.
  if (self->revents & (POLLIN | POLLPRI | POLLRDHUP)) {
    if (self->readCallback)
      self->readCallback(self->readArg, receiveTime);
  }
  if (self->revents & POLLOUT) {
    if (self->writeCallback)
      self->writeCallback(self->writeArg);
  }
}

void Channel_handleEvent(Channel *self, Timestamp receiveTime) {
  TieCallback release = self->tieRelease;
  void *owner = self->tieOwner;
  if (self->tieHold) {
    LOG_TRACE("fd %d: tie holds owner %p", self->fd, owner);
    self->tieHold(owner);
  }
  self->eventHandling = true;
  Channel_handleEventWithGuard(self, receiveTime);
  self->eventHandling = false;
  // Last: dropping the hold may free the owner and, with it, this channel.
  if (release) {
    LOG_TRACE("fd %d: tie releases owner %p", self->fd, owner);
    release(owner);
  }
}

void Channel_setReadCallback(Channel *self, ReadEventCallback cb, void *arg) {
  self->readCallback = cb;
  self->readArg = arg;
}

void Channel_setWriteCallback(Channel *self, EventCallback cb, void *arg) {
  self->writeCallback = cb;
  self->writeArg = arg;
}

void Channel_setCloseCallback(Channel *self, EventCallback cb, void *arg) {
  self->closeCallback = cb;
  self->closeArg = arg;
}

void Channel_setErrorCallback(Channel *self, EventCallback cb, void *arg) {
  self->errorCallback = cb;
  self->errorArg = arg;
}

void Channel_tie(Channel *self, TieCallback hold, TieCallback release, void *owner) {
  self->tieHold = hold;
  self->tieRelease = release;
  self->tieOwner = owner;
}

void Channel_enableReading(Channel *self) {
  self->events |= kReadEvent;
  update(self);
}

void Channel_disableReading(Channel *self) {
  self->events &= ~kReadEvent;
  update(self);
}

void Channel_enableWriting(Channel *self) {
  self->events |= kWriteEvent;
  update(self);
}

void Channel_disableWriting(Channel *self) {
  self->events &= ~kWriteEvent;
  update(self);
}

void Channel_disableAll(Channel *self) {
  self->events = kNoneEvent;
  update(self);
}

bool Channel_isNoneEvent(const Channel *self) { return self->events == kNoneEvent; }
bool Channel_isWriting(const Channel *self) { return (self->events & kWriteEvent) != 0; }
bool Channel_isReading(const Channel *self) { return (self->events & kReadEvent) != 0; }
int Channel_fd(const Channel *self) { return self->fd; }
int Channel_events(const Channel *self) { return self->events; }
void Channel_setRevents(Channel *self, int revents) { self->revents = revents; }
int Channel_index(const Channel *self) { return self->index; }
void Channel_setIndex(Channel *self, int index) { self->index = index; }
EventLoop *Channel_ownerLoop(const Channel *self) { return self->loop; }
