#include "EventLoop.h"

#include "Channel.h"
#include "CurrentThread.h"
#include "Logging.h"

#include <assert.h>
#include <poll.h>
#include <stddef.h>

// The loop owned by this thread: how "one loop per thread" is enforced.
static __thread EventLoop *t_loopInThisThread = NULL;

static const int kPollTimeMs = 10 * 1000;

void EventLoop_abortNotInLoopThread(const EventLoop *self) {
  LOG_FATAL("EventLoop %p was created in thread %d, current thread is %d", (const void *)self,
            self->threadId, CurrentThread_tid());
}

void EventLoop_init(EventLoop *self) {
  self->threadId = CurrentThread_tid();
  self->looping = false;
  atomic_init(&self->quit, false);
  LOG_TRACE("EventLoop created %p in thread %d", (void *)self, self->threadId);
  if (t_loopInThisThread != NULL)
    LOG_FATAL("Another EventLoop %p exists in this thread %d", (void *)t_loopInThisThread,
              self->threadId);
  t_loopInThisThread = self;
  self->poller = Poller_new(self);
  ChannelList_init(&self->activeChannels);
}

void EventLoop_destroy(EventLoop *self) {
  assert(!self->looping);
  ChannelList_destroy(&self->activeChannels);
  Poller_free(self->poller);
  if (t_loopInThisThread == self)
    t_loopInThisThread = NULL;
}

static void trace_active_channels(const EventLoop *self) {
  for (size_t i = 0; i < self->activeChannels.size; ++i) {
    const Channel *channel = self->activeChannels.items[i];
    LOG_TRACE("active fd %d revents 0x%x", channel->fd, (unsigned)channel->revents);
  }
}

void EventLoop_loop(EventLoop *self) {
  assert(!self->looping);
  EventLoop_assertInLoopThread(self);
  self->looping = true;
  // quit is not reset here: a quit() that came before loop() must not be lost.

  while (!atomic_load(&self->quit)) {
    ChannelList_clear(&self->activeChannels);
    Timestamp pollReturnTime = Poller_poll(self->poller, kPollTimeMs, &self->activeChannels);
    if (Logger_logLevel() <= LOG_LEVEL_TRACE)
      trace_active_channels(self);
    for (size_t i = 0; i < self->activeChannels.size; ++i)
      Channel_handleEvent(self->activeChannels.items[i], pollReturnTime);
  }

  LOG_TRACE("EventLoop %p stop looping", (void *)self);
  self->looping = false;
  atomic_store(&self->quit, false);
}

void EventLoop_quit(EventLoop *self) { atomic_store(&self->quit, true); }

void EventLoop_updateChannel(EventLoop *self, Channel *channel) {
  assert(Channel_ownerLoop(channel) == self);
  EventLoop_assertInLoopThread(self);
  Poller_updateChannel(self->poller, channel);
}

EventLoop *EventLoop_getEventLoopOfCurrentThread(void) { return t_loopInThisThread; }
