// Acceptor: the listening socket, as one more Channel in the loop.
//
// When the listening fd is readable, handleRead accepts up to kMaxAcceptsPerWakeup connections
// and hands each fd and the peer's address to the new-connection callback, which then owns the
// fd (with no callback set, the fd is closed at once). Out of fds with no spare fd left, it
// stops reading the listening socket for kAcceptPauseMs and then tries again. Owned by a server
// program or TcpServer, embedded by value; loop thread only.
#ifndef REACTOR_ACCEPTOR_H
#define REACTOR_ACCEPTOR_H

#include "Channel.h"
#include "InetAddress.h"
#include "Socket.h"
#include "TimerId.h"

#include <stdbool.h>

struct EventLoop;

// How long the Acceptor stops reading the listening socket when it is out of fds and has no
// spare fd: long enough that the loop sleeps, short enough that accepting resumes soon after
// fds are freed.
enum { kAcceptPauseMs = 100 };

// How many connections one readiness of the listening socket accepts at most. One, as muduo
// does, lets a storm into a busy loop one connection per poll round, behind all its other work:
// with 100 connections in a ping-pong, 10,000 connects into test9 (tests/bench/storm) came at
// 9,100-10,100/s with 1, 11,600-15,100 with 16 and 14,600-19,400 with 64, the ping-pong keeping
// 54-60k, 39-47k and 21-35k round trips/s. 16 lets a storm in faster and leaves the established
// connections about three quarters of their pace; into an idle loop every bound was as fast.
enum { kMaxAcceptsPerWakeup = 16 };

typedef void (*NewConnectionCallback)(void *arg, int sockfd, const InetAddress *peerAddr);

typedef struct Acceptor {
  // set at init
  struct EventLoop *loop;
  Socket acceptSocket;
  Channel acceptChannel;
  // loop thread only
  int idleFd; // a spare fd (/dev/null) given up to accept-and-close when out of fds
  NewConnectionCallback newConnectionCallback;
  void *newConnectionArg;
  bool listenning;
  bool pausePending; // not reading the listening socket until the pause timer fires
  TimerId pauseTimer;
} Acceptor;

/// Creates the socket and binds it to listenAddr. Returns 0, or -1 with errno when the address
/// cannot be bound (in use, not ours) or no spare fd can be opened (EMFILE); then the Acceptor
/// holds nothing and needs no destroy.
int Acceptor_init(Acceptor *self, struct EventLoop *loop, const InetAddress *listenAddr);
/// Stops watching and closes the listening socket. Loop thread only.
void Acceptor_destroy(Acceptor *self);
void Acceptor_setNewConnectionCallback(Acceptor *self, NewConnectionCallback cb, void *arg);
bool Acceptor_listenning(const Acceptor *self);
/// Starts listening and watching for connections. Returns 0 or -1 with errno. Loop thread only.
int Acceptor_listen(Acceptor *self);
/// The address actually bound (with the real port when bound to port 0).
InetAddress Acceptor_listenAddress(const Acceptor *self);

#endif
