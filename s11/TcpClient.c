#include "TcpClient.h"

#include "EventLoop.h"
#include "Logging.h"
#include "SocketsOps.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

static void TcpClient_newConnection(void *arg, int sockfd);
static void TcpClient_removeConnection(void *arg, TcpConnection *conn);

TcpClient *TcpClient_new(EventLoop *loop, const InetAddress *serverAddr, const char *name) {
  TcpClient *self = calloc(1, sizeof *self);
  if (self == NULL)
    LOG_FATAL("out of memory creating TcpClient %s", name);
  self->loop = loop;
  self->connector = Connector_new(loop, serverAddr);
  self->callbacks.highWaterMark = kDefaultHighWaterMark;
  snprintf(self->name, sizeof self->name, "%s", name);
  atomic_init(&self->connect, false);
  MutexLock_init(&self->mutex);
  Connector_setNewConnectionCallback(self->connector, TcpClient_newConnection, self);
  LOG_TRACE("TcpClient_new[%s] - connector %p", self->name, (void *)self->connector);
  return self;
}

void TcpClient_free(TcpClient *self) {
  if (self == NULL)
    return;
  EventLoop_assertInLoopThread(self->loop);
  LOG_TRACE("TcpClient_free[%s] - connector %p", self->name, (void *)self->connector);
  atomic_store(&self->connect, false);

  MutexLock_lock(&self->mutex);
  TcpConnection *conn = self->connection;
  self->connection = NULL;
  MutexLock_unlock(&self->mutex);
  if (conn != NULL) {
    // The connection outlives us for a moment: cut its way back to this client (with no
    // close callback it destroys itself once closed), then close it.
    TcpConnection_setCloseCallback(conn, NULL, NULL);
    TcpConnection_forceClose(conn);
    TcpConnection_unref(conn);
  }
  // Abandons a connect in progress or a pending retry; the Connector goes when its last
  // reference does, and it calls no callback of ours after stop.
  Connector_setNewConnectionCallback(self->connector, NULL, NULL);
  Connector_setErrorCallback(self->connector, NULL, NULL);
  Connector_stop(self->connector);
  Connector_unref(self->connector);
  MutexLock_destroy(&self->mutex);
  free(self);
}

void TcpClient_connect(TcpClient *self) {
  char addr[kHostPortLen];
  LOG_TRACE("TcpClient_connect[%s] - connecting to %s", self->name,
            InetAddress_toHostPort(Connector_serverAddress(self->connector), addr, sizeof addr));
  atomic_store(&self->connect, true);
  MutexLock_lock(&self->mutex);
  bool connected = self->connection != NULL;
  MutexLock_unlock(&self->mutex);
  if (!connected) // connecting again after a disconnect is fine; two connections are not
    Connector_start(self->connector);
}

void TcpClient_disconnect(TcpClient *self) {
  atomic_store(&self->connect, false);
  MutexLock_lock(&self->mutex);
  if (self->connection != NULL)
    TcpConnection_shutdown(self->connection);
  MutexLock_unlock(&self->mutex);
}

void TcpClient_stop(TcpClient *self) {
  atomic_store(&self->connect, false);
  Connector_stop(self->connector);
}

void TcpClient_enableRetry(TcpClient *self) { self->retry = true; }

void TcpClient_setConnectTimeout(TcpClient *self, int ms) {
  Connector_setConnectTimeout(self->connector, ms);
}

TcpConnection *TcpClient_connection(TcpClient *self) {
  MutexLock_lock(&self->mutex);
  TcpConnection *conn = self->connection;
  if (conn != NULL)
    TcpConnection_ref(conn);
  MutexLock_unlock(&self->mutex);
  return conn;
}

Connector *TcpClient_connector(TcpClient *self) { return self->connector; }
const char *TcpClient_name(const TcpClient *self) { return self->name; }

void TcpClient_setConnectionCallback(TcpClient *self, ConnectionCallback cb, void *arg) {
  self->callbacks.connectionCallback = cb;
  self->callbacks.connectionArg = arg;
}

void TcpClient_setMessageCallback(TcpClient *self, MessageCallback cb, void *arg) {
  self->callbacks.messageCallback = cb;
  self->callbacks.messageArg = arg;
}

void TcpClient_setWriteCompleteCallback(TcpClient *self, WriteCompleteCallback cb, void *arg) {
  self->callbacks.writeCompleteCallback = cb;
  self->callbacks.writeCompleteArg = arg;
}

void TcpClient_setConnectErrorCallback(TcpClient *self, ConnectErrorCallback cb, void *arg) {
  Connector_setErrorCallback(self->connector, cb, arg);
}

// The Connector's callback, in the loop thread: the connected fd becomes our connection.
static void TcpClient_newConnection(void *arg, int sockfd) {
  TcpClient *self = arg;
  EventLoop_assertInLoopThread(self->loop);
  struct sockaddr_in peer = sockets_getPeerAddr(sockfd);
  struct sockaddr_in local = sockets_getLocalAddr(sockfd);
  InetAddress peerAddr, localAddr;
  InetAddress_initFromSockAddr(&peerAddr, &peer);
  InetAddress_initFromSockAddr(&localAddr, &local);
  char peerText[kHostPortLen];
  char connName[sizeof self->name + kHostPortLen + 16];
  snprintf(connName, sizeof connName, "%s:%s#%d", self->name,
           InetAddress_toHostPort(&peerAddr, peerText, sizeof peerText), ++self->nextConnId);

  // Our reference is the one TcpConnection_new returns.
  TcpConnection *conn = TcpConnection_new(self->loop, connName, sockfd, &localAddr, &peerAddr);
  TcpConnection_setCallbacks(conn, &self->callbacks);
  TcpConnection_setCloseCallback(conn, TcpClient_removeConnection, self);
  MutexLock_lock(&self->mutex);
  self->connection = conn;
  MutexLock_unlock(&self->mutex);
  TcpConnection_connectEstablished(conn);
}

// The connection's close callback, in the loop thread: let go of it, maybe reconnect.
static void TcpClient_removeConnection(void *arg, TcpConnection *conn) {
  TcpClient *self = arg;
  EventLoop_assertInLoopThread(self->loop);
  assert(TcpConnection_getLoop(conn) == self->loop);
  MutexLock_lock(&self->mutex);
  assert(self->connection == conn);
  self->connection = NULL;
  MutexLock_unlock(&self->mutex);

  // Our reference goes with the queued call; destruction waits until the handler has returned.
  EventLoop_queueInLoopWithRelease(self->loop, TcpConnection_connectDestroyed, conn,
                                   TcpConnection_release);
  if (self->retry && atomic_load(&self->connect)) {
    char addr[kHostPortLen];
    LOG_INFO("TcpClient_removeConnection[%s] - Reconnecting to %s", self->name,
             InetAddress_toHostPort(Connector_serverAddress(self->connector), addr, sizeof addr));
    Connector_restart(self->connector);
  }
}
