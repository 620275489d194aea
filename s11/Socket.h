// Socket: owns one socket fd and closes it on destroy (muduo's RAII Socket, in C).
// Embedded by value in its owner (an Acceptor's listening socket, a TcpConnection's socket):
// Socket_init / Socket_destroy.
// Used from the owner's thread.
#ifndef REACTOR_SOCKET_H
#define REACTOR_SOCKET_H

#include "InetAddress.h"

#include <stdbool.h>

typedef struct Socket {
  int sockfd; // set at init, closed at destroy
} Socket;

/// Takes ownership of sockfd.
void Socket_init(Socket *self, int sockfd);
/// Closes the fd.
void Socket_destroy(Socket *self);
int Socket_fd(const Socket *self);
/// bind(2) to addr; -1 with errno on failure (address in use, permission denied).
int Socket_bindAddress(Socket *self, const InetAddress *addr);
/// listen(2); -1 with errno on failure.
int Socket_listen(Socket *self);
/// Accepts one connection: its fd (non-blocking, close-on-exec) with *peeraddr filled, or -1
/// with errno set (see sockets_accept for which errors can come back).
int Socket_accept(Socket *self, InetAddress *peeraddr);
/// SO_REUSEADDR: a restarted server can bind while old connections sit in TIME_WAIT.
void Socket_setReuseAddr(Socket *self, bool on);
/// Shuts down the writing side: the peer reads EOF after what was sent.
void Socket_shutdownWrite(Socket *self);
/// TCP_NODELAY: send small writes at once instead of waiting to coalesce them (Nagle).
void Socket_setTcpNoDelay(Socket *self, bool on);
/// SO_KEEPALIVE: the kernel probes an idle connection and reports a dead peer.
void Socket_setKeepAlive(Socket *self, bool on);

#endif
