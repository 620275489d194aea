// test11: chargen. On connect and on every write-complete sends the 94 rotating lines of 72
// characters (RFC 864). argv[1]: number of IO threads (default 0).
#include "ServerMain.h"
#include "TcpServer.h"

#include "CurrentThread.h"

#include <stdio.h>
#include <unistd.h>

// 94 lines of 72 characters: line i starts at character 33 + i, wrapping within 33..126.
enum { kLineLength = 72, kNumLines = 127 - 33 };
static char g_message[kNumLines * (kLineLength + 1)];

static void make_message(void) {
  char *p = g_message;
  for (int i = 0; i < kNumLines; ++i) {
    for (int j = 0; j < kLineLength; ++j)
      *p++ = (char)(33 + (i + j) % kNumLines);
    *p++ = '\n';
  }
}

// test8's connection and message lines, repeated as in muduo's test11.cc so that each program
// reads alone; onConnection also starts the stream.
static void onConnection(void *arg, TcpConnection *conn) {
  (void)arg;
  char peer[kHostPortLen];
  if (TcpConnection_connected(conn)) {
    printf("onConnection(): tid=%d new connection [%s] from %s\n", CurrentThread_tid(),
           TcpConnection_name(conn),
           InetAddress_toHostPort(TcpConnection_peerAddress(conn), peer, sizeof peer));
    TcpConnection_setTcpNoDelay(conn, true);
    TcpConnection_send(conn, g_message, sizeof g_message);
  } else {
    printf("onConnection(): tid=%d connection [%s] is down\n", CurrentThread_tid(),
           TcpConnection_name(conn));
  }
}

// The output buffer drained: send the next round. The sender never gets ahead of the peer.
static void onWriteComplete(void *arg, TcpConnection *conn) {
  (void)arg;
  TcpConnection_send(conn, g_message, sizeof g_message);
}

static void onMessage(void *arg, TcpConnection *conn, Buffer *buf, Timestamp receiveTime) {
  (void)arg;
  char when[32];
  printf("onMessage(): tid=%d received %zu bytes from connection [%s] at %s\n",
         CurrentThread_tid(), Buffer_readableBytes(buf), TcpConnection_name(conn),
         Timestamp_toFormattedString(receiveTime, when, sizeof when));
  Buffer_retrieveAll(buf);
}

int main(int argc, char *argv[]) {
  ServerMain program;
  ServerMain_init(&program, "test11");
  int threads = ServerMain_threadsArg(&program, argc, argv, 1);
  make_message();
  printf("main(): pid = %d\n", getpid());

  TcpServer *server = ServerMain_newServer(&program);
  TcpServer_setConnectionCallback(server, onConnection, NULL);
  TcpServer_setMessageCallback(server, onMessage, NULL);
  TcpServer_setWriteCompleteCallback(server, onWriteComplete, NULL);
  TcpServer_setThreadNum(server, threads);
  return ServerMain_run(&program);
}
