// pingpong_client: muduo's ping-pong benchmark client.
//   pingpong_client threads blocksize sessions seconds
// Opens `sessions` TcpClients (spread over `threads` IO loops; 0 = all on the main loop) to
// 127.0.0.1:9981 (REACTOR_PORT), sends one block of `blocksize` bytes on each, echoes back
// whatever arrives for `seconds`, then disconnects and prints the totals. A session that is not
// connected when the time is up (no server, or one that has not answered yet) stops trying, so
// the client ends even if no session ever connected.
// Each session's TcpClient lives in its own loop's thread: main queues its creation, its
// stop and its free there, so the client is never touched from another thread.
#include "EventLoop.h"
#include "EventLoopThreadPool.h"
#include "TcpClient.h"

#include "Logging.h"
#include "Settings.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct Session {
  EventLoop *loop; // set by main before the session starts
  // the session's loop thread only
  TcpClient *client;
  long long bytesRead;
  long long messagesRead;
  bool up;      // its connection is up
  bool stopped; // the time is up: it has disconnected and stopped trying
} Session;

typedef struct Client {
  EventLoop *loop; // the main loop: the timer and the final quit
  EventLoopThreadPool *threadPool;
  InetAddress serverAddr;
  Session *sessions;
  int sessionCount;
  char *message;
  size_t blockSize;
  atomic_int numConnected;
  atomic_int numFinished; // sessions stopped with no connection left up
  int timeout;
} Client;

static Client g_client;

static void quit_main_loop(void *arg) {
  (void)arg;
  EventLoop_quit(g_client.loop);
}

static void report(void) {
  long long totalBytesRead = 0;
  long long totalMessagesRead = 0;
  for (int i = 0; i < g_client.sessionCount; ++i) {
    totalBytesRead += g_client.sessions[i].bytesRead;
    totalMessagesRead += g_client.sessions[i].messagesRead;
  }
  LOG_WARN("%lld total bytes read", totalBytesRead);
  LOG_WARN("%lld total messages read", totalMessagesRead);
  LOG_WARN("%g average message size",
           totalMessagesRead ? (double)totalBytesRead / (double)totalMessagesRead : 0.0);
  LOG_WARN("%g MiB/s throughput",
           (double)totalBytesRead / (g_client.timeout * 1024.0 * 1024.0));
}

// A session is finished once it has stopped and its connection, if any, is down; the last one to
// finish quits the main loop. Every session has stopped counting by then: their loops wrote
// their last counts before this.
static void finish(void) {
  if (atomic_fetch_add(&g_client.numFinished, 1) + 1 == g_client.sessionCount)
    EventLoop_queueInLoop(g_client.loop, quit_main_loop, NULL);
}

static void onConnection(void *arg, TcpConnection *conn) {
  Session *session = arg;
  session->up = TcpConnection_connected(conn);
  if (session->up) {
    TcpConnection_setTcpNoDelay(conn, true);
    TcpConnection_send(conn, g_client.message, g_client.blockSize);
    if (atomic_fetch_add(&g_client.numConnected, 1) + 1 == g_client.sessionCount)
      LOG_WARN("all connected");
    return;
  }
  if (atomic_fetch_sub(&g_client.numConnected, 1) - 1 == 0)
    LOG_WARN("all disconnected");
  if (session->stopped)
    finish();
}

static void onMessage(void *arg, TcpConnection *conn, Buffer *buf, Timestamp receiveTime) {
  Session *session = arg;
  (void)receiveTime;
  ++session->messagesRead;
  session->bytesRead += (long long)Buffer_readableBytes(buf);
  // After "stop" the writing side is shut down: count what still arrives, send nothing back.
  if (TcpConnection_connected(conn))
    TcpConnection_sendBuffer(conn, buf);
  else
    Buffer_retrieveAll(buf);
}

