// TcpServer: accepts connections and keeps a table of them.
//
// The Acceptor runs in the server's own loop (the base loop). Each accepted fd becomes a
// TcpConnection named "<server name>#<n>" on the next IO loop of the thread pool; the table
// holds one reference to it until it closes. The server is named after the address it listens
// on ("0.0.0.0:9981"). Create, start and free in the base loop's thread; the callbacks run in
// the connection's IO loop thread.
#ifndef REACTOR_TCPSERVER_H
#define REACTOR_TCPSERVER_H

#include "Acceptor.h"
#include "Callbacks.h"
#include "EventLoopThreadPool.h"
#include "InetAddress.h"
#include "TcpConnection.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct EventLoop;

typedef struct TcpServer {
  // set at creation
  struct EventLoop *loop; // the base loop: accepting, the table
  char name[kHostPortLen];
  Acceptor acceptor;
  EventLoopThreadPool *threadPool;
  // set before start
  ConnectionCallbacks callbacks; // copied into each new connection
  // base loop thread only
  bool started;
  bool freeing;
  int nextConnId;
  TcpConnection *connections; // the table: a doubly linked list through prev/next
  size_t numConnections;
  // any thread: removals on their way from an IO loop to the base loop
  atomic_int pendingRemovals;
} TcpServer;

/// A server for listenAddr; NULL with errno set when the address cannot be bound. Loop thread.
TcpServer *TcpServer_new(struct EventLoop *loop, const InetAddress *listenAddr);
/// Stops accepting, destroys every connection in its IO loop (their connection callbacks see
/// them go down), stops the thread pool. Base loop thread; the loop may have stopped.
void TcpServer_free(TcpServer *self);
/// Number of IO threads: 0 (default) keeps every connection on the base loop. Before start.
void TcpServer_setThreadNum(TcpServer *self, int numThreads);
/// Starts the thread pool and listening. Returns 0, or -1 with errno. Base loop thread, once.
int TcpServer_start(TcpServer *self);
const char *TcpServer_name(const TcpServer *self);
/// The address actually bound (the real port when asked for port 0).
InetAddress TcpServer_listenAddress(const TcpServer *self);
size_t TcpServer_numConnections(const TcpServer *self);

// Callback slots: set before start; each new connection gets them.
void TcpServer_setConnectionCallback(TcpServer *self, ConnectionCallback cb, void *arg);
void TcpServer_setMessageCallback(TcpServer *self, MessageCallback cb, void *arg);
void TcpServer_setWriteCompleteCallback(TcpServer *self, WriteCompleteCallback cb, void *arg);
void TcpServer_setHighWaterMarkCallback(TcpServer *self, HighWaterMarkCallback cb, void *arg,
                                        size_t highWaterMark);

#endif
