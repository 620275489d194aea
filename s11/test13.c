// test13: TcpClient with retry. Connects to 127.0.0.1:9981 (REACTOR_PORT; test8 or test9 on the
// other end), sends "Hello\n", prints each connection going up and down and each message, and
// reconnects through the Connector's backoff when the server goes away and comes back.
// REACTOR_CONNECT_TIMEOUT_MS sets the connect timeout (default 0: none, as in the tutorial).
// Runs until SIGTERM or SIGINT, then exits 0.
#include "EventLoop.h"
#include "QuitSignals.h"
#include "TcpClient.h"

#include "CurrentThread.h"
#include "Settings.h"

#include <stdio.h>
#include <stdlib.h>

static const char kMessage[] = "Hello\n";

// test8's connection and message lines, repeated as in muduo's test13.cc so that each program
// reads alone; onConnection also sends the greeting.
static void onConnection(void *arg, TcpConnection *conn) {
  (void)arg;
  char peer[kHostPortLen];
  if (TcpConnection_connected(conn)) {
    printf("onConnection(): tid=%d new connection [%s] from %s\n", CurrentThread_tid(),
           TcpConnection_name(conn),
           InetAddress_toHostPort(TcpConnection_peerAddress(conn), peer, sizeof peer));
    TcpConnection_send(conn, kMessage, sizeof kMessage - 1);
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
  char *payload = Buffer_retrieveAllAsString(buf);
  printf("onMessage(): [%s]\n", payload);
  free(payload);
}

int main(void) {
  // test12's start, on a TcpClient; QuitSignals because this client runs until SIGTERM or
  // SIGINT.
  setvbuf(stdout, NULL, _IOLBF, 0);
  uint16_t port = Settings_port("test13");
  long connectTimeoutMs = Settings_connectTimeoutMs("test13");
  EventLoop loop;
  EventLoop_init(&loop);
  QuitSignals quitSignals;
  QuitSignals_init(&quitSignals, &loop);

  InetAddress serverAddr;
  InetAddress_initFromIpPort(&serverAddr, "127.0.0.1", port);
  TcpClient *client = TcpClient_new(&loop, &serverAddr, "test13");
  TcpClient_setConnectionCallback(client, onConnection, NULL);
  TcpClient_setMessageCallback(client, onMessage, NULL);
  TcpClient_enableRetry(client);
  TcpClient_setConnectTimeout(client, (int)connectTimeoutMs);
  TcpClient_connect(client);

  EventLoop_loop(&loop);

  TcpClient_free(client);
  QuitSignals_destroy(&quitSignals);
  EventLoop_destroy(&loop);
  return 0;
}
