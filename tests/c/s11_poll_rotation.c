// s11_poll_rotation: on the poll(2) backend, no channel is always served first. Eight pipes are
// made readable and never drained, so every poll reports all eight; each read callback records
// its channel. After 800 polls the program prints, per channel, how many times it was served
// first in its poll, and how many polls served the eight in something other than a rotation of
// their registration order (slot order, wrapping around) or served fewer than all eight.
//
// usage: s11_poll_rotation        (always on poll: it sets REACTOR_USE_POLL=1 itself)
// Prints `first: N N N N N N N N`, then `polls 800, not a rotation 0`.
#include "Channel.h"
#include "EventLoop.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { kChannels = 8, kPolls = 800 };

static EventLoop g_loop;
static Channel g_channels[kChannels];
static int g_order[kPolls][kChannels]; // the channels in the order each poll served them
static int g_served = 0;               // callbacks so far: poll number g_served / kChannels

static void on_readable(void *arg, Timestamp receiveTime) {
  (void)receiveTime;
  int id = (int)(intptr_t)arg;
  g_order[g_served / kChannels][g_served % kChannels] = id;
  if (++g_served == kPolls * kChannels)
    EventLoop_quit(&g_loop);
}

// A poll served the eight as id, id+1, ..., wrapping at kChannels.
static int is_rotation(const int *order) {
  for (int k = 1; k < kChannels; ++k)
    if (order[k] != (order[0] + k) % kChannels)
      return 0;
  return 1;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  // Checked on poll(2): epoll reports always-ready fds in one order too, and it is not what is
  // checked here (its ready list is ordered by when each fd became ready).
  setenv("REACTOR_USE_POLL", "1", 1);
  EventLoop_init(&g_loop);
  int fds[kChannels][2];
  for (int i = 0; i < kChannels; ++i) {
    if (pipe(fds[i]) != 0 || write(fds[i][1], "x", 1) != 1) {
      perror("s11_poll_rotation: pipe");
      return 1;
    }
    Channel_init(&g_channels[i], &g_loop, fds[i][0]);
    Channel_setReadCallback(&g_channels[i], on_readable, (void *)(intptr_t)i);
    Channel_enableReading(&g_channels[i]);
  }
  EventLoop_loop(&g_loop);

  int first[kChannels] = {0};
  int notRotation = 0;
  for (int p = 0; p < kPolls; ++p) {
    ++first[g_order[p][0]];
    notRotation += !is_rotation(g_order[p]);
  }
  printf("first:");
  for (int i = 0; i < kChannels; ++i)
    printf(" %d", first[i]);
  printf("\npolls %d, not a rotation %d\n", kPolls, notRotation);

  for (int i = 0; i < kChannels; ++i) {
    Channel_disableAll(&g_channels[i]);
    Channel_remove(&g_channels[i]);
    Channel_destroy(&g_channels[i]);
    close(fds[i][0]);
    close(fds[i][1]);
  }
  EventLoop_destroy(&g_loop);
  return 0;
}
