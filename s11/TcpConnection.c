#include "TcpConnection.h"

#include "EventLoop.h"
#include "Logging.h"
#include "SocketsOps.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void TcpConnection_handleRead(void *arg, Timestamp receiveTime);
static void TcpConnection_handleWrite(void *arg);
static void TcpConnection_handleClose(void *arg);
static void TcpConnection_handleError(void *arg);

static const char *state_to_string(int state) {
  switch (state) {
  case kConnecting:
    return "kConnecting";
  case kConnected:
    return "kConnected";
  case kDisconnecting:
    return "kDisconnecting";
  case kDisconnected:
    return "kDisconnected";
  default:
    return "unknown state";
  }
}

static int get_state(const TcpConnection *self) { return atomic_load(&self->state); }
static void set_state(TcpConnection *self, int state) { atomic_store(&self->state, state); }

// The defaults, when the owner sets no callback: log the change, discard the input.
static void default_connection_callback(void *arg, TcpConnection *conn) {
  (void)arg;
  LOG_TRACE("%s is %s", conn->name, TcpConnection_connected(conn) ? "UP" : "DOWN");
}

static void default_message_callback(void *arg, TcpConnection *conn, Buffer *buf,
                                     Timestamp receiveTime) {
  (void)arg;
  (void)conn;
  (void)receiveTime;
  Buffer_retrieveAll(buf);
}

// The Channel's tie: hold the connection while one of its handlers runs.
static void hold(void *owner) { TcpConnection_ref(owner); }
static void release(void *owner) { TcpConnection_unref(owner); }

TcpConnection *TcpConnection_new(EventLoop *loop, const char *name, int sockfd,
                                 const InetAddress *localAddr, const InetAddress *peerAddr) {
  TcpConnection *self = calloc(1, sizeof *self);
  if (self == NULL)
    LOG_FATAL("out of memory creating TcpConnection %s", name);
  self->loop = loop;
  snprintf(self->name, sizeof self->name, "%s", name);
  Socket_init(&self->socket, sockfd);
  Channel_init(&self->channel, loop, sockfd);
  self->localAddr = *localAddr;
  self->peerAddr = *peerAddr;
  atomic_init(&self->refCount, 1);
  atomic_init(&self->state, kConnecting);
  self->connectionCallback = default_connection_callback;
  self->messageCallback = default_message_callback;
  self->highWaterMark = kDefaultHighWaterMark;
  Buffer_init(&self->inputBuffer);
  Buffer_init(&self->outputBuffer);
  Channel_setReadCallback(&self->channel, TcpConnection_handleRead, self);
  Channel_setWriteCallback(&self->channel, TcpConnection_handleWrite, self);
  Channel_setCloseCallback(&self->channel, TcpConnection_handleClose, self);
  Channel_setErrorCallback(&self->channel, TcpConnection_handleError, self);
  Socket_setKeepAlive(&self->socket, true);
  LOG_DEBUG("ctor[%s] at %p fd=%d", self->name, (void *)self, sockfd);
  return self;
}

void TcpConnection_free(TcpConnection *self) {
  LOG_DEBUG("dtor[%s] at %p fd=%d state=%s", self->name, (void *)self,
            Socket_fd(&self->socket), state_to_string(get_state(self)));
  assert(get_state(self) == kDisconnected);
  Channel_destroy(&self->channel);
  Socket_destroy(&self->socket);
  Buffer_destroy(&self->inputBuffer);
  Buffer_destroy(&self->outputBuffer);
  free(self);
}

void TcpConnection_ref(TcpConnection *self) {
  int old = atomic_fetch_add(&self->refCount, 1);
  assert(old > 0);
  (void)old;
}

void TcpConnection_unref(TcpConnection *self) {
  int old = atomic_fetch_sub(&self->refCount, 1);
  assert(old > 0);
  if (old == 1)
    TcpConnection_free(self);
}

EventLoop *TcpConnection_getLoop(const TcpConnection *self) { return self->loop; }
const char *TcpConnection_name(const TcpConnection *self) { return self->name; }
const InetAddress *TcpConnection_localAddress(const TcpConnection *self) {
  return &self->localAddr;
}
const InetAddress *TcpConnection_peerAddress(const TcpConnection *self) {
  return &self->peerAddr;
}
bool TcpConnection_connected(const TcpConnection *self) { return get_state(self) == kConnected; }
bool TcpConnection_disconnected(const TcpConnection *self) {
  return get_state(self) == kDisconnected;
}

