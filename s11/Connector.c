#include "Connector.h"

#include "EventLoop.h"
#include "Logging.h"
#include "SocketsOps.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

// The attempts form a cycle: start -> connect -> a handler -> retry -> the timer -> start.
static void Connector_startInLoop(void *arg);

static const char *state_to_string(ConnectorState state) {
  static const char *const kNames[] = {"kDisconnected", "kConnecting", "kConnected"};
  return state <= kConnectorConnected ? kNames[state] : "unknown state";
}

Connector *Connector_new(EventLoop *loop, const InetAddress *serverAddr) {
  Connector *self = calloc(1, sizeof *self);
  if (self == NULL)
    LOG_FATAL("out of memory creating a Connector");
  self->loop = loop;
  self->serverAddr = *serverAddr;
  atomic_init(&self->refCount, 1);
  atomic_init(&self->connect, false);
  self->state = kConnectorDisconnected;
  self->retryDelayMs = kInitRetryDelayMs;
  self->randomState = (unsigned)(uintptr_t)self ^ (unsigned)Timestamp_now().microSecondsSinceEpoch;
  LOG_DEBUG("ctor[%p]", (void *)self);
  return self;
}

// Called by the last Connector_unref.
static void Connector_free(Connector *self) {
  LOG_DEBUG("dtor[%p]", (void *)self);
  // No timer is pending (each holds a reference), no connect (stop or a handler reset the channel).
  assert(!self->retryPending && !self->timeoutPending);
  assert(self->channel == NULL);
  free(self);
}

void Connector_unref(Connector *self) {
  int old = atomic_fetch_sub(&self->refCount, 1);
  assert(old > 0);
  if (old == 1)
    Connector_free(self);
}

// Take and drop a reference, as Functors: for the Channel's tie, queued calls and the timers.
static void hold(void *arg) {
  int old = atomic_fetch_add(&((Connector *)arg)->refCount, 1);
  assert(old > 0);
  (void)old;
}

static void release(void *arg) { Connector_unref(arg); }

static void free_channel(void *arg) {
  Channel_destroy(arg);
  free(arg);
}

// Cancels the retry timer or the connect timeout, if pending, and drops the timer's reference.
static void cancel_timer(Connector *self, TimerId timer, bool *pending) {
  if (!*pending)
    return;
  EventLoop_cancel(self->loop, timer); // in the loop thread: takes effect at once
  *pending = false;
  Connector_unref(self); // the timer's reference
}

// Takes the channel out of the loop, cancels the connect timeout (every end of an attempt comes
// here) and returns the fd. The Channel is freed later: we are usually inside its handleEvent,
// which must not find itself freed; the free needs nothing of the Connector, which may go first.
static int Connector_removeAndResetChannel(Connector *self) {
  cancel_timer(self, self->timeoutTimer, &self->timeoutPending);
  Channel *channel = self->channel;
  Channel_disableAll(channel);
  Channel_remove(channel);
  int sockfd = Channel_fd(channel);
  self->channel = NULL;
  EventLoop_queueInLoop(self->loop, free_channel, channel);
  return sockfd;
}

// --- retrying --------------------------------------------------------------------------------
static void retry_timer_fired(void *arg) {
  Connector *self = arg;
  self->retryPending = false;
  Connector_startInLoop(self);
  Connector_unref(self); // the timer's reference
}

// Closes sockfd (if any), schedules the next attempt; the delay then doubles, up to the cap.
static void Connector_retry(Connector *self, int sockfd) {
  if (sockfd >= 0)
    sockets_close(sockfd);
  self->state = kConnectorDisconnected;
  if (!atomic_load(&self->connect)) {
    LOG_DEBUG("do not connect");
    return;
  }
  int delayMs = self->retryDelayMs;
  if (self->jitter && delayMs > 1)
    delayMs = delayMs / 2 + rand_r(&self->randomState) % (delayMs / 2 + 1);
  char addr[kHostPortLen];
  LOG_INFO("Retry connecting to %s in %d milliseconds.",
           InetAddress_toHostPort(&self->serverAddr, addr, sizeof addr), delayMs);
  hold(self);
  self->retryTimer = EventLoop_runAfter(self->loop, delayMs / 1000.0, retry_timer_fired, self);
  self->retryPending = true;
  self->retryDelayMs =
      self->retryDelayMs * 2 < kMaxRetryDelayMs ? self->retryDelayMs * 2 : kMaxRetryDelayMs;
}

