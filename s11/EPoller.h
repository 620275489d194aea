// EPoller: IO multiplexing with epoll(7), level-triggered, on behalf of one EventLoop.
//
// The same interface as Poller (poll(2)), through PollerOps: collect the active channels, never
// call them. The kernel keeps the interest set, so a poll costs O(active fds) instead of O(all
// fds); each interest change is one epoll_ctl call. Owned by its EventLoop; loop thread only.
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

/// The epoll backend (a channel with no interest is taken out of epoll but stays known).
extern const PollerOps EPoller_ops;

#endif
