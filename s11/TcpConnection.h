// TcpConnection: one established TCP connection, on one EventLoop (its IO loop).
//
// Created by a TcpServer (accepted) or a TcpClient (connected) around a connected socket; it
// reads into its loop's read buffer and calls the message callback with a view over the bytes,
// keeps what the callback leaves in inputBuffer, writes what cannot be sent at once from
// outputBuffer when the socket is writable, and reports the connection going down. Both
// buffers hold storage only while they hold bytes (give or take a few reads, TcpConnection.c).
//
// Lifetime: a reference count (muduo's shared_ptr). References are held by
//   - the owner: a TcpServer's connection table, or a TcpClient's `connection`, from creation
//     until the close callback has handed the connection back;
//   - the Channel, while a handler runs (Channel_tie), so a handler that closes the
//     connection never runs on freed memory;
//   - every call queued for it (connectEstablished, connectDestroyed, a send from another
//     thread, a queued write-complete or high-water-mark callback): the call's release
//     function, TcpConnection_release, drops it;
//   - user code that calls TcpConnection_ref to keep it past a callback.
// The last TcpConnection_unref frees it, after connectDestroyed has removed its channel.
// No callback of a connection runs after its connection callback has said "down".
//
// Thread rules: send, shutdown, forceClose, ref/unref and the getters are safe from any
// thread; everything else runs in the IO loop's thread. Only the loop thread writes the state:
// another thread's shutdown or forceClose takes effect when its queued call runs there.
// The code is in two files: TcpConnection.c (life, input, closing) and TcpConnectionOutput.c
// (sending, the half-close, the write handler).
#ifndef REACTOR_TCPCONNECTION_H
#define REACTOR_TCPCONNECTION_H

#include "Buffer.h"
#include "Callbacks.h"
#include "Channel.h"
#include "InetAddress.h"
#include "Socket.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct EventLoop;

typedef enum TcpConnectionState {
  kConnecting,
  kConnected,
  kDisconnecting, // shut down, or forceClose called: the close is on its way
  kDisconnected,
} TcpConnectionState;

// Muduo's default: crossing 64 MiB of unsent output calls the high-water-mark callback.
enum { kDefaultHighWaterMark = 64 * 1024 * 1024 };

typedef struct TcpConnection {
  // set at creation
  struct EventLoop *loop;
  Socket socket;
  Channel channel;
  InetAddress localAddr;
  InetAddress peerAddr;
  // any thread
  atomic_int refCount;
  atomic_int state; // a TcpConnectionState, written only in the loop thread
  // set by the owner before connectEstablished, then read in the loop thread
  ConnectionCallbacks callbacks;
  // loop thread only (the owner sets it before connectEstablished, and may clear it later)
  CloseCallback closeCallback;
  void *closeArg;
  Buffer inputBuffer;  // what message callbacks left unread
  Buffer outputBuffer; // what the kernel has not taken yet
  bool peerClosed;     // read EOF while output was pending: close once it is flushed
  unsigned emptyReads; // reads in a row that left inputBuffer empty, its storage still held
  void *context;   // for the user: whatever they attach to the connection
  // the owner's list of connections (TcpServer), touched only in the owner's loop thread
  struct TcpConnection *prev;
  struct TcpConnection *next;
  char name[]; // "<owner's name>#<n>": allocated with the struct, as long as it needs
} TcpConnection;

/// Wraps a connected, non-blocking sockfd (taken over: closed when the connection is freed).
/// The caller holds the first reference. Any thread; the connection then lives in `loop`.
TcpConnection *TcpConnection_new(struct EventLoop *loop, const char *name, int sockfd,
                                 const InetAddress *localAddr, const InetAddress *peerAddr);
/// Takes one more reference. Any thread.
void TcpConnection_ref(TcpConnection *self);
/// Drops a reference; the last one frees the connection. Any thread.
void TcpConnection_unref(TcpConnection *self);
/// TcpConnection_unref in the shape of a Functor: the release of a queued call. Any thread.
void TcpConnection_release(void *conn);

