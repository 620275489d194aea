// Poller: IO multiplexing with poll(2), on behalf of one EventLoop.
//
// The Poller only finds out which channels are active; it never calls them. Dispatch happens
// afterwards, in EventLoop_loop, so a callback may change the set of channels (add, remove,
// change interest) without invalidating the array poll() just filled.
// EventLoop_init chooses its backend once, as an operations table (PollerOps, below): poll(2)
// here, epoll in EPoller. The loop owns the backend's object; loop thread only.
#ifndef REACTOR_POLLER_H
#define REACTOR_POLLER_H

#include "Timestamp.h"

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct Channel;
struct EventLoop;

// A growable array of channels: the active ones after a poll.
typedef struct ChannelList {
  struct Channel **items;
  size_t size;
  size_t capacity;
} ChannelList;

void ChannelList_init(ChannelList *self);
void ChannelList_destroy(ChannelList *self);
void ChannelList_clear(ChannelList *self);
void ChannelList_push(ChannelList *self, struct Channel *channel);

typedef struct Poller {
  // set at init
  struct EventLoop *ownerLoop;
  // loop thread only
  struct pollfd *pollfds; // what poll() watches; a channel's index is its slot here
  size_t numPollfds;
  size_t pollfdsCapacity;
  struct Channel **channels; // fd -> Channel; fds are small integers, so an array is the map
  size_t channelsCapacity;
  uint64_t random; // picks the ready fd that goes first in each collection
} Poller;

// The IO multiplexer as an interface: the C form of muduo's virtual Poller (compare libevent's
// eventop). Each backend fills one const table; `poller` is the object its create returned.
typedef struct PollerOps {
  const char *name;
  void *(*create)(struct EventLoop *loop);
  void (*destroy)(void *poller);
  /// Waits up to timeoutMs for events, fills activeChannels, returns the time the wait returned.
  Timestamp (*poll)(void *poller, int timeoutMs, ChannelList *activeChannels);
  /// Adds the channel or changes its interest.
  void (*updateChannel)(void *poller, struct Channel *channel);
  /// Forgets the channel; it must have no interest left.
  void (*removeChannel)(void *poller, struct Channel *channel);
} PollerOps;

/// The poll(2) backend.
extern const PollerOps Poller_ops;

#endif
