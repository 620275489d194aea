// s11_backoff: the Connector's retry delays, read from its own log lines.
//
// Reaching the 30 s cap through refused connects takes 0.5 + 1 + ... + 16 = 31.5 s, so this
// program gets there the way a flapping server does: each connection "dies young" (the owner
// calls Connector_restart within kMinStableConnectionMs of the connect), and each such restart
// waits the current delay, which doubles. The test reads the logged delays:
//   phase cap      8 young restarts: 500 1000 2000 4000 8000 16000 30000 30000
//   phase reset    a young restart (500), then a connection that lived 1.1 s: the restart
//                  connects at once, no retry line; the next young restart waits 500 again
//   phase jitter   12 young restarts with jitter on: each delay within [nominal/2, nominal]
// The listener never accepts: a connect completes in its backlog, which is all we need.
#include "Connector.h"
#include "EventLoop.h"
#include "SocketsOps.h"
#include "check_util.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static EventLoop *g_loop;
static Connector *g_connector;
static int g_connected;
static int g_heldFd = -1;
static Timestamp g_restartAt;

static void quit_loop(void *arg) {
  (void)arg;
  EventLoop_quit(g_loop);
}

static void finish(void) {
  Connector_stop(g_connector);
  Connector_unref(g_connector);
  g_connector = NULL;
  EventLoop_runAfter(g_loop, 0.05, quit_loop, NULL);
}

static void young_restarts(int n) {
  for (int i = 0; i < n; ++i) {
    printf("restart after 0 ms up\n");
    Connector_restart(g_connector);
  }
}

static void cap_connected(void *arg, int sockfd) {
  (void)arg;
  printf("connected #%d\n", ++g_connected);
  sockets_close(sockfd);
  young_restarts(8);
  finish();
}

static void restart_after_long_life(void *arg) {
  (void)arg;
  sockets_close(g_heldFd);
  g_heldFd = -1;
  printf("restart after 1100 ms up\n");
  g_restartAt = Timestamp_now();
  Connector_restart(g_connector);
}

static void reset_connected(void *arg, int sockfd) {
  (void)arg;
  ++g_connected;
  if (g_connected == 3) {
    double ms = Timestamp_timeDifference(Timestamp_now(), g_restartAt) * 1000;
    printf("connected #%d %.0f ms after the restart\n", g_connected, ms);
  } else {
    printf("connected #%d\n", g_connected);
  }
  if (g_connected == 2) {
    g_heldFd = sockfd; // lives 1.1 s: a stable connection
    EventLoop_runAfter(g_loop, 1.1, restart_after_long_life, NULL);
    return;
  }
  sockets_close(sockfd);
  young_restarts(1);
  if (g_connected == 3)
    finish();
}

static void jitter_connected(void *arg, int sockfd) {
  (void)arg;
  printf("connected #%d\n", ++g_connected);
  sockets_close(sockfd);
  young_restarts(12);
  finish();
}

static void run_phase(const char *name, const InetAddress *addr, ConnectCallback cb, bool jitter) {
  printf("phase %s\n", name);
  g_connected = 0;
  g_connector = Connector_new(g_loop, addr);
  Connector_setNewConnectionCallback(g_connector, cb, NULL);
  Connector_setJitter(g_connector, jitter);
  Connector_start(g_connector);
  EventLoop_loop(g_loop);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  InetAddress addr;
  int listenFd = check_loopback_socket("s11_backoff", 64, &addr);
  printf("listening on 127.0.0.1:%u\n", (unsigned)ntohs(addr.addr.sin_port));

  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;
  run_phase("cap", &addr, cap_connected, false);
  run_phase("reset", &addr, reset_connected, false);
  run_phase("jitter", &addr, jitter_connected, true);
  EventLoop_destroy(&loop);
  close(listenFd);
  printf("done\n");
  return 0;
}
