// Poller: IO multiplexing with poll(2), on behalf of one EventLoop.
//
// The Poller only finds out which channels are active; it never calls them. Dispatch happens
// afterwards, in EventLoop_loop, so a callback may change the set of channels (add, remove,
// change interest) without invalidating the array poll() just filled.
// Owned by its EventLoop (Poller_new / Poller_free); loop thread only.
#ifndef REACTOR_POLLER_H
#define REACTOR_POLLER_H

#include "Timestamp.h"

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

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
} Poller;

Poller *Poller_new(struct EventLoop *loop);
void Poller_free(Poller *self);

/// Waits up to timeoutMs for events, fills activeChannels, returns the time poll returned.
/// Loop thread only.
Timestamp Poller_poll(Poller *self, int timeoutMs, ChannelList *activeChannels);
/// Adds the channel or changes its interest. Loop thread only.
void Poller_updateChannel(Poller *self, struct Channel *channel);
/// Forgets the channel; it must have no interest left. Loop thread only.
void Poller_removeChannel(Poller *self, struct Channel *channel);
/// True when the channel is registered here (for asserts). Loop thread only.
bool Poller_hasChannel(const Poller *self, const struct Channel *channel);

#endif
