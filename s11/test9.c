// test9: an echo server on TcpServer: every byte received is sent back.
// argv[1]: number of IO threads (default 0).
#include "ServerMain.h"
#include "TcpServer.h"

#include "CurrentThread.h"

#include <stdio.h>
#include <unistd.h>

// test8 with an echo, as muduo's test9.cc is: the same callbacks and main, repeated so that each
// program reads alone; only onMessage differs.
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
  TcpConnection_sendBuffer(conn, buf);
}

int main(int argc, char *argv[]) {
  ServerMain program;
  ServerMain_init(&program, "test9");
  int threads = ServerMain_threadsArg(&program, argc, argv, 1);
  printf("main(): pid = %d\n", getpid());

  TcpServer *server = ServerMain_newServer(&program);
  TcpServer_setConnectionCallback(server, onConnection, NULL);
  TcpServer_setMessageCallback(server, onMessage, NULL);
  TcpServer_setThreadNum(server, threads);
  return ServerMain_run(&program);
}
