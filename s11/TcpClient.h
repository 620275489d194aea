// TcpClient: one Connector and at most one TcpConnection.
//
// A TcpServer has one Acceptor and a table of connections; a TcpClient has one Connector and
// one connection at a time, named "<client name>:<server ip:port>#<n>". With retry enabled,
// a connection that closes is replaced through the Connector's backoff.
// Thread rules: new, the setters and enableRetry in any thread, before connect (nothing reads
// them until connect hands over to the loop, through its mutex); connect, disconnect, stop and
// connection() in any thread (the connection pointer is guarded by a mutex); free in the loop
// thread. Every callback runs in the loop thread.
#ifndef REACTOR_TCPCLIENT_H
#define REACTOR_TCPCLIENT_H

#include "Callbacks.h"
#include "Connector.h"
#include "InetAddress.h"
#include "Mutex.h"
#include "TcpConnection.h"

#include <stdatomic.h>
#include <stdbool.h>

struct EventLoop;

typedef struct TcpClient {
  // set at creation
  struct EventLoop *loop;
  Connector *connector;
  char name[64];
  // set before connect
  ConnectionCallbacks callbacks; // copied into each new connection
  bool retry;
  // loop thread only
  int nextConnId;
  // any thread
  atomic_bool connect;
  // guarded by mutex
  MutexLock mutex;
  TcpConnection *connection; // holds one reference while set
} TcpClient;

/// A client for serverAddr, not connected yet. Any thread.
TcpClient *TcpClient_new(struct EventLoop *loop, const InetAddress *serverAddr, const char *name);
/// Frees the client in any state: a connect in progress or a pending retry is abandoned, a
/// connection is closed (its connection callback sees it go down). Loop thread.
void TcpClient_free(TcpClient *self);

/// Starts connecting (through the Connector's retries); does nothing while a connection is
/// up. After disconnect or stop, connects again. Any thread.
void TcpClient_connect(TcpClient *self);
/// Half-closes the connection, if any; no reconnect follows. Any thread.
void TcpClient_disconnect(TcpClient *self);
/// Stops connecting (a connection already up is left alone). Any thread.
void TcpClient_stop(TcpClient *self);
/// Reconnect when the connection closes. Before connect.
void TcpClient_enableRetry(TcpClient *self);
/// Abandons a connect still in progress after ms milliseconds and retries it (the Connector's
/// connect timeout); 0, the default, waits as long as the kernel does. Before connect.
void TcpClient_setConnectTimeout(TcpClient *self, int ms);
/// The current connection with a reference the caller must drop, or NULL. Any thread.
TcpConnection *TcpClient_connection(TcpClient *self);
Connector *TcpClient_connector(TcpClient *self);
const char *TcpClient_name(const TcpClient *self);

// Callback slots: set before connect; each connection gets a copy.
void TcpClient_setConnectionCallback(TcpClient *self, ConnectionCallback cb, void *arg);
void TcpClient_setMessageCallback(TcpClient *self, MessageCallback cb, void *arg);
void TcpClient_setWriteCompleteCallback(TcpClient *self, WriteCompleteCallback cb, void *arg);
/// Called when the Connector gives up (an error that is not retried). Before connect.
void TcpClient_setConnectErrorCallback(TcpClient *self, ConnectErrorCallback cb, void *arg);

#endif
