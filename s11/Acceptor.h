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
// does, costs a poll round per connection in a storm; a storm of 10,000 connects against test9
// (tests/bench/accept_storm) took 10,064 epoll_waits with 1 and 630 with 16, and under strace,
// where the server is the bottleneck, completed 30% faster. 64 and 256 were no faster on a
// 2-core machine, and the bound keeps a storm from holding the loop: after 16 new connections
// the loop serves its other channels before accepting more.
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
