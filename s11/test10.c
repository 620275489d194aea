// test10: a data source. On each connection sends len1 bytes of 'A' and len2 bytes of 'B',
// then shuts down its writing side. argv: [len1 len2 [threads]] (defaults 100 200 0).
#include "ServerMain.h"
#include "TcpServer.h"

#include "CurrentThread.h"
#include "Settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *g_message1;
static size_t g_len1;
static char *g_message2;
static size_t g_len2;

// test8's connection and message lines, repeated as in muduo's test10.cc so that each program
// reads alone; onConnection also sends the data and half-closes.
static void onConnection(void *arg, TcpConnection *conn) {
  (void)arg;
  char peer[kHostPortLen];
  if (TcpConnection_connected(conn)) {
    printf("onConnection(): tid=%d new connection [%s] from %s\n", CurrentThread_tid(),
           TcpConnection_name(conn),
           InetAddress_toHostPort(TcpConnection_peerAddress(conn), peer, sizeof peer));
    TcpConnection_send(conn, g_message1, g_len1);
    TcpConnection_send(conn, g_message2, g_len2);
    // Half-close: the FIN goes out after every queued byte, so the peer reads all, then EOF.
    TcpConnection_shutdown(conn);
  } else {
    printf("onConnection(): tid=%d connection [%s] is down\n", CurrentThread_tid(),
           TcpConnection_name(conn));
  }
}

static void onMessage(void *arg, TcpConnection *conn, Buffer *buf, Timestamp receiveTime) {
  (void)arg;
  char when[32];
  printf("onMessage(): tid=%d received %zu bytes from connection [%s] at %s\n",
         CurrentThread_tid(), Buffer_readableBytes(buf), TcpConnection_name(conn),
         Timestamp_toFormattedString(receiveTime, when, sizeof when));
  Buffer_retrieveAll(buf);
}

static char *filled(size_t len, char c) {
  char *data = malloc(len > 0 ? len : 1);
  if (data == NULL) {
    fprintf(stderr, "test10: out of memory for %zu bytes\n", len);
    exit(1);
  }
  memset(data, c, len);
  return data;
}

int main(int argc, char *argv[]) {
  ServerMain program;
  ServerMain_init(&program, "test10");
  g_len1 = (size_t)Settings_longArg("test10", argc, argv, 1, "len1", 0, 1L << 30, 100);
  g_len2 = (size_t)Settings_longArg("test10", argc, argv, 2, "len2", 0, 1L << 30, 200);
  int threads = ServerMain_threadsArg(&program, argc, argv, 3);
  g_message1 = filled(g_len1, 'A');
  g_message2 = filled(g_len2, 'B');
  printf("main(): pid = %d\n", getpid());

  TcpServer *server = ServerMain_newServer(&program);
  TcpServer_setConnectionCallback(server, onConnection, NULL);
  TcpServer_setMessageCallback(server, onMessage, NULL);
  TcpServer_setThreadNum(server, threads);
  int status = ServerMain_run(&program);
  free(g_message1);
  free(g_message2);
  return status;
}
