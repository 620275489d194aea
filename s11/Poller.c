#include "Poller.h"

#include "Channel.h"
#include "EventLoop.h"
#include "Logging.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void ChannelList_init(ChannelList *self) {
  self->items = NULL;
  self->size = 0;
  self->capacity = 0;
}

void ChannelList_destroy(ChannelList *self) {
  free(self->items);
  ChannelList_init(self);
}

void ChannelList_clear(ChannelList *self) { self->size = 0; }

void ChannelList_push(ChannelList *self, Channel *channel) {
  if (self->size == self->capacity) {
    size_t capacity = self->capacity ? self->capacity * 2 : 16;
    Channel **items = realloc(self->items, capacity * sizeof *items);
    if (items == NULL)
      LOG_FATAL("out of memory growing a ChannelList to %zu", capacity);
    self->items = items;
    self->capacity = capacity;
  }
  self->items[self->size++] = channel;
}

static void *Poller_new(EventLoop *loop) {
  Poller *self = calloc(1, sizeof *self);
  if (self == NULL)
    LOG_FATAL("out of memory creating a Poller");
  self->ownerLoop = loop;
  self->random = 88172645463325252ULL; // any non-zero seed
  return self;
}

static void Poller_free(void *arg) {
  Poller *self = arg;
  free(self->pollfds);
  free(self->channels);
  free(self);
}

static void assert_in_loop_thread(const Poller *self) {
  EventLoop_assertInLoopThread(self->ownerLoop);
}

static uint64_t next_random(Poller *self) {
  uint64_t x = self->random; // xorshift64: a few instructions, and no lock as rand() has
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  self->random = x;
  return x;
}

// Pushes the channels of the ready slots in [from, to), in slot order. *remaining counts the
// ready fds not found yet, so a scan stops at the last one.
static void collect_ready(Poller *self, size_t from, size_t to, int *remaining,
                          ChannelList *activeChannels) {
  for (size_t i = from; *remaining > 0 && i < to; ++i) {
    const struct pollfd *pfd = &self->pollfds[i];
    if (pfd->revents > 0) {
      --*remaining;
      Channel *channel = self->channels[pfd->fd];
      assert(channel != NULL);
      assert(Channel_fd(channel) == pfd->fd);
      Channel_setRevents(channel, pfd->revents);
      ChannelList_push(activeChannels, channel);
    }
  }
}

// poll(2) reports readiness in the array's order, and the loop serves channels in the order they
// are collected. Collecting always from slot 0 would serve the same connections first every
// time: their peers get answers first and are ready again first, and the connections served
// last fall behind. So the collection starts at a ready fd picked at random and wraps around:
// over many polls each connection is as often early as late.
static void Poller_fillActiveChannels(Poller *self, int numEvents, ChannelList *activeChannels) {
  int skip = (int)(next_random(self) % (uint64_t)numEvents);
  size_t split = 0; // the slot of the ready fd that goes first: ready fd number `skip`
  for (int seen = 0; split < self->numPollfds; ++split)
    if (self->pollfds[split].revents > 0 && seen++ == skip)
      break;
  int remaining = numEvents;
  collect_ready(self, split, self->numPollfds, &remaining, activeChannels);
  collect_ready(self, 0, split, &remaining, activeChannels);
}

static Timestamp Poller_poll(void *arg, int timeoutMs, ChannelList *activeChannels) {
  Poller *self = arg;
  int numEvents = poll(self->pollfds, (nfds_t)self->numPollfds, timeoutMs);
  int savedErrno = errno;
  Timestamp now = Timestamp_now();
  if (numEvents > 0) {
    LOG_TRACE("%d events happened", numEvents);
    Poller_fillActiveChannels(self, numEvents, activeChannels);
  } else if (numEvents == 0) {
    LOG_TRACE("nothing happened");
  } else if (savedErrno != EINTR) {
    errno = savedErrno;
    LOG_SYSERR("Poller_poll()");
  }
  return now;
}

