#include "EPoller.h"

#include "Channel.h"
#include "EventLoop.h"
#include "Logging.h"

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// A channel's index says where it stands with epoll.
enum { kNew = -1, kAdded = 1, kDeleted = 2 };

enum { kInitEventListSize = 16 };

// Channels speak poll(2)'s bits; on Linux the EPOLL* values of the same names are equal.
_Static_assert(EPOLLIN == POLLIN && EPOLLPRI == POLLPRI && EPOLLOUT == POLLOUT &&
                   EPOLLRDHUP == POLLRDHUP && EPOLLERR == POLLERR && EPOLLHUP == POLLHUP,
               "epoll and poll event bits differ");

static bool EPoller_hasChannel(const EPoller *self, const Channel *channel) {
  int fd = Channel_fd(channel);
  return fd >= 0 && (size_t)fd < self->channelsCapacity && self->channels[fd] == channel;
}

static void *EPoller_new(EventLoop *loop) {
  EPoller *self = calloc(1, sizeof *self);
  if (self == NULL)
    LOG_FATAL("out of memory creating an EPoller");
  self->ownerLoop = loop;
  self->epollfd = epoll_create1(EPOLL_CLOEXEC);
  if (self->epollfd < 0)
    LOG_SYSFATAL("epoll_create1");
  self->eventsCapacity = kInitEventListSize;
  self->events = calloc(self->eventsCapacity, sizeof *self->events);
  if (self->events == NULL)
    LOG_FATAL("out of memory creating an EPoller");
  return self;
}

static void EPoller_free(void *arg) {
  EPoller *self = arg;
  close(self->epollfd);
  free(self->events);
  free(self->channels);
  free(self);
}

static void EPoller_fillActiveChannels(EPoller *self, int numEvents, ChannelList *activeChannels) {
  for (int i = 0; i < numEvents; ++i) {
    Channel *channel = self->events[i].data.ptr;
    assert(EPoller_hasChannel(self, channel));
    Channel_setRevents(channel, (int)self->events[i].events);
    ChannelList_push(activeChannels, channel);
  }
}

static Timestamp EPoller_poll(void *arg, int timeoutMs, ChannelList *activeChannels) {
  EPoller *self = arg;
  int numEvents = epoll_wait(self->epollfd, self->events, (int)self->eventsCapacity, timeoutMs);
  int savedErrno = errno;
  Timestamp now = Timestamp_now();
  if (numEvents > 0) {
    LOG_TRACE("%d events happened", numEvents);
    EPoller_fillActiveChannels(self, numEvents, activeChannels);
    if ((size_t)numEvents == self->eventsCapacity) {
      // A full array may have left events waiting: make room for more next time.
      size_t capacity = self->eventsCapacity * 2;
      struct epoll_event *events = realloc(self->events, capacity * sizeof *events);
      if (events == NULL)
        LOG_FATAL("out of memory growing the epoll event list to %zu", capacity);
      self->events = events;
      self->eventsCapacity = capacity;
    }
  } else if (numEvents == 0) {
    LOG_TRACE("nothing happened");
  } else if (savedErrno != EINTR) {
    errno = savedErrno;
    LOG_SYSERR("EPoller_poll()");
  }
  return now;
}

static void EPoller_update(EPoller *self, int operation, Channel *channel) {
  struct epoll_event event;
  memset(&event, 0, sizeof event);
  event.events = (uint32_t)Channel_events(channel);
  event.data.ptr = channel;
  int fd = Channel_fd(channel);
  if (epoll_ctl(self->epollfd, operation, fd, &event) < 0) {
    // DEL of a closed fd is the owner's bug but not fatal; ADD or MOD failing means the
    // loop's bookkeeping is broken.
    if (operation == EPOLL_CTL_DEL)
      LOG_SYSERR("epoll_ctl op=DEL fd=%d", fd);
    else
      LOG_SYSFATAL("epoll_ctl op=%s fd=%d", operation == EPOLL_CTL_ADD ? "ADD" : "MOD", fd);
  }
}

static void remember(EPoller *self, Channel *channel) {
  int fd = Channel_fd(channel);
  if ((size_t)fd >= self->channelsCapacity) {
    size_t capacity = self->channelsCapacity ? self->channelsCapacity : 64;
    while (capacity <= (size_t)fd)
      capacity *= 2;
    Channel **channels = realloc(self->channels, capacity * sizeof *channels);
    if (channels == NULL)
      LOG_FATAL("out of memory growing the EPoller's channel map to %zu", capacity);
    memset(channels + self->channelsCapacity, 0,
           (capacity - self->channelsCapacity) * sizeof *channels);
    self->channels = channels;
    self->channelsCapacity = capacity;
  }
  assert(self->channels[fd] == NULL);
  self->channels[fd] = channel;
}

static void EPoller_updateChannel(void *arg, Channel *channel) {
  EPoller *self = arg;
  EventLoop_assertInLoopThread(self->ownerLoop);
  int index = Channel_index(channel);
  LOG_TRACE("fd = %d events = %d index = %d", Channel_fd(channel), Channel_events(channel),
            index);
  if (index == kNew || index == kDeleted) {
    if (index == kNew)
      remember(self, channel);
    else
      assert(EPoller_hasChannel(self, channel));
    if (Channel_isNoneEvent(channel)) {
      Channel_setIndex(channel, kDeleted); // known, but nothing to watch: stays out of epoll
      return;
    }
    Channel_setIndex(channel, kAdded);
    EPoller_update(self, EPOLL_CTL_ADD, channel);
  } else {
    assert(EPoller_hasChannel(self, channel) && index == kAdded);
    if (Channel_isNoneEvent(channel)) {
      // No interest left: take it out of epoll, keep it known.
      EPoller_update(self, EPOLL_CTL_DEL, channel);
      Channel_setIndex(channel, kDeleted);
    } else {
      EPoller_update(self, EPOLL_CTL_MOD, channel);
    }
  }
}

static void EPoller_removeChannel(void *arg, Channel *channel) {
  EPoller *self = arg;
  EventLoop_assertInLoopThread(self->ownerLoop);
  int fd = Channel_fd(channel);
  LOG_TRACE("fd = %d", fd);
  assert(EPoller_hasChannel(self, channel));
  assert(Channel_isNoneEvent(channel));
  int index = Channel_index(channel);
  assert(index == kAdded || index == kDeleted || index == kNew);
  if (index == kAdded)
    EPoller_update(self, EPOLL_CTL_DEL, channel);
  self->channels[fd] = NULL;
  Channel_setIndex(channel, kNew);
}

const PollerOps EPoller_ops = {
    .name = "epoll",
    .create = EPoller_new,
    .destroy = EPoller_free,
    .poll = EPoller_poll,
    .updateChannel = EPoller_updateChannel,
    .removeChannel = EPoller_removeChannel,
};
