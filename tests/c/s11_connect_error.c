// s11_connect_error: a connect error the Connector does not retry is reported, once, and the
// Connector stops.
//
// On 127.0.0.1 the errors worth retrying (refused, in use, unreachable) are easy to make; the
// ones that mean "this will never work" are not, except by asking for something the kernel
// refuses outright. Here the target is 127.0.0.1 with a live listener, but the address says it
// is not IPv4 (sin_family AF_INET6 in an IPv4 socket address): connect(2) on the IPv4 socket
// answers EAFNOSUPPORT, which is in the give-up part of the errno table. The same through a
// TcpClient's connect-error callback, where the owner frees the client from the callback.
// Prints what each callback saw, the count of connections the listener got, and the fds.
#include "Connector.h"
#include "EventLoop.h"
#include "TcpClient.h"
#include "check_util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static EventLoop *g_loop;
static int g_connected, g_errors, g_lastErrno;
static TcpClient *g_client;

static void quit_loop(void *arg) {
  (void)arg;
  EventLoop_quit(g_loop);
}

static void connected(void *arg, int sockfd) {
  (void)arg;
  ++g_connected;
  close(sockfd);
}

static void failed(void *arg, int savedErrno) {
  (void)arg;
  ++g_errors;
  g_lastErrno = savedErrno;
  printf("error callback: %s\n", strerror(savedErrno));
}

static void client_failed(void *arg, int savedErrno) {
  failed(arg, savedErrno);
  TcpClient_free(g_client); // the owner lets go from inside the report
  g_client = NULL;
}

static void on_connection(void *arg, TcpConnection *conn) {
  (void)arg;
  (void)conn;
  ++g_connected;
}

// Runs the loop for `seconds`: long enough for a 500 ms retry to show if one were scheduled.
static void run_for(double seconds) {
  EventLoop_runAfter(g_loop, seconds, quit_loop, NULL);
  EventLoop_loop(g_loop);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int listenFd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (listenFd < 0 || bind(listenFd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
      listen(listenFd, 16) < 0 || getsockname(listenFd, (struct sockaddr *)&sa, &len) < 0) {
    perror("s11_connect_error: listener");
    return 1;
  }
  printf("listening on 127.0.0.1:%u\n", (unsigned)ntohs(sa.sin_port));
  InetAddress bad;
  InetAddress_initFromSockAddr(&bad, &sa);
  bad.addr.sin_family = AF_INET6; // the one wrong field

  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;
  int fdsBefore = check_fd_count();

  printf("phase connector\n");
  Connector *connector = Connector_new(&loop, &bad);
  Connector_setNewConnectionCallback(connector, connected, NULL);
  Connector_setErrorCallback(connector, failed, NULL);
  Connector_start(connector);
  run_for(0.7);
  printf("connector state %s after giving up\n",
         connector->state == kConnectorDisconnected ? "disconnected" : "not disconnected");
  Connector_stop(connector);
  Connector_unref(connector);
  run_for(0.01);

  printf("phase client\n");
  g_client = TcpClient_new(&loop, &bad, "client");
  TcpClient_setConnectionCallback(g_client, on_connection, NULL);
  TcpClient_setConnectErrorCallback(g_client, client_failed, NULL);
  TcpClient_enableRetry(g_client);
  TcpClient_connect(g_client);
  run_for(0.7);
  if (g_client != NULL) {
    printf("client still there\n");
    TcpClient_free(g_client);
    run_for(0.01);
  }

  int accepted = 0;
  while (accept(listenFd, NULL, NULL) >= 0)
    ++accepted;
  printf("connected %d, errors %d, last errno %s, listener accepted %d\n", g_connected, g_errors,
         g_lastErrno == EAFNOSUPPORT ? "EAFNOSUPPORT" : strerror(g_lastErrno), accepted);
  printf("fds: %d before, %d after\n", fdsBefore, check_fd_count());
  EventLoop_destroy(&loop);
  close(listenFd);
  return 0;
}
