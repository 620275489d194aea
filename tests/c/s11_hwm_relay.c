// s11_hwm_relay [MARK [FLOW]]: flow control with the high-water-mark callback.
//
// A relay server (REACTOR_PORT, 0 IO threads): its first connection is the sink, its second
// the source, and every byte read from the source is sent on to the sink. A sink that reads
// slowly makes the sink's output buffer grow; when it crosses MARK bytes (default 65536) the
// high-water-mark callback stops reading the source (TcpConnection_stopRead), and the sink's
// write-complete callback resumes it (TcpConnection_startRead). TCP's own flow control then
// holds the source back, so the relay's memory stays bounded whatever the source sends.
// FLOW=0 leaves the source running, to show the memory the mark saves.
//
// Prints "sink up" / "source up" when they connect and, when the source has finished (EOF),
// "relayed N bytes, high-water-mark callbacks K, largest output buffer M bytes", then shuts
// the sink down after the last byte. Exits 0 on SIGTERM.
#include "ServerMain.h"
#include "TcpServer.h"

#include "Settings.h"

#include <stdio.h>

static TcpConnection *g_sink;
static TcpConnection *g_source;
static bool g_flowControl = true;
static long long g_relayed;
static int g_highWaterMarks;
static size_t g_largestOutput;

static void onConnection(void *arg, TcpConnection *conn) {
  (void)arg;
  if (TcpConnection_connected(conn)) {
    if (g_sink == NULL) {
      g_sink = conn;
      printf("sink up\n");
    } else if (g_source == NULL) {
      g_source = conn;
      printf("source up\n");
    } else {
      printf("a third connection: closed\n");
      TcpConnection_forceClose(conn);
      return;
    }
    TcpConnection_ref(conn);
  } else if (conn == g_source) {
    printf("relayed %lld bytes, high-water-mark callbacks %d, largest output buffer %zu bytes\n",
           g_relayed, g_highWaterMarks, g_largestOutput);
    g_source = NULL;
    if (g_sink != NULL)
      TcpConnection_shutdown(g_sink); // after the output drains: the sink reads all, then EOF
    TcpConnection_unref(conn);
  } else if (conn == g_sink) {
    printf("sink down\n");
    g_sink = NULL;
    TcpConnection_unref(conn);
  }
}

static void onMessage(void *arg, TcpConnection *conn, Buffer *buf, Timestamp receiveTime) {
  (void)arg;
  (void)receiveTime;
  if (conn != g_source || g_sink == NULL) {
    Buffer_retrieveAll(buf);
    return;
  }
  g_relayed += (long long)Buffer_readableBytes(buf);
  TcpConnection_sendBuffer(g_sink, buf);
  size_t pending = Buffer_readableBytes(TcpConnection_outputBuffer(g_sink));
  if (pending > g_largestOutput)
    g_largestOutput = pending;
}

// The sink's output crossed the mark: stop taking input until it drains.
static void onHighWaterMark(void *arg, TcpConnection *conn, size_t len) {
  (void)arg;
  (void)len;
  if (conn != g_sink)
    return;
  ++g_highWaterMarks;
  if (g_flowControl && g_source != NULL)
    TcpConnection_stopRead(g_source);
}

// The sink's output drained: take input again.
static void onWriteComplete(void *arg, TcpConnection *conn) {
  (void)arg;
  if (conn == g_sink && g_source != NULL)
    TcpConnection_startRead(g_source);
}

int main(int argc, char *argv[]) {
  ServerMain program;
  ServerMain_init(&program, "s11_hwm_relay");
  long mark = Settings_longArg("s11_hwm_relay", argc, argv, 1, "mark", 1, 1L << 30, 65536);
  g_flowControl = Settings_longArg("s11_hwm_relay", argc, argv, 2, "flow", 0, 1, 1) == 1;

  TcpServer *server = ServerMain_newServer(&program);
  TcpServer_setConnectionCallback(server, onConnection, NULL);
  TcpServer_setMessageCallback(server, onMessage, NULL);
  TcpServer_setWriteCompleteCallback(server, onWriteComplete, NULL);
  TcpServer_setHighWaterMarkCallback(server, onHighWaterMark, NULL, (size_t)mark);
  // Connections still up go down when run frees the server: onConnection drops their references.
  return ServerMain_run(&program);
}
