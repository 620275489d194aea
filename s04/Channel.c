#include "Channel.h"

#include "EventLoop.h"
#include "Logging.h"

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
  self->readCallback = NULL;
  self->readArg = NULL;
  self->writeCallback = NULL;
  self->writeArg = NULL;
  self->errorCallback = NULL;
  self->errorArg = NULL;
}

void Channel_destroy(Channel *self) { (void)self; }

static void update(Channel *self) { EventLoop_updateChannel(self->loop, self); }

void Channel_handleEvent(Channel *self, Timestamp receiveTime) {
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

void Channel_setReadCallback(Channel *self, ReadEventCallback cb, void *arg) {
  self->readCallback = cb;
  self->readArg = arg;
}

void Channel_setWriteCallback(Channel *self, EventCallback cb, void *arg) {
  self->writeCallback = cb;
  self->writeArg = arg;
}

void Channel_setErrorCallback(Channel *self, EventCallback cb, void *arg) {
  self->errorCallback = cb;
  self->errorArg = arg;
}

void Channel_enableReading(Channel *self) {
  self->events |= kReadEvent;
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
int Channel_fd(const Channel *self) { return self->fd; }
int Channel_events(const Channel *self) { return self->events; }
void Channel_setRevents(Channel *self, int revents) { self->revents = revents; }
int Channel_index(const Channel *self) { return self->index; }
void Channel_setIndex(Channel *self, int index) { self->index = index; }
EventLoop *Channel_ownerLoop(const Channel *self) { return self->loop; }
