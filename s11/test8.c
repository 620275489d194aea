// test8: a discard server on TcpServer. Prints each connection going up and down and each
// message with its size, receive time and payload. argv[1]: number of IO threads (default 0).
#include "EventLoop.h"
#include "QuitSignals.h"
#include "TcpServer.h"

#include "CurrentThread.h"
#include "Settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void onConnection(void *arg, TcpConnection *conn) {
  (void)arg;
  char peer[kHostPortLen];
  if (TcpConnection_connected(conn))
    printf("onConnection(): tid=%d new connection [%s] from %s\n", CurrentThread_tid(),
           TcpConnection_name(conn),
           InetAddress_toHostPort(TcpConnection_peerAddress(conn), peer, sizeof peer));
  else
    printf("onConnection(): tid=%d connection [%s] is down\n", CurrentThread_tid(),
           TcpConnection_name(conn));
}

static void onMessage(void *arg, TcpConnection *conn, Buffer *buf, Timestamp receiveTime) {
  (void)arg;
  char when[32];
  printf("onMessage(): tid=%d received %zu bytes from connection [%s] at %s\n",
         CurrentThread_tid(), Buffer_readableBytes(buf), TcpConnection_name(conn),
         Timestamp_toFormattedString(receiveTime, when, sizeof when));
  char *payload = Buffer_retrieveAllAsString(buf);
  printf("onMessage(): [%s]\n", payload);
  free(payload);
}

int main(int argc, char *argv[]) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  uint16_t port = Settings_port("test8");
  long threads = Settings_longArg("test8", argc, argv, 1, "number of IO threads", 0, 64, 0);
  printf("main(): pid = %d\n", getpid());

  EventLoop loop;
  EventLoop_init(&loop);
  QuitSignals quitSignals;
  QuitSignals_init(&quitSignals, &loop);
  InetAddress listenAddr;
  InetAddress_init(&listenAddr, port);
  TcpServer *server = TcpServer_new(&loop, &listenAddr);
  if (server != NULL) {
    TcpServer_setConnectionCallback(server, onConnection, NULL);
    TcpServer_setMessageCallback(server, onMessage, NULL);
    TcpServer_setThreadNum(server, (int)threads);
  }
  if (server == NULL || TcpServer_start(server) < 0) {
    int savedErrno = errno;
    char where[kHostPortLen];
    fprintf(stderr, "test8: cannot listen on %s: %s\n",
            InetAddress_toHostPort(&listenAddr, where, sizeof where), strerror(savedErrno));
    TcpServer_free(server);
    QuitSignals_destroy(&quitSignals);
    EventLoop_destroy(&loop);
    return 1;
  }
  if (Settings_portIsAny()) {
    InetAddress bound = TcpServer_listenAddress(server);
    char where[kHostPortLen];
    printf("listening on %s\n", InetAddress_toHostPort(&bound, where, sizeof where));
  }

  EventLoop_loop(&loop);

  TcpServer_free(server);
  QuitSignals_destroy(&quitSignals);
  EventLoop_destroy(&loop);
  return 0;
}
