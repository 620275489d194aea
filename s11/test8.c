// test8: a discard server on TcpServer. Prints each connection going up and down and each
// message with its size, receive time and payload. argv[1]: number of IO threads (default 0).
#include "ServerMain.h"
#include "TcpServer.h"

#include "CurrentThread.h"

#include <stdio.h>
#include <stdlib.h>
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
  ServerMain program;
  ServerMain_init(&program, "test8");
  int threads = ServerMain_threadsArg(&program, argc, argv, 1);
  printf("main(): pid = %d\n", getpid());

  TcpServer *server = ServerMain_newServer(&program);
  TcpServer_setConnectionCallback(server, onConnection, NULL);
  TcpServer_setMessageCallback(server, onMessage, NULL);
  TcpServer_setThreadNum(server, threads);
  return ServerMain_run(&program);
}
