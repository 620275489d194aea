// test12: the Connector on its own. Connects to 127.0.0.1:9981 (REACTOR_PORT), prints
// "connected." and quits; with no server it retries with a growing delay until one appears.
// If the Connector gives up (an error that is not retried), prints why and exits 1.
#include "Connector.h"
#include "EventLoop.h"
#include "SocketsOps.h"

#include "Settings.h"

#include <stdio.h>
#include <string.h>

static EventLoop *g_loop;
static int g_status = 0;

static void connectCallback(void *arg, int sockfd) {
  (void)arg;
  printf("connected.\n");
  sockets_close(sockfd);
  EventLoop_quit(g_loop);
}

static void connectError(void *arg, int savedErrno) {
  (void)arg;
  printf("connect failed: %s\n", strerror(savedErrno));
  g_status = 1;
  EventLoop_quit(g_loop);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  uint16_t port = Settings_port("test12");
  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;

  InetAddress addr;
  InetAddress_initFromIpPort(&addr, "127.0.0.1", port);
  Connector *connector = Connector_new(&loop, &addr);
  Connector_setNewConnectionCallback(connector, connectCallback, NULL);
  Connector_setErrorCallback(connector, connectError, NULL);
  Connector_start(connector);

  EventLoop_loop(&loop);

  Connector_stop(connector);
  Connector_unref(connector);
  EventLoop_destroy(&loop);
  return g_status;
}
