// Connector: the active side's first step - connect a new socket to a server, and keep trying.
//
// start -> startInLoop -> connect: a non-blocking connect(2) that usually answers EINPROGRESS;
// the socket is then watched for writability (state kConnectorConnecting). Writable means the
// attempt is over, not that it worked: handleWrite reads SO_ERROR to learn the result, checks
// for a self-connect, and on success hands the connected fd to the owner (a TcpClient), which
// makes a TcpConnection of it. Failures that may pass (refused, unreachable, timed out) are
// retried after a delay: 500 ms, doubling up to 30 s, with optional jitter. Failures that will
// not pass (permission, bad address family) are reported and the Connector stops. With a
// connect timeout set, an attempt still connecting when it expires is abandoned and retried as
// ETIMEDOUT (without one, the kernel's SYN retries decide: about two minutes).
//
// Lifetime: a reference count (muduo's shared_ptr<Connector>). References are held by the
// owner (from Connector_new), by each call queued for it, by a pending retry timer, by a pending
// connect timeout, and by its Channel while a handler runs. The last Connector_unref frees it.
// Thread rules: new and the setters in any thread, before start (the callback setters also
// later, in the loop thread); start, stop and unref in any thread; restart in the loop thread.
// Its callbacks run in the loop thread.
#ifndef REACTOR_CONNECTOR_H
#define REACTOR_CONNECTOR_H

#include "Channel.h"
#include "InetAddress.h"
#include "TimerId.h"
#include "Timestamp.h"

#include <stdatomic.h>
#include <stdbool.h>

struct EventLoop;

// Connected: the fd is the callee's now.
typedef void (*ConnectCallback)(void *arg, int sockfd);
// The Connector gave up: savedErrno says why.
typedef void (*ConnectErrorCallback)(void *arg, int savedErrno);

typedef enum ConnectorState {
  kConnectorDisconnected,
  kConnectorConnecting,
  kConnectorConnected,
} ConnectorState;

enum {
  kMaxRetryDelayMs = 30 * 1000,
  kInitRetryDelayMs = 500,
  // A connection that dies sooner than this does not reset the backoff on restart, so a
  // server that accepts and closes at once cannot make the client reconnect in a busy loop.
  kMinStableConnectionMs = 1000,
};

typedef struct Connector {
  // set at creation
  struct EventLoop *loop;
  InetAddress serverAddr;
  // set before start
  bool hasLocalAddr;
  InetAddress localAddr;
  bool jitter;
  int connectTimeoutMs; // 0: none
  ConnectCallback newConnectionCallback;
  void *newConnectionArg;
  ConnectErrorCallback errorCallback;
  void *errorArg;
  // any thread
  atomic_int refCount;
  atomic_bool connect; // the owner wants a connection: set by start, cleared by stop
  // loop thread only
  ConnectorState state;
  Channel *channel; // only while connecting; freed after the handler that ends it returns
  int retryDelayMs; // the delay of the next retry
  bool retryPending;
  TimerId retryTimer;
  bool timeoutPending; // only while connecting, with a connect timeout set
  TimerId timeoutTimer;
  Timestamp connectedAt;
  unsigned int randomState; // for jitter
} Connector;

/// A Connector for serverAddr, not started; the caller holds the first reference. Any thread.
Connector *Connector_new(struct EventLoop *loop, const InetAddress *serverAddr);
/// Drops a reference; the owner calls Connector_stop first. Any thread.
void Connector_unref(Connector *self);

/// Called with the connected fd, which is then the callee's.
static inline void Connector_setNewConnectionCallback(Connector *c, ConnectCallback cb, void *arg) {
  c->newConnectionCallback = cb;
  c->newConnectionArg = arg;
}
/// Called when the Connector gives up (an error that is not retried).
static inline void Connector_setErrorCallback(Connector *c, ConnectErrorCallback cb, void *arg) {
  c->errorCallback = cb;
  c->errorArg = arg;
}
/// Binds this local address before each connect (a source address; also makes a
/// self-connect reproducible). Before start.
static inline void Connector_setLocalAddress(Connector *c, const InetAddress *localAddr) {
  c->hasLocalAddr = true;
  c->localAddr = *localAddr;
}
/// Randomises each retry delay within [delay/2, delay], so many clients do not retry in
/// lock-step. Off by default. Before start.
static inline void Connector_setJitter(Connector *c, bool on) { c->jitter = on; }
/// Abandons an attempt still connecting after ms milliseconds and retries it (ETIMEDOUT);
/// 0, the default, leaves it to the kernel. Before start.
static inline void Connector_setConnectTimeout(Connector *c, int ms) { c->connectTimeoutMs = ms; }
static inline const InetAddress *Connector_serverAddress(const Connector *c) {
  return &c->serverAddr;
}

/// Starts connecting; after a connection was handed over, starts a new one. Any thread.
void Connector_start(Connector *self);
/// Connects again after a connection closed: a connection that lived long resets the delay and
/// connects at once; one that died young retries after the current delay. Loop thread.
void Connector_restart(Connector *self);
/// Stops connecting: cancels a pending retry, abandons an attempt in progress. Safe in every
/// state, from any thread.
void Connector_stop(Connector *self);

#endif