static void grow_channels(Poller *self, int fd) {
  size_t capacity = self->channelsCapacity ? self->channelsCapacity : 64;
  while (capacity <= (size_t)fd)
    capacity *= 2;
  Channel **channels = realloc(self->channels, capacity * sizeof *channels);
  if (channels == NULL)
    LOG_FATAL("out of memory growing the Poller's channel map to %zu", capacity);
  memset(channels + self->channelsCapacity, 0,
         (capacity - self->channelsCapacity) * sizeof *channels);
  self->channels = channels;
  self->channelsCapacity = capacity;
}

static void append_pollfd(Poller *self, int fd, short events) {
  if (self->numPollfds == self->pollfdsCapacity) {
    size_t capacity = self->pollfdsCapacity ? self->pollfdsCapacity * 2 : 16;
    struct pollfd *pollfds = realloc(self->pollfds, capacity * sizeof *pollfds);
    if (pollfds == NULL)
      LOG_FATAL("out of memory growing the pollfd array to %zu", capacity);
    self->pollfds = pollfds;
    self->pollfdsCapacity = capacity;
  }
  struct pollfd *pfd = &self->pollfds[self->numPollfds++];
  pfd->fd = fd;
  pfd->events = events;
  pfd->revents = 0;
}

static void Poller_updateChannel(void *arg, Channel *channel) {
  Poller *self = arg;
  assert_in_loop_thread(self);
  int fd = Channel_fd(channel);
  LOG_TRACE("fd = %d events = %d", fd, Channel_events(channel));
  if (Channel_index(channel) < 0) {
    // A new channel: append a slot and remember it in the map.
    assert(fd >= 0);
    if ((size_t)fd >= self->channelsCapacity)
      grow_channels(self, fd);
    assert(self->channels[fd] == NULL);
    append_pollfd(self, fd, (short)Channel_events(channel));
    Channel_setIndex(channel, (int)self->numPollfds - 1);
    self->channels[fd] = channel;
  } else {
    // An existing one: update its slot in place.
    assert((size_t)fd < self->channelsCapacity && self->channels[fd] == channel);
    int idx = Channel_index(channel);
    assert(0 <= idx && (size_t)idx < self->numPollfds);
    struct pollfd *pfd = &self->pollfds[idx];
    assert(pfd->fd == fd || pfd->fd == -fd - 1);
    pfd->events = (short)Channel_events(channel);
    pfd->revents = 0;
    // poll() ignores negative fds: a channel with no interest stays in its slot, unwatched.
    // -fd-1 (not -1) keeps the fd recoverable for the asserts, and is negative even for fd 0.
    pfd->fd = Channel_isNoneEvent(channel) ? -fd - 1 : fd;
  }
}

static void Poller_removeChannel(void *arg, Channel *channel) {
  Poller *self = arg;
  assert_in_loop_thread(self);
  int fd = Channel_fd(channel);
  LOG_TRACE("fd = %d", fd);
  assert((size_t)fd < self->channelsCapacity && self->channels[fd] == channel);
  assert(Channel_isNoneEvent(channel));
  int idx = Channel_index(channel);
  assert(0 <= idx && (size_t)idx < self->numPollfds);
  assert(self->pollfds[idx].fd == -fd - 1);
  self->channels[fd] = NULL;
  // Fill the hole with the last slot, so the array stays dense: O(1) removal.
  size_t last = self->numPollfds - 1;
  if ((size_t)idx != last) {
    self->pollfds[idx] = self->pollfds[last];
    int movedFd = self->pollfds[idx].fd;
    if (movedFd < 0)
      movedFd = -movedFd - 1;
    Channel_setIndex(self->channels[movedFd], idx);
  }
  --self->numPollfds;
  Channel_setIndex(channel, -1);
}

const PollerOps Poller_ops = {
    .name = "poll",
    .create = Poller_new,
    .destroy = Poller_free,
    .poll = Poller_poll,
    .updateChannel = Poller_updateChannel,
    .removeChannel = Poller_removeChannel,
};
