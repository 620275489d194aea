// EPoller: IO multiplexing with epoll(7), level-triggered, on behalf of one EventLoop.
//
// The same contract as Poller (poll(2)): collect the active channels, never call them. The
// kernel keeps the interest set, so a poll costs O(active fds) instead of O(all fds); each
// interest change is one epoll_ctl call. Owned by its EventLoop; loop thread only.
#ifndef REACTOR_EPOLLER_H
#define REACTOR_EPOLLER_H

#include "Poller.h"
#include "Timestamp.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/epoll.h>

struct Channel;
struct EventLoop;

typedef struct EPoller {
  // set at init
  struct EventLoop *ownerLoop;
  int epollfd;
  // loop thread only
  struct epoll_event *events; // what epoll_wait fills; doubled when a wait fills it
  size_t eventsCapacity;
  struct Channel **channels; // fd -> Channel, for the asserts (epoll hands back the pointer)
  size_t channelsCapacity;
} EPoller;

EPoller *EPoller_new(struct EventLoop *loop);
void EPoller_free(EPoller *self);

/// Waits up to timeoutMs for events, fills activeChannels, returns the time epoll returned.
Timestamp EPoller_poll(EPoller *self, int timeoutMs, ChannelList *activeChannels);
/// Adds the channel or changes its interest (a channel with none is taken out of epoll).
void EPoller_updateChannel(EPoller *self, struct Channel *channel);
/// Forgets the channel; it must have no interest left.
void EPoller_removeChannel(EPoller *self, struct Channel *channel);
bool EPoller_hasChannel(const EPoller *self, const struct Channel *channel);

#endif