// Runs in the session's loop thread, where its TcpClient lives (see the top of the file).
// Connector_setJitter, like the TcpClient setters, must come before connect.
static void start_session(void *arg) {
  Session *session = arg;
  char name[32];
  snprintf(name, sizeof name, "C%05d", (int)(session - g_client.sessions));
  session->client = TcpClient_new(session->loop, &g_client.serverAddr, name);
  // Many clients: spread their retries so they do not come back in lock-step.
  Connector_setJitter(TcpClient_connector(session->client), true);
  TcpClient_setConnectionCallback(session->client, onConnection, session);
  TcpClient_setMessageCallback(session->client, onMessage, session);
  TcpClient_connect(session->client);
}

// Half-closes a connection that is up (it finishes at its "down") and stops any retrying.
static void stop_session(void *arg) {
  Session *session = arg;
  TcpClient_disconnect(session->client);
  TcpClient_stop(session->client);
  session->stopped = true;
  if (!session->up)
    finish();
}

static void handleTimeout(void *arg) {
  (void)arg;
  LOG_WARN("stop");
  for (int i = 0; i < g_client.sessionCount; ++i)
    EventLoop_runInLoop(g_client.sessions[i].loop, stop_session, &g_client.sessions[i]);
}

static void free_session(void *arg) {
  Session *session = arg;
  TcpClient_free(session->client);
}

int main(int argc, char *argv[]) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc != 5) {
    fprintf(stderr, "usage: pingpong_client threads blocksize sessions seconds\n");
    return 1;
  }
  uint16_t port = Settings_port("pingpong_client");
  int threads = (int)Settings_longArg("pingpong_client", argc, argv, 1, "threads", 0, 64, 0);
  long blockSize = Settings_longArg("pingpong_client", argc, argv, 2, "blocksize", 1, 1L << 26, 0);
  int sessions = (int)Settings_longArg("pingpong_client", argc, argv, 3, "sessions", 1, 100000, 0);
  int seconds = (int)Settings_longArg("pingpong_client", argc, argv, 4, "seconds", 1, 86400, 0);
  Logger_setLogLevel(LOG_LEVEL_WARN);

  EventLoop loop;
  EventLoop_init(&loop);
  g_client.loop = &loop;
  g_client.blockSize = (size_t)blockSize;
  g_client.message = malloc(g_client.blockSize);
  g_client.sessions = calloc((size_t)sessions, sizeof *g_client.sessions);
  if (g_client.message == NULL || g_client.sessions == NULL) {
    fprintf(stderr, "pingpong_client: out of memory\n");
    return 1;
  }
  for (size_t i = 0; i < g_client.blockSize; ++i)
    g_client.message[i] = (char)(i % 128);
  g_client.sessionCount = sessions;
  g_client.timeout = seconds;
  atomic_init(&g_client.numConnected, 0);
  atomic_init(&g_client.numFinished, 0);

  g_client.threadPool = EventLoopThreadPool_new(&loop);
  EventLoopThreadPool_setThreadNum(g_client.threadPool, threads);
  EventLoopThreadPool_start(g_client.threadPool);

  InetAddress_initFromIpPort(&g_client.serverAddr, "127.0.0.1", port);
  for (int i = 0; i < sessions; ++i) {
    Session *session = &g_client.sessions[i];
    session->loop = EventLoopThreadPool_getNextLoop(g_client.threadPool);
    EventLoop_runInLoop(session->loop, start_session, session);
  }
  EventLoop_runAfter(&loop, seconds, handleTimeout, NULL);

  EventLoop_loop(&loop);
  report();

  for (int i = 0; i < sessions; ++i)
    EventLoop_runInLoop(g_client.sessions[i].loop, free_session, &g_client.sessions[i]);
  // Each IO loop runs its queued frees before its thread ends.
  EventLoopThreadPool_free(g_client.threadPool);
  EventLoop_destroy(&loop);
  free(g_client.sessions);
  free(g_client.message);
  return 0;
}
