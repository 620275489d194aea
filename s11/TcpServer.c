#include "TcpServer.h"

#include "EventLoop.h"
#include "Logging.h"
#include "SocketsOps.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

static void TcpServer_newConnection(void *arg, int sockfd, const InetAddress *peerAddr);

TcpServer *TcpServer_new(EventLoop *loop, const InetAddress *listenAddr) {
  TcpServer *self = calloc(1, sizeof *self);
  if (self == NULL)
    LOG_FATAL("out of memory creating a TcpServer");
  self->loop = loop;
  if (Acceptor_init(&self->acceptor, loop, listenAddr) < 0) {
    free(self);
    return NULL;
  }
  InetAddress bound = Acceptor_listenAddress(&self->acceptor);
  InetAddress_toHostPort(&bound, self->name, sizeof self->name);
  self->threadPool = EventLoopThreadPool_new(loop);
  self->callbacks.highWaterMark = kDefaultHighWaterMark;
  atomic_init(&self->pendingRemovals, 0);
  Acceptor_setNewConnectionCallback(&self->acceptor, TcpServer_newConnection, self);
  return self;
}

void TcpServer_setThreadNum(TcpServer *self, int numThreads) {
  EventLoopThreadPool_setThreadNum(self->threadPool, numThreads);
}

int TcpServer_start(TcpServer *self) {
  EventLoop_assertInLoopThread(self->loop);
  assert(!self->started);
  self->started = true;
  EventLoopThreadPool_start(self->threadPool);
  return Acceptor_listen(&self->acceptor);
}

const char *TcpServer_name(const TcpServer *self) { return self->name; }
InetAddress TcpServer_listenAddress(const TcpServer *self) {
  return Acceptor_listenAddress(&self->acceptor);
}
size_t TcpServer_numConnections(const TcpServer *self) { return self->numConnections; }

void TcpServer_setConnectionCallback(TcpServer *self, ConnectionCallback cb, void *arg) {
  self->callbacks.connectionCallback = cb;
  self->callbacks.connectionArg = arg;
}

void TcpServer_setMessageCallback(TcpServer *self, MessageCallback cb, void *arg) {
  self->callbacks.messageCallback = cb;
  self->callbacks.messageArg = arg;
}

void TcpServer_setWriteCompleteCallback(TcpServer *self, WriteCompleteCallback cb, void *arg) {
  self->callbacks.writeCompleteCallback = cb;
  self->callbacks.writeCompleteArg = arg;
}

void TcpServer_setHighWaterMarkCallback(TcpServer *self, HighWaterMarkCallback cb, void *arg,
                                        size_t highWaterMark) {
  self->callbacks.highWaterMarkCallback = cb;
  self->callbacks.highWaterMarkArg = arg;
  self->callbacks.highWaterMark = highWaterMark;
}

// --- the table ------------------------------------------------------------------------------

static void table_insert(TcpServer *self, TcpConnection *conn) {
  conn->prev = NULL;
  conn->next = self->connections;
  if (self->connections)
    self->connections->prev = conn;
  self->connections = conn;
  ++self->numConnections;
}

static void table_erase(TcpServer *self, TcpConnection *conn) {
  if (conn->prev)
    conn->prev->next = conn->next;
  else
    self->connections = conn->next;
  if (conn->next)
    conn->next->prev = conn->prev;
  conn->prev = conn->next = NULL;
  --self->numConnections;
}

// --- accepting and removing -------------------------------------------------------------------

static void TcpServer_removeConnection(void *arg, TcpConnection *conn);

static void TcpServer_newConnection(void *arg, int sockfd, const InetAddress *peerAddr) {
  TcpServer *self = arg;
  EventLoop_assertInLoopThread(self->loop);
  EventLoop *ioLoop = EventLoopThreadPool_getNextLoop(self->threadPool);
  char connName[sizeof self->name + 16];
  snprintf(connName, sizeof connName, "%s#%d", self->name, ++self->nextConnId);
  char peer[kHostPortLen];
  LOG_INFO("TcpServer_newConnection [%s] - new connection [%s] from %s", self->name, connName,
           InetAddress_toHostPort(peerAddr, peer, sizeof peer));

  struct sockaddr_in local = sockets_getLocalAddr(sockfd);
  InetAddress localAddr;
  InetAddress_initFromSockAddr(&localAddr, &local);
  // The table's reference is the one TcpConnection_new returns.
  TcpConnection *conn = TcpConnection_new(ioLoop, connName, sockfd, &localAddr, peerAddr);
  table_insert(self, conn);
  TcpConnection_setCallbacks(conn, &self->callbacks);
  TcpConnection_setCloseCallback(conn, TcpServer_removeConnection, self);
  TcpConnection_ref(conn); // the queued call's
  EventLoop_runInLoopWithRelease(ioLoop, TcpConnection_connectEstablished, conn,
                                 TcpConnection_release);
}

// Base loop thread: the table lets go; the connection is destroyed back in its IO loop.
static void TcpServer_removeConnectionInLoop(void *arg) {
  TcpConnection *conn = arg;
  TcpServer *self = conn->closeArg;
  EventLoop_assertInLoopThread(self->loop);
  if (!self->freeing) {
    LOG_INFO("TcpServer_removeConnectionInLoop [%s] - connection %s", self->name, conn->name);
    table_erase(self, conn);
    // The table's reference goes with the queued call.
    EventLoop_queueInLoopWithRelease(TcpConnection_getLoop(conn), TcpConnection_connectDestroyed,
                                     conn, TcpConnection_release);
  }
  if (atomic_fetch_sub(&self->pendingRemovals, 1) == 1 && self->freeing)
    free(self);
}

// The connection's close callback, in its IO loop thread: hop to the base loop.
static void TcpServer_removeConnection(void *arg, TcpConnection *conn) {
  TcpServer *self = arg;
  atomic_fetch_add(&self->pendingRemovals, 1);
  TcpConnection_ref(conn); // the hop's
  EventLoop_runInLoopWithRelease(self->loop, TcpServer_removeConnectionInLoop, conn,
                                 TcpConnection_release);
}

void TcpServer_free(TcpServer *self) {
  if (self == NULL)
    return;
  EventLoop_assertInLoopThread(self->loop);
  LOG_TRACE("TcpServer_free [%s] with %zu connections", self->name, self->numConnections);
  self->freeing = true;
  Acceptor_destroy(&self->acceptor);
  while (self->connections != NULL) {
    TcpConnection *conn = self->connections;
    table_erase(self, conn);
    EventLoop_runInLoopWithRelease(TcpConnection_getLoop(conn), TcpConnection_connectDestroyed,
                                   conn, TcpConnection_release); // the table's reference
  }
  // Joining the IO threads runs their queued work, these connectDestroyed calls included.
  EventLoopThreadPool_free(self->threadPool);
  self->threadPool = NULL;
  // A removal may still be on its way to the base loop: the last one frees the server.
  if (atomic_load(&self->pendingRemovals) == 0)
    free(self);
}
