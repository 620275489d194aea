// s11_self_connect: a forced self-connect. The Connector binds 127.0.0.1:P before connecting
// to 127.0.0.1:P, where nothing listens: the SYN meets its own socket, TCP's simultaneous open
// completes, and the socket is connected to itself. Writable, SO_ERROR 0 - and yet no server.
// The Connector must see it (local address == peer address), log a warning, close it and
// retry; the owner's callback must never get that fd.
// P is a free port from the kernel (bind port 0, read it, close). Runs ~1.7 s (attempts at 0,
// 0.5 and 1.5 s), then prints how often each callback ran and the fd count before and after.
#include "Connector.h"
#include "EventLoop.h"
#include "SocketsOps.h"
#include "check_util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static EventLoop *g_loop;
static int g_connected, g_failed;

static void connected(void *arg, int sockfd) {
  (void)arg;
  ++g_connected;
  printf("connected: fd %d\n", sockfd);
  sockets_close(sockfd);
}

static void failed(void *arg, int savedErrno) {
  (void)arg;
  ++g_failed;
  printf("gave up: %s\n", strerror(savedErrno));
}

static void quit_loop(void *arg) {
  (void)arg;
  EventLoop_quit(g_loop);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  InetAddress addr;
  close(check_loopback_socket("s11_self_connect", -1, &addr)); // a free port
  printf("port %u\n", (unsigned)ntohs(addr.addr.sin_port));

  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;
  int fdsBefore = check_fd_count();
  Connector *connector = Connector_new(&loop, &addr);
  Connector_setLocalAddress(connector, &addr); // the source is the destination
  Connector_setNewConnectionCallback(connector, connected, NULL);
  Connector_setErrorCallback(connector, failed, NULL);
  Connector_start(connector);
  EventLoop_runAfter(&loop, 1.7, quit_loop, NULL);
  EventLoop_loop(&loop);
  Connector_stop(connector);
  Connector_unref(connector);
  // One more short run: the stop takes effect, the Connector is freed.
  EventLoop_runAfter(&loop, 0.05, quit_loop, NULL);
  EventLoop_loop(&loop);
  printf("new-connection callback ran %d times, error callback %d times\n", g_connected, g_failed);
  printf("fds: %d before the Connector, %d after it\n", fdsBefore, check_fd_count());
  EventLoop_destroy(&loop);
  return 0;
}
