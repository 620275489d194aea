// Callbacks: the user-facing callback types. Each is a function plus the void *arg it was
// registered with (the C face of std::function + bind); the library never owns arg.
#ifndef REACTOR_CALLBACKS_H
#define REACTOR_CALLBACKS_H

#include "Timestamp.h"

#include <stddef.h>

struct Buffer;
struct TcpConnection;

typedef void (*TimerCallback)(void *arg);

// A connection came up or went down: TcpConnection_connected(conn) tells which.
typedef void (*ConnectionCallback)(void *arg, struct TcpConnection *conn);
// Data arrived: it is in buf (take what you use with Buffer_retrieve); receiveTime is when the
// poll that saw it returned.
typedef void (*MessageCallback)(void *arg, struct TcpConnection *conn, struct Buffer *buf,
                                Timestamp receiveTime);
// Everything sent so far has been handed to the kernel: a good moment to send more.
typedef void (*WriteCompleteCallback)(void *arg, struct TcpConnection *conn);
// The output buffer grew past the high-water mark to len bytes: stop producing.
typedef void (*HighWaterMarkCallback)(void *arg, struct TcpConnection *conn, size_t len);
// Internal: the connection closed; its owner (TcpServer, TcpClient) lets go of it.
typedef void (*CloseCallback)(void *arg, struct TcpConnection *conn);

// What a connection calls, each callback with its own arg. A TcpServer or TcpClient keeps one
// set, filled by its setters, and copies it whole into every connection it makes. NULL means
// none (for the connection and message callbacks: log the change, discard the input).
typedef struct ConnectionCallbacks {
  ConnectionCallback connectionCallback;
  void *connectionArg;
  MessageCallback messageCallback;
  void *messageArg;
  WriteCompleteCallback writeCompleteCallback;
  void *writeCompleteArg;
  HighWaterMarkCallback highWaterMarkCallback;
  void *highWaterMarkArg;
  size_t highWaterMark; // in bytes of unsent output
} ConnectionCallbacks;

#endif