void TcpConnection_setContext(TcpConnection *self, void *context) { self->context = context; }
void *TcpConnection_getContext(const TcpConnection *self) { return self->context; }
Buffer *TcpConnection_inputBuffer(TcpConnection *self) { return &self->inputBuffer; }
Buffer *TcpConnection_outputBuffer(TcpConnection *self) { return &self->outputBuffer; }

void TcpConnection_setConnectionCallback(TcpConnection *self, ConnectionCallback cb, void *arg) {
  self->connectionCallback = cb ? cb : default_connection_callback;
  self->connectionArg = arg;
}

void TcpConnection_setMessageCallback(TcpConnection *self, MessageCallback cb, void *arg) {
  self->messageCallback = cb ? cb : default_message_callback;
  self->messageArg = arg;
}

void TcpConnection_setWriteCompleteCallback(TcpConnection *self, WriteCompleteCallback cb,
                                            void *arg) {
  self->writeCompleteCallback = cb;
  self->writeCompleteArg = arg;
}

void TcpConnection_setHighWaterMarkCallback(TcpConnection *self, HighWaterMarkCallback cb,
                                            void *arg, size_t highWaterMark) {
  self->highWaterMarkCallback = cb;
  self->highWaterMarkArg = arg;
  self->highWaterMark = highWaterMark;
}

void TcpConnection_setCloseCallback(TcpConnection *self, CloseCallback cb, void *arg) {
  self->closeCallback = cb;
  self->closeArg = arg;
}

// --- callbacks queued for later in the loop thread; each holds a reference ------------------

static void write_complete_functor(void *arg) {
  TcpConnection *self = arg;
  if (self->writeCompleteCallback)
    self->writeCompleteCallback(self->writeCompleteArg, self);
  TcpConnection_unref(self);
}

static void queue_write_complete(TcpConnection *self) {
  if (self->writeCompleteCallback == NULL)
    return;
  TcpConnection_ref(self);
  EventLoop_queueInLoop(self->loop, write_complete_functor, self);
}

typedef struct HighWaterMarkCall {
  TcpConnection *conn;
  size_t len;
} HighWaterMarkCall;

static void high_water_mark_functor(void *arg) {
  HighWaterMarkCall *call = arg;
  TcpConnection *self = call->conn;
  self->highWaterMarkCallback(self->highWaterMarkArg, self, call->len);
  TcpConnection_unref(self);
  free(call);
}

static void queue_high_water_mark(TcpConnection *self, size_t len) {
  HighWaterMarkCall *call = malloc(sizeof *call);
  if (call == NULL)
    LOG_FATAL("out of memory queueing a high-water-mark callback");
  TcpConnection_ref(self);
  call->conn = self;
  call->len = len;
  EventLoop_queueInLoop(self->loop, high_water_mark_functor, call);
}

// --- sending --------------------------------------------------------------------------------

static void TcpConnection_sendInLoop(TcpConnection *self, const void *data, size_t len) {
  EventLoop_assertInLoopThread(self->loop);
  if (get_state(self) == kDisconnected) {
    LOG_WARN("TcpConnection %s is disconnected, gave up writing %zu bytes", self->name, len);
    return;
  }
  size_t remaining = len;
  bool faultError = false;
  // Nothing queued: try to write directly, and keep only what the kernel did not take.
  if (!Channel_isWriting(&self->channel) && Buffer_readableBytes(&self->outputBuffer) == 0) {
    ssize_t nwrote = write(Channel_fd(&self->channel), data, len);
    if (nwrote >= 0) {
      remaining = len - (size_t)nwrote;
      if (remaining == 0)
        queue_write_complete(self);
    } else if (errno != EWOULDBLOCK) {
      LOG_SYSERR("TcpConnection %s TcpConnection_sendInLoop", self->name);
      if (errno == EPIPE || errno == ECONNRESET)
        faultError = true; // the peer is gone; the read side will see the close
    }
  }
  if (faultError || remaining == 0)
    return;

  size_t oldLen = Buffer_readableBytes(&self->outputBuffer);
  if (oldLen < self->highWaterMark && oldLen + remaining >= self->highWaterMark &&
      self->highWaterMarkCallback)
    queue_high_water_mark(self, oldLen + remaining);
  Buffer_append(&self->outputBuffer, (const char *)data + (len - remaining), remaining);
  if (!Channel_isWriting(&self->channel))
    Channel_enableWriting(&self->channel);
}

