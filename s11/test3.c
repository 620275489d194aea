// test3: a timerfd is just another fd. A one-shot 5 s timer in a Channel prints "Timeout!"
// with the time the poll returned, and quits the loop.
#include "Channel.h"
#include "EventLoop.h"

#include "Logging.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

static EventLoop *g_loop;

static void timeout(void *arg, Timestamp receiveTime) {
  int timerfd = *(int *)arg;
  // Read the expiration count, or the level-triggered poll reports the fd again and again.
  uint64_t expirations;
  if (read(timerfd, &expirations, sizeof expirations) != sizeof expirations)
    LOG_SYSERR("read timerfd");
  char buf[32];
  printf("%s Timeout!\n", Timestamp_toFormattedString(receiveTime, buf, sizeof buf));
  EventLoop_quit(g_loop);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  char buf[32];
  printf("%s started\n", Timestamp_toFormattedString(Timestamp_now(), buf, sizeof buf));
  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;

  int timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timerfd < 0)
    LOG_SYSFATAL("timerfd_create");
  Channel channel;
  Channel_init(&channel, &loop, timerfd);
  Channel_setReadCallback(&channel, timeout, &timerfd);
  Channel_enableReading(&channel);

  struct itimerspec howlong;
  memset(&howlong, 0, sizeof howlong);
  howlong.it_value.tv_sec = 5;
  timerfd_settime(timerfd, 0, &howlong, NULL);

  EventLoop_loop(&loop);

  Channel_disableAll(&channel);
  Channel_remove(&channel);
  Channel_destroy(&channel);
  EventLoop_destroy(&loop);
  close(timerfd);
  return 0;
}
