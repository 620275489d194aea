// The output side of a TcpConnection: sending (at once when nothing is queued, else through the
// output buffer and the write handler), the half-close that waits for the output to drain,
// and the write-complete and high-water-mark calls. The rest of TcpConnection is in
// TcpConnection.c.
#include "TcpConnection.h"

#include "EventLoop.h"
#include "Logging.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// --- calls queued for the loop thread ----------------------------------------------------------
// Each holds a reference to the connection until its release has run. A queued user callback
// runs after this iteration's events, so a close may come first: then it is dropped, because
// nothing of a connection runs after its "down".

// A queued call that carries a length, and bytes to send, with it.
typedef struct ConnectionCall {
  TcpConnection *conn;
  size_t len;
  char data[];
} ConnectionCall;

static ConnectionCall *new_call(TcpConnection *conn, const void *data, size_t len) {
  ConnectionCall *call = malloc(sizeof *call + (data ? len : 0));
  if (call == NULL)
    LOG_FATAL("out of memory queueing a call for %s (%zu bytes)", conn->name, len);
  TcpConnection_ref(conn);
  call->conn = conn;
  call->len = len;
  if (data)
    memcpy(call->data, data, len);
  return call;
}

static void free_call(void *arg) {
  ConnectionCall *call = arg;
  TcpConnection_unref(call->conn);
  free(call);
}

static void call_write_complete(void *arg) {
  TcpConnection *self = arg;
  if (!TcpConnection_disconnected(self))
    self->callbacks.writeCompleteCallback(self->callbacks.writeCompleteArg, self);
}

static void queue_write_complete(TcpConnection *self) {
  if (self->callbacks.writeCompleteCallback == NULL)
    return;
  TcpConnection_ref(self);
  EventLoop_queueInLoopWithRelease(self->loop, call_write_complete, self, TcpConnection_release);
}

static void call_high_water_mark(void *arg) {
  ConnectionCall *call = arg;
  TcpConnection *self = call->conn;
  if (!TcpConnection_disconnected(self))
    self->callbacks.highWaterMarkCallback(self->callbacks.highWaterMarkArg, self, call->len);
}

// --- sending --------------------------------------------------------------------------------

static void TcpConnection_sendInLoop(TcpConnection *self, const void *data, size_t len) {
  EventLoop_assertInLoopThread(self->loop);
  if (!TcpConnection_connected(self)) { // sent from another thread before a shutdown or close
    LOG_WARN("TcpConnection %s is not connected (%s), gave up writing %zu bytes", self->name,
             TcpConnection_stateName(self), len);
    return;
  }
  size_t remaining = len;
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
        return; // the peer is gone; the read side will see the close
    }
  }
  if (remaining == 0)
    return;

  size_t oldLen = Buffer_readableBytes(&self->outputBuffer);
  size_t mark = self->callbacks.highWaterMark;
  if (oldLen < mark && oldLen + remaining >= mark && self->callbacks.highWaterMarkCallback)
    EventLoop_queueInLoopWithRelease(self->loop, call_high_water_mark,
                                     new_call(self, NULL, oldLen + remaining), free_call);
  Buffer_append(&self->outputBuffer, (const char *)data + (len - remaining), remaining);
  if (!Channel_isWriting(&self->channel))
    Channel_enableWriting(&self->channel);
}

static void send_call(void *arg) {
  ConnectionCall *call = arg;
  TcpConnection_sendInLoop(call->conn, call->data, call->len);
}

void TcpConnection_send(TcpConnection *self, const void *data, size_t len) {
  if (!TcpConnection_connected(self)) {
    LOG_WARN("TcpConnection %s is not connected (%s), dropped a send of %zu bytes", self->name,
             TcpConnection_stateName(self), len);
    return;
  }
  if (EventLoop_isInLoopThread(self->loop))
    TcpConnection_sendInLoop(self, data, len);
  else // the bytes are the caller's: copy them for the loop thread
    EventLoop_runInLoopWithRelease(self->loop, send_call, new_call(self, data, len), free_call);
}

void TcpConnection_sendBuffer(TcpConnection *self, Buffer *buf) {
  TcpConnection_send(self, Buffer_peek(buf), Buffer_readableBytes(buf));
  Buffer_retrieveAll(buf);
}

// --- half-close ---------------------------------------------------------------------------

static void TcpConnection_shutdownInLoop(void *arg) {
  TcpConnection *self = arg;
  EventLoop_assertInLoopThread(self->loop);
  if (!TcpConnection_connected(self))
    return; // shut down already, or closing
  atomic_store(&self->state, kDisconnecting);
  // Still writing: TcpConnection_handleWrite shuts down once the output buffer drains.
  if (!Channel_isWriting(&self->channel))
    Socket_shutdownWrite(&self->socket);
}

// Only the loop thread writes the state (see TcpConnection_forceClose): from another thread the
// shutdown takes effect when the call runs, and a send made after it is dropped there.
void TcpConnection_shutdown(TcpConnection *self) {
  if (TcpConnection_connected(self)) {
    TcpConnection_ref(self);
    EventLoop_runInLoopWithRelease(self->loop, TcpConnection_shutdownInLoop, self,
                                   TcpConnection_release);
  }
}

// --- the write handler ------------------------------------------------------------------------

void TcpConnection_handleWrite(void *arg) {
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
      // Drained: stop asking for writability, or level-triggered polling spins. The storage
      // goes back at once: the output buffer exists only while the kernel has not taken
      // everything, and reaching here cost a poll round and a write already, so a malloc
      // and free are small beside it.
      Channel_disableWriting(&self->channel);
      Buffer_destroy(&self->outputBuffer);
      if (self->peerClosed) {
        // All delivered to a peer that had finished sending: close, with no write-complete
        // first (a callback that sends more would only have its bytes dropped).
        TcpConnection_forceClose(self);
        return;
      }
      queue_write_complete(self);
      if (atomic_load(&self->state) == kDisconnecting)
        Socket_shutdownWrite(&self->socket);
    }
  } else if (n < 0 && errno != EWOULDBLOCK && errno != EINTR) {
    LOG_SYSERR("TcpConnection %s TcpConnection_handleWrite", self->name);
    if (errno == EPIPE || errno == ECONNRESET)
      TcpConnection_forceClose(self); // the peer is gone: what is left can never be delivered
  }
}