// A send from another thread: the bytes are copied, then sent in the loop thread.
typedef struct SendRequest {
  TcpConnection *conn;
  size_t len;
  char data[];
} SendRequest;

static void send_request_functor(void *arg) {
  SendRequest *request = arg;
  TcpConnection_sendInLoop(request->conn, request->data, request->len);
  TcpConnection_unref(request->conn);
  free(request);
}

void TcpConnection_send(TcpConnection *self, const void *data, size_t len) {
  if (get_state(self) != kConnected) {
    LOG_WARN("TcpConnection %s is not connected (%s), dropped a send of %zu bytes", self->name,
             state_to_string(get_state(self)), len);
    return;
  }
  if (EventLoop_isInLoopThread(self->loop)) {
    TcpConnection_sendInLoop(self, data, len);
    return;
  }
  SendRequest *request = malloc(sizeof *request + len);
  if (request == NULL)
    LOG_FATAL("out of memory copying a send of %zu bytes", len);
  TcpConnection_ref(self);
  request->conn = self;
  request->len = len;
  memcpy(request->data, data, len);
  EventLoop_runInLoop(self->loop, send_request_functor, request);
}

void TcpConnection_sendBuffer(TcpConnection *self, Buffer *buf) {
  TcpConnection_send(self, Buffer_peek(buf), Buffer_readableBytes(buf));
  Buffer_retrieveAll(buf);
}

// --- closing ----------------------------------------------------------------------------------

static void TcpConnection_shutdownInLoop(TcpConnection *self) {
  EventLoop_assertInLoopThread(self->loop);
  // Still writing: TcpConnection_handleWrite shuts down once the output buffer drains.
  if (!Channel_isWriting(&self->channel))
    Socket_shutdownWrite(&self->socket);
}

static void shutdown_functor(void *arg) {
  TcpConnection *self = arg;
  TcpConnection_shutdownInLoop(self);
  TcpConnection_unref(self);
}

void TcpConnection_shutdown(TcpConnection *self) {
  int expected = kConnected;
  if (atomic_compare_exchange_strong(&self->state, &expected, kDisconnecting)) {
    TcpConnection_ref(self);
    EventLoop_runInLoop(self->loop, shutdown_functor, self);
  }
}

static void force_close_functor(void *arg) {
  TcpConnection *self = arg;
  int state = get_state(self);
  if (state == kConnected || state == kDisconnecting)
    TcpConnection_handleClose(self);
  TcpConnection_unref(self);
}

void TcpConnection_forceClose(TcpConnection *self) {
  int state = get_state(self);
  if (state == kConnected || state == kDisconnecting) {
    set_state(self, kDisconnecting);
    TcpConnection_ref(self);
    // Queued, not run: a forceClose from inside a callback must not free what the caller
    // still uses.
    EventLoop_queueInLoop(self->loop, force_close_functor, self);
  }
}

void TcpConnection_setTcpNoDelay(TcpConnection *self, bool on) {
  Socket_setTcpNoDelay(&self->socket, on);
}

void TcpConnection_stopRead(TcpConnection *self) {
  EventLoop_assertInLoopThread(self->loop);
  if (Channel_isReading(&self->channel))
    Channel_disableReading(&self->channel);
}

void TcpConnection_startRead(TcpConnection *self) {
  EventLoop_assertInLoopThread(self->loop);
  if (!Channel_isReading(&self->channel) && !self->peerClosed &&
      get_state(self) != kDisconnected)
    Channel_enableReading(&self->channel);
}

void TcpConnection_connectEstablished(TcpConnection *self) {
  EventLoop_assertInLoopThread(self->loop);
  assert(get_state(self) == kConnecting);
  set_state(self, kConnected);
  Channel_tie(&self->channel, hold, release, self);
  Channel_enableReading(&self->channel);
  self->connectionCallback(self->connectionArg, self);
}

