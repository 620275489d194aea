// TcpConnection: one established TCP connection, on one EventLoop (its IO loop).
//
// Created by a TcpServer (accepted) or a TcpClient (connected) around a connected socket; it
// reads into inputBuffer and calls the message callback, writes what cannot be sent at once
// from outputBuffer when the socket is writable, and reports the connection going down.
//
// Lifetime: a reference count (muduo's shared_ptr). References are held by
//   - the owner: a TcpServer's connection table, or a TcpClient's `connection`, from creation
//     until the close callback has handed the connection back;
//   - the Channel, while a handler runs (Channel_tie), so a handler that closes the
//     connection never runs on freed memory;
//   - every functor queued for it (connectEstablished, connectDestroyed, a send from another
//     thread, a queued write-complete or high-water-mark callback);
//   - user code that calls TcpConnection_ref to keep it past a callback.
// The last TcpConnection_unref frees it, after connectDestroyed has removed its channel.
//
// Thread rules: send, shutdown, forceClose, ref/unref and the getters are safe from any
// thread; everything else runs in the IO loop's thread.
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
  kDisconnecting, // shutdown or forceClose asked; the close is on its way
  kDisconnected,
} TcpConnectionState;

// Muduo's default: crossing 64 MiB of unsent output calls the high-water-mark callback.
enum { kDefaultHighWaterMark = 64 * 1024 * 1024 };

typedef struct TcpConnection {
  // set at creation
  struct EventLoop *loop;
  char name[96];
  Socket socket;
  Channel channel;
  InetAddress localAddr;
  InetAddress peerAddr;
  // any thread
  atomic_int refCount;
  atomic_int state; // a TcpConnectionState
  // set by the owner before connectEstablished, then read in the loop thread
  ConnectionCallback connectionCallback;
  void *connectionArg;
  MessageCallback messageCallback;
  void *messageArg;
  WriteCompleteCallback writeCompleteCallback;
  void *writeCompleteArg;
  HighWaterMarkCallback highWaterMarkCallback;
  void *highWaterMarkArg;
  size_t highWaterMark;
  CloseCallback closeCallback;
  void *closeArg;
  // loop thread only
  Buffer inputBuffer;
  Buffer outputBuffer;
  bool peerClosed; // read EOF while output was pending: close once it is flushed
  void *context;   // for the user: whatever they attach to the connection
  // the owner's list of connections (TcpServer), touched only in the owner's loop thread
  struct TcpConnection *prev;
  struct TcpConnection *next;
} TcpConnection;

/// Wraps a connected, non-blocking sockfd (taken over: closed when the connection is freed).
/// The caller holds the first reference. Any thread; the connection then lives in `loop`.
TcpConnection *TcpConnection_new(struct EventLoop *loop, const char *name, int sockfd,
                                 const InetAddress *localAddr, const InetAddress *peerAddr);
/// Takes one more reference. Any thread.
void TcpConnection_ref(TcpConnection *self);
/// Drops a reference; the last one frees the connection. Any thread.
void TcpConnection_unref(TcpConnection *self);
/// Frees the connection: called by the last TcpConnection_unref, never directly.
void TcpConnection_free(TcpConnection *self);

struct EventLoop *TcpConnection_getLoop(const TcpConnection *self);
const char *TcpConnection_name(const TcpConnection *self);
const InetAddress *TcpConnection_localAddress(const TcpConnection *self);
const InetAddress *TcpConnection_peerAddress(const TcpConnection *self);
bool TcpConnection_connected(const TcpConnection *self);
bool TcpConnection_disconnected(const TcpConnection *self);

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
void TcpConnection_setTcpNoDelay(TcpConnection *self, bool on);
/// Stops / resumes reading (flow control: stop taking input while output is backed up).
/// Loop thread only.
void TcpConnection_stopRead(TcpConnection *self);
void TcpConnection_startRead(TcpConnection *self);

void TcpConnection_setContext(TcpConnection *self, void *context);
void *TcpConnection_getContext(const TcpConnection *self);
Buffer *TcpConnection_inputBuffer(TcpConnection *self);
Buffer *TcpConnection_outputBuffer(TcpConnection *self);

// Callback slots, set by the owner before connectEstablished.
void TcpConnection_setConnectionCallback(TcpConnection *self, ConnectionCallback cb, void *arg);
void TcpConnection_setMessageCallback(TcpConnection *self, MessageCallback cb, void *arg);
void TcpConnection_setWriteCompleteCallback(TcpConnection *self, WriteCompleteCallback cb,
                                            void *arg);
void TcpConnection_setHighWaterMarkCallback(TcpConnection *self, HighWaterMarkCallback cb,
                                            void *arg, size_t highWaterMark);
/// Internal, for TcpServer and TcpClient.
void TcpConnection_setCloseCallback(TcpConnection *self, CloseCallback cb, void *arg);

/// Internal: starts reading and calls the connection callback (up). Loop thread, once.
void TcpConnection_connectEstablished(TcpConnection *self);
/// Internal: the last step of closing: calls the connection callback (down) if that has not
/// happened yet and removes the channel. Loop thread, once.
void TcpConnection_connectDestroyed(TcpConnection *self);

#endif
