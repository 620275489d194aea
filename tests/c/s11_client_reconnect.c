// s11_client_reconnect: a TcpClient connects, disconnects (half-close, no retry), and when the
// connection is down connects again from a timer. The second connect must make a new
// connection (the Connector was left in its connected state by the first one). A connect while
// connected, before the disconnect, must make none: one client, one connection. Prints "up N"
// and "down" lines; exits 0 after the second connection is up.
#include "EventLoop.h"
#include "TcpClient.h"
#include "Settings.h"
#include <stdio.h>

static EventLoop *g_loop;
static TcpClient *g_client;
static int ups = 0;

static void again(void *arg) {
  (void)arg;
  TcpClient_connect(g_client);
}
static void onConn(void *arg, TcpConnection *conn) {
  (void)arg;
  if (TcpConnection_connected(conn)) {
    printf("up %d\n", ++ups);
    if (ups == 2)
      EventLoop_quit(g_loop);
    else {
      TcpClient_connect(g_client); // already connected: nothing to do
      TcpClient_disconnect(g_client);
    }
  } else {
    printf("down\n");
    EventLoop_runAfter(g_loop, 0.2, again, NULL);
  }
}
int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;
  InetAddress a;
  InetAddress_initFromIpPort(&a, "127.0.0.1", Settings_port("s11_client_reconnect"));
  g_client = TcpClient_new(&loop, &a, "reconnect");
  TcpClient_setConnectionCallback(g_client, onConn, NULL);
  TcpClient_connect(g_client);
  EventLoop_loop(&loop);
  TcpClient_free(g_client);
  EventLoop_destroy(&loop);
  return ups == 2 ? 0 : 1;
}