void TcpConnection_connectDestroyed(TcpConnection *self) {
  EventLoop_assertInLoopThread(self->loop);
  int state = get_state(self);
  if (state == kConnected || state == kDisconnecting) {
    // Destroyed without a close first (the owner is going away): still say it went down.
    set_state(self, kDisconnected);
    Channel_disableAll(&self->channel);
    self->connectionCallback(self->connectionArg, self);
  }
  if (self->channel.addedToLoop) {
    if (!Channel_isNoneEvent(&self->channel))
      Channel_disableAll(&self->channel);
    Channel_remove(&self->channel);
  }
}

// --- the handlers ----------------------------------------------------------------------------

static void TcpConnection_handleRead(void *arg, Timestamp receiveTime) {
  TcpConnection *self = arg;
  EventLoop_assertInLoopThread(self->loop);
  if (get_state(self) == kDisconnected)
    return; // a stale event from the poll that also reported the close
  int savedErrno = 0;
  ssize_t n = Buffer_readFd(&self->inputBuffer, Channel_fd(&self->channel), &savedErrno);
  if (n > 0) {
    self->messageCallback(self->messageArg, self, &self->inputBuffer, receiveTime);
  } else if (n == 0) {
    if (Buffer_readableBytes(&self->outputBuffer) > 0) {
      // The peer has finished sending but may still be reading: flush what we owe it first
      // (muduo closed at once here, and a large echo came back short).
      LOG_TRACE("%s: peer closed its side, flushing %zu bytes before closing", self->name,
                Buffer_readableBytes(&self->outputBuffer));
      self->peerClosed = true;
      Channel_disableReading(&self->channel);
    } else {
      TcpConnection_handleClose(self);
    }
  } else if (savedErrno != EAGAIN && savedErrno != EINTR) {
    errno = savedErrno;
    LOG_SYSERR("TcpConnection %s TcpConnection_handleRead", self->name);
    TcpConnection_handleError(self);
    if (savedErrno == ECONNRESET)
      TcpConnection_handleClose(self);
  }
}

static void TcpConnection_handleWrite(void *arg) {
  TcpConnection *self = arg;
  EventLoop_assertInLoopThread(self->loop);
  if (!Channel_isWriting(&self->channel)) {
    LOG_TRACE("%s is down, no more writing", self->name);
    return;
  }
  ssize_t n = write(Channel_fd(&self->channel), Buffer_peek(&self->outputBuffer),
                    Buffer_readableBytes(&self->outputBuffer));
  if (n > 0) {
    Buffer_retrieve(&self->outputBuffer, (size_t)n);
    if (Buffer_readableBytes(&self->outputBuffer) == 0) {
      // Drained: stop asking for writability, or level-triggered polling spins.
      Channel_disableWriting(&self->channel);
      queue_write_complete(self);
      if (self->peerClosed)
        TcpConnection_handleClose(self);
      else if (get_state(self) == kDisconnecting)
        TcpConnection_shutdownInLoop(self);
    }
  } else if (n < 0 && errno != EWOULDBLOCK && errno != EINTR) {
    LOG_SYSERR("TcpConnection %s TcpConnection_handleWrite", self->name);
    if (errno == EPIPE || errno == ECONNRESET)
      TcpConnection_handleClose(self); // the peer is gone: what is left can never be delivered
  }
}

static void TcpConnection_handleClose(void *arg) {
  TcpConnection *self = arg;
  EventLoop_assertInLoopThread(self->loop);
  int state = get_state(self);
  LOG_TRACE("%s fd = %d state = %s", self->name, Channel_fd(&self->channel),
            state_to_string(state));
  if (state == kDisconnected)
    return; // closed already in this poll batch (error, then hang-up)
  set_state(self, kDisconnected);
  Channel_disableAll(&self->channel);
  // The owner's close callback may drop its reference: hold one until we are done.
  TcpConnection_ref(self);
  self->connectionCallback(self->connectionArg, self);
  if (self->closeCallback)
    self->closeCallback(self->closeArg, self);
  TcpConnection_unref(self);
}

static void TcpConnection_handleError(void *arg) {
  TcpConnection *self = arg;
  int err = sockets_getSocketError(Channel_fd(&self->channel));
  if (err != 0) {
    errno = err;
    LOG_SYSERR("TcpConnection %s TcpConnection_handleError - SO_ERROR", self->name);
  }
}
