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
static void TcpConnection_handleClose(void *arg);
static void TcpConnection_handleError(void *arg);

static int get_state(const TcpConnection *self) { return atomic_load(&self->state); }
static void set_state(TcpConnection *self, int state) { atomic_store(&self->state, state); }

const char *TcpConnection_stateName(const TcpConnection *self) {
  static const char *const kNames[] = {"kConnecting", "kConnected", "kDisconnecting",
                                       "kDisconnected"};
  int state = get_state(self);
  return state >= 0 && state <= kDisconnected ? kNames[state] : "unknown state";
}

// Up or down: the connection callback, or with none a TRACE line.
static void notify_connection(TcpConnection *self) {
  if (self->callbacks.connectionCallback)
    self->callbacks.connectionCallback(self->callbacks.connectionArg, self);
  else
    LOG_TRACE("%s is %s", self->name, TcpConnection_connected(self) ? "UP" : "DOWN");
}

// The Channel's tie holds the connection while one of its handlers runs.
static void hold(void *conn) { TcpConnection_ref(conn); }

TcpConnection *TcpConnection_new(EventLoop *loop, const char *name, int sockfd,
                                 const InetAddress *localAddr, const InetAddress *peerAddr) {
  size_t nameSize = strlen(name) + 1;
  TcpConnection *self = calloc(1, sizeof *self + nameSize);
  if (self == NULL)
    LOG_FATAL("out of memory creating TcpConnection %s", name);
  self->loop = loop;
  memcpy(self->name, name, nameSize);
  Socket_init(&self->socket, sockfd);
  Channel_init(&self->channel, loop, sockfd);
  self->localAddr = *localAddr;
  self->peerAddr = *peerAddr;
  atomic_init(&self->refCount, 1);
  atomic_init(&self->state, kConnecting);
  self->callbacks.highWaterMark = kDefaultHighWaterMark;
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

// Called by the last TcpConnection_unref.
static void TcpConnection_free(TcpConnection *self) {
  LOG_DEBUG("dtor[%s] at %p fd=%d state=%s", self->name, (void *)self, Socket_fd(&self->socket),
            TcpConnection_stateName(self));
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

void TcpConnection_release(void *conn) { TcpConnection_unref(conn); }

// --- closing ----------------------------------------------------------------------------------

static void TcpConnection_forceCloseInLoop(void *arg) {
  TcpConnection *self = arg;
  int state = get_state(self);
  if (state == kConnected || state == kDisconnecting)
    TcpConnection_handleClose(self);
}

void TcpConnection_forceClose(TcpConnection *self) {
  int state = get_state(self);
  if (state != kConnected && state != kDisconnecting)
    return;
  // Only the loop thread writes the state: from another thread it changes when the queued call
  // runs, so a callback never sees it change under it, and a close the loop thread makes
  // meanwhile cannot be overwritten (the connection would say "down" twice).
  if (state == kConnected && EventLoop_isInLoopThread(self->loop))
    set_state(self, kDisconnecting);
  TcpConnection_ref(self);
  // Queued, not run: a forceClose from inside a callback must not close the connection under the
  // caller's feet.
  EventLoop_queueInLoopWithRelease(self->loop, TcpConnection_forceCloseInLoop, self,
                                   TcpConnection_release);
}

void TcpConnection_stopRead(TcpConnection *self) {
  EventLoop_assertInLoopThread(self->loop);
  if (Channel_isReading(&self->channel))
    Channel_disableReading(&self->channel);
}

void TcpConnection_startRead(TcpConnection *self) {
  EventLoop_assertInLoopThread(self->loop);
  if (!Channel_isReading(&self->channel) && !self->peerClosed && get_state(self) != kDisconnected)
    Channel_enableReading(&self->channel);
}

void TcpConnection_connectEstablished(void *conn) {
  TcpConnection *self = conn;
  EventLoop_assertInLoopThread(self->loop);
  assert(get_state(self) == kConnecting);
  set_state(self, kConnected);
  Channel_tie(&self->channel, hold, TcpConnection_release, self);
  Channel_enableReading(&self->channel);
  notify_connection(self);
}

void TcpConnection_connectDestroyed(void *conn) {
  TcpConnection *self = conn;
  EventLoop_assertInLoopThread(self->loop);
  int state = get_state(self);
  if (state == kConnected || state == kDisconnecting) {
    // Destroyed without a close first (the owner is going away): still say it went down.
    set_state(self, kDisconnected);
    Channel_disableAll(&self->channel);
    notify_connection(self);
  }
  if (self->channel.addedToLoop) {
    if (!Channel_isNoneEvent(&self->channel))
      Channel_disableAll(&self->channel);
    Channel_remove(&self->channel);
  }
}

// --- the handlers ----------------------------------------------------------------------------

// The input side. Every connection of a loop reads into the loop's read buffer, with one
// read(2), and the message callback sees the bytes through a Buffer view over it: a connection
// that takes whole messages (an echo, a request answered at once) owns no input storage at all.
// What the callback leaves unread moves into the connection's own inputBuffer, allocated only
// then; while that holds bytes, what arrives is appended to it and the callback sees it instead.
//
// An emptied inputBuffer keeps its storage until kKeepEmptyReads reads in a row have left it
// empty, then gives it back. Giving it back at once would cost a connection that keeps a partial
// message every other read a malloc and a free per read; keeping it for ever would cost every
// connection that once kept a byte a block for life. Measured here, a malloc, first touch and
// free of the first block (1032 bytes) cost about 20 ns, against 7-9 us of CPU per round trip at
// 1000 x 64 B (make bench): cheap, but not free, and it touches memory the loop's buffer spares.
// 16 reads bound it to one malloc and free per 17 reads at worst, and let a connection that has
// stopped keeping bytes give its block back within 16 reads.
enum { kKeepEmptyReads = 16 };

// After the message callback: the bytes it left in the view go into the connection's own buffer.
static void keep_unread(TcpConnection *self, Buffer *view) {
  Buffer *input = &self->inputBuffer;
  size_t left = Buffer_readableBytes(view);
  if (!view->borrowed) { // the callback appended past the loop's buffer: the view owns its bytes
    Buffer_destroy(input);
    *input = *view;
  } else if (left > 0) {
    Buffer_append(input, Buffer_peek(view), left);
    LOG_TRACE("%s keeps %zu unread bytes in its own input buffer", self->name, left);
  }
}

// n bytes have just been read into the loop's buffer (storage): hand them to the message callback.
static void deliver_input(TcpConnection *self, char *storage, size_t n, Timestamp receiveTime) {
  Buffer *input = &self->inputBuffer;
  Buffer view;
  Buffer *buf = input;
  if (Buffer_readableBytes(input) > 0) { // after bytes kept from before: in order, so append
    Buffer_append(input, storage + kCheapPrepend, n);
  } else {
    Buffer_initView(&view, storage, kCheapPrepend + kLoopReadSize, n);
    buf = &view;
  }
  if (self->callbacks.messageCallback)
    self->callbacks.messageCallback(self->callbacks.messageArg, self, buf, receiveTime);
  else
    Buffer_retrieveAll(buf); // no message callback: discard the input
  if (buf == &view)
    keep_unread(self, &view);
  if (Buffer_readableBytes(input) > 0) {
    self->emptyReads = 0;
  } else if (input->data != NULL && ++self->emptyReads >= kKeepEmptyReads) {
    LOG_TRACE("%s gives its input buffer back (%zu bytes)", self->name, input->capacity);
    Buffer_destroy(input);
    self->emptyReads = 0;
  }
}

static void TcpConnection_handleRead(void *arg, Timestamp receiveTime) {
  TcpConnection *self = arg;
  EventLoop_assertInLoopThread(self->loop);
  if (get_state(self) == kDisconnected)
    return; // a stale event from the poll that also reported the close
  char *storage = EventLoop_readBuffer(self->loop);
  ssize_t n = read(Channel_fd(&self->channel), storage + kCheapPrepend, kLoopReadSize);
  int savedErrno = errno;
  if (n > 0) {
    deliver_input(self, storage, (size_t)n, receiveTime);
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

// Every way here holds a reference (the Channel's tie, or forceClose's queued call), so the
// owner's close callback may drop its own.
static void TcpConnection_handleClose(void *arg) {
  TcpConnection *self = arg;
  EventLoop_assertInLoopThread(self->loop);
  int state = get_state(self);
  LOG_TRACE("%s fd = %d state = %s", self->name, Channel_fd(&self->channel),
            TcpConnection_stateName(self));
  if (state == kDisconnected)
    return; // closed already in this poll batch (error, then hang-up)
  set_state(self, kDisconnected);
  Channel_disableAll(&self->channel);
  notify_connection(self);
  if (self->closeCallback) {
    self->closeCallback(self->closeArg, self);
  } else { // no owner any more: destroy ourselves once this handler has returned
    TcpConnection_ref(self);
    EventLoop_queueInLoopWithRelease(self->loop, TcpConnection_connectDestroyed, self,
                                     TcpConnection_release);
  }
}

static void TcpConnection_handleError(void *arg) {
  TcpConnection *self = arg;
  int err = sockets_getSocketError(Channel_fd(&self->channel));
  if (err != 0) {
    errno = err;
    LOG_SYSERR("TcpConnection %s TcpConnection_handleError - SO_ERROR", self->name);
  }
}