// --- connecting ------------------------------------------------------------------------------
typedef enum { kWait, kRetry, kGiveUp } ConnectVerdict; // for an errno of connect(2) or SO_ERROR
static ConnectVerdict classify(int e) {
  // EINPROGRESS is the usual answer of a non-blocking connect: wait for writability.
  if (e == 0 || e == EINPROGRESS || e == EINTR || e == EISCONN)
    return kWait;
  // Failures that may pass: nobody listening yet, out of local ports for now, no route yet.
  if (e == ECONNREFUSED || e == EAGAIN || e == EADDRINUSE || e == EADDRNOTAVAIL ||
      e == ENETUNREACH || e == ETIMEDOUT || e == EHOSTUNREACH)
    return kRetry;
  return kGiveUp; // EACCES, EPERM, EAFNOSUPPORT, EALREADY, EBADF, EFAULT, ENOTSOCK, ...
}

// An attempt failed with savedErrno (from connect(2) or SO_ERROR): retry, or give up for good.
static void retry_or_give_up(Connector *self, int sockfd, int savedErrno) {
  if (classify(savedErrno) != kGiveUp) {
    Connector_retry(self, sockfd);
    return;
  }
  char addr[kHostPortLen];
  errno = savedErrno;
  LOG_SYSERR("Connector: cannot connect to %s, giving up",
             InetAddress_toHostPort(&self->serverAddr, addr, sizeof addr));
  sockets_close(sockfd);
  self->state = kConnectorDisconnected;
  atomic_store(&self->connect, false);
  if (self->errorCallback)
    self->errorCallback(self->errorArg, savedErrno);
}

static void Connector_handleWrite(void *arg) {
  Connector *self = arg;
  LOG_TRACE("state = %s", state_to_string(self->state));
  // The error handler or stop() may have ended this attempt in the same poll round.
  if (self->state != kConnectorConnecting)
    return;
  int sockfd = Connector_removeAndResetChannel(self);
  // Writable does not mean connected: a refused connect is writable too. SO_ERROR tells.
  int err = sockets_getSocketError(sockfd);
  LOG_TRACE("fd %d: SO_ERROR = %d", sockfd, err);
  if (err != 0) {
    retry_or_give_up(self, sockfd, err);
    return;
  }
  // A connect to a local port nobody listens on may pick it as source: a TCP self-connect.
  if (sockets_isSelfConnect(sockfd)) {
    LOG_WARN("Connector_handleWrite - Self connect");
    Connector_retry(self, sockfd);
    return;
  }
  LOG_TRACE("fd %d: not a self-connect", sockfd);
  self->state = kConnectorConnected;
  self->connectedAt = Timestamp_now();
  struct sockaddr_in local = sockets_getLocalAddr(sockfd);
  char localText[kHostPortLen], peerText[kHostPortLen];
  LOG_TRACE("connected from local address %s to %s",
            sockets_toHostPort(localText, sizeof localText, &local),
            InetAddress_toHostPort(&self->serverAddr, peerText, sizeof peerText));
  if (atomic_load(&self->connect) && self->newConnectionCallback)
    self->newConnectionCallback(self->newConnectionArg, sockfd);
  else
    sockets_close(sockfd);
}

// It begins as handleWrite does: either handler may be the one that ends the attempt.
static void Connector_handleError(void *arg) {
  Connector *self = arg;
  LOG_TRACE("state = %s", state_to_string(self->state));
  if (self->state != kConnectorConnecting)
    return;
  int sockfd = Connector_removeAndResetChannel(self);
  int err = sockets_getSocketError(sockfd);
  LOG_TRACE("fd %d: SO_ERROR = %d", sockfd, err);
  retry_or_give_up(self, sockfd, err); // an error event with SO_ERROR 0 is retried too
}