// Getters. Any thread.
static inline struct EventLoop *TcpConnection_getLoop(const TcpConnection *c) { return c->loop; }
static inline const char *TcpConnection_name(const TcpConnection *c) { return c->name; }
static inline const InetAddress *TcpConnection_localAddress(const TcpConnection *c) {
  return &c->localAddr;
}
static inline const InetAddress *TcpConnection_peerAddress(const TcpConnection *c) {
  return &c->peerAddr;
}
static inline bool TcpConnection_connected(const TcpConnection *c) {
  return atomic_load(&c->state) == kConnected;
}
/// The state's name, for logs ("kConnected", ...).
const char *TcpConnection_stateName(const TcpConnection *self);
static inline bool TcpConnection_disconnected(const TcpConnection *c) {
  return atomic_load(&c->state) == kDisconnected;
}

/// Sends len bytes. From another thread the bytes are copied and sent in the loop thread.
/// Dropped with a warning when the connection is not connected. Any thread.
void TcpConnection_send(TcpConnection *self, const void *data, size_t len);
/// Sends the readable bytes of buf and empties it. Any thread (buf is the caller's).
void TcpConnection_sendBuffer(TcpConnection *self, Buffer *buf);
/// Half-close: shuts down the writing side once all output has been sent. Any thread.
void TcpConnection_shutdown(TcpConnection *self);
/// Closes the connection now, dropping unsent output. Any thread.
void TcpConnection_forceClose(TcpConnection *self);
/// TCP_NODELAY on or off. Any thread.
static inline void TcpConnection_setTcpNoDelay(TcpConnection *c, bool on) {
  Socket_setTcpNoDelay(&c->socket, on);
}
/// Stops / resumes reading (flow control: stop taking input while output is backed up).
/// Loop thread only.
void TcpConnection_stopRead(TcpConnection *self);
void TcpConnection_startRead(TcpConnection *self);

// The user's context and the buffers. Loop thread only. inputBuffer holds the bytes earlier
// message callbacks left unread; in a message callback, read the Buffer it was given.
static inline void TcpConnection_setContext(TcpConnection *c, void *context) {
  c->context = context;
}
static inline void *TcpConnection_getContext(const TcpConnection *c) { return c->context; }
static inline Buffer *TcpConnection_inputBuffer(TcpConnection *c) { return &c->inputBuffer; }
static inline Buffer *TcpConnection_outputBuffer(TcpConnection *c) { return &c->outputBuffer; }

/// Internal, for TcpServer and TcpClient: copies the owner's callbacks. Before
/// connectEstablished, in any thread.
static inline void TcpConnection_setCallbacks(TcpConnection *c, const ConnectionCallbacks *cbs) {
  c->callbacks = *cbs;
}
/// Internal: the owner's close callback, which lets go of the connection. With none (the owner
/// has gone), a closing connection destroys itself. Before connectEstablished, or later in the
/// loop thread.
static inline void TcpConnection_setCloseCallback(TcpConnection *c, CloseCallback cb, void *arg) {
  c->closeCallback = cb;
  c->closeArg = arg;
}

// The last two are Functors (conn: the TcpConnection), so the owner can queue them with a
// reference: EventLoop_runInLoopWithRelease(loop, fn, conn, TcpConnection_release).
/// Internal: starts reading and calls the connection callback (up). Loop thread, once.
void TcpConnection_connectEstablished(void *conn);
/// Internal: the last step of closing: calls the connection callback (down) if that has not
/// happened yet and removes the channel. Loop thread, once.
void TcpConnection_connectDestroyed(void *conn);
/// Internal: the Channel's write handler, in TcpConnectionOutput.c (the output side). Loop
/// thread.
void TcpConnection_handleWrite(void *arg);

#endif