// No answer to the SYN yet (the kernel would resend it for ~2 minutes): retry, as for ETIMEDOUT.
// A result or a stop in the same iteration is safe in either order: removing the channel cancels
// this timer; this timer leaves the state kConnectorDisconnected, which the handlers check.
static void connect_timeout_fired(void *arg) {
  Connector *self = arg;
  self->timeoutPending = false;
  if (self->state == kConnectorConnecting) {
    char addr[kHostPortLen];
    LOG_WARN("Connector: connecting to %s timed out after %d ms",
             InetAddress_toHostPort(&self->serverAddr, addr, sizeof addr), self->connectTimeoutMs);
    retry_or_give_up(self, Connector_removeAndResetChannel(self), ETIMEDOUT);
  }
  Connector_unref(self); // the timer's reference
}

static void Connector_connecting(Connector *self, int sockfd) {
  self->state = kConnectorConnecting;
  assert(self->channel == NULL);
  self->channel = malloc(sizeof *self->channel);
  if (self->channel == NULL)
    LOG_FATAL("out of memory creating the Connector's channel");
  Channel_init(self->channel, self->loop, sockfd);
  // Writable means the connect has finished, one way or the other.
  Channel_setWriteCallback(self->channel, Connector_handleWrite, self);
  Channel_setErrorCallback(self->channel, Connector_handleError, self);
  // Hold the Connector while a handler runs: the owner may drop it from a callback.
  Channel_tie(self->channel, hold, release, self);
  Channel_enableWriting(self->channel);
  if (self->connectTimeoutMs > 0) {
    hold(self);
    self->timeoutTimer = EventLoop_runAfter(self->loop, self->connectTimeoutMs / 1000.0,
                                            connect_timeout_fired, self);
    self->timeoutPending = true;
  }
}

static void Connector_connect(Connector *self) {
  int sockfd = sockets_createNonblockingOrDie();
  int savedErrno = 0;
  if (self->hasLocalAddr) { // bind the chosen source address
    // Reuse: a source port just used by a closed (TIME_WAIT) connection may be bound again.
    int on = 1;
    setsockopt(sockfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    savedErrno = sockets_bind(sockfd, &self->localAddr.addr) == 0 ? 0 : errno;
  }
  if (savedErrno == 0)
    savedErrno = sockets_connect(sockfd, &self->serverAddr.addr) == 0 ? 0 : errno;
  if (classify(savedErrno) == kWait)
    Connector_connecting(self, sockfd);
  else
    retry_or_give_up(self, sockfd, savedErrno);
}

// --- start, restart, stop --------------------------------------------------------------------
static void Connector_startInLoop(void *arg) {
  Connector *self = arg;
  EventLoop_assertInLoopThread(self->loop);
  // kConnected: the fd went to the owner; a new start (TcpClient reconnecting) wants a new one.
  if (self->state == kConnectorConnected)
    self->state = kConnectorDisconnected;
  if (self->state != kConnectorDisconnected || self->retryPending)
    return; // already connecting, or waiting to retry
  if (atomic_load(&self->connect))
    Connector_connect(self);
  else
    LOG_DEBUG("do not connect");
}

void Connector_start(Connector *self) {
  atomic_store(&self->connect, true);
  hold(self); // the call's
  EventLoop_runInLoopWithRelease(self->loop, Connector_startInLoop, self, release);
}

void Connector_restart(Connector *self) {
  EventLoop_assertInLoopThread(self->loop);
  cancel_timer(self, self->retryTimer, &self->retryPending);
  self->state = kConnectorDisconnected;
  atomic_store(&self->connect, true);
  double uptimeMs = Timestamp_timeDifference(Timestamp_now(), self->connectedAt) * 1000;
  if (uptimeMs >= kMinStableConnectionMs) {
    self->retryDelayMs = kInitRetryDelayMs;
    Connector_startInLoop(self);
  } else {
    Connector_retry(self, -1);
  }
}

static void Connector_stopInLoop(void *arg) {
  Connector *self = arg;
  EventLoop_assertInLoopThread(self->loop);
  // A start since this stop (run at once, or queued behind it) set connect again: it wins.
  if (atomic_load(&self->connect))
    return;
  cancel_timer(self, self->retryTimer, &self->retryPending);
  if (self->state == kConnectorConnecting) {
    self->state = kConnectorDisconnected;
    sockets_close(Connector_removeAndResetChannel(self));
  }
}

void Connector_stop(Connector *self) {
  atomic_store(&self->connect, false);
  hold(self); // the call's
  // Queued even in the loop thread: stop may be called from inside this Connector's handler.
  EventLoop_queueInLoopWithRelease(self->loop, Connector_stopInLoop, self, release);
}
