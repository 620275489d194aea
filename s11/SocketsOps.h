// SocketsOps: the thin layer over the socket syscalls (muduo's namespace sockets).
//
// Every socket is created non-blocking and close-on-exec. Calls that can fail for runtime
// reasons (bind: address in use; accept: out of fds; connect: refused) return -1 with errno
// set and let the caller decide; failures that mean the program itself is wrong abort.
// Plain functions on fds: any thread, as the fd's owner allows.
#ifndef REACTOR_SOCKETSOPS_H
#define REACTOR_SOCKETSOPS_H

#include <netinet/in.h>
#include <stddef.h>

/// A non-blocking, close-on-exec TCP socket; aborts if the system cannot make one.
int sockets_createNonblockingOrDie(void);
/// bind(2); -1 with errno on failure (EADDRINUSE, EACCES, ...).
int sockets_bind(int sockfd, const struct sockaddr_in *addr);
/// listen(2); -1 with errno on failure.
int sockets_listen(int sockfd);
/// accept4(2), the new fd non-blocking and close-on-exec. -1 with errno for the errors a
/// server must expect (EAGAIN, ECONNABORTED, EINTR, EPROTO, EPERM, EMFILE, ENFILE, ENOBUFS,
/// ENOMEM, and the network errors Linux passes on: ENETDOWN, EHOSTUNREACH, ...); aborts for
/// the ones that mean a bug (EBADF, EFAULT, EINVAL, ENOTSOCK, ...).
int sockets_accept(int sockfd, struct sockaddr_in *addr);
/// connect(2); 0 or -1 with errno (EINPROGRESS on a non-blocking socket is the usual case).
int sockets_connect(int sockfd, const struct sockaddr_in *addr);
void sockets_close(int sockfd);
/// shutdown(SHUT_WR): the peer reads EOF once what was sent has arrived.
void sockets_shutdownWrite(int sockfd);

/// "ip:port" into buf. Returns buf.
char *sockets_toHostPort(char *buf, size_t len, const struct sockaddr_in *addr);
/// The socket's own address (getsockname).
struct sockaddr_in sockets_getLocalAddr(int sockfd);
/// The peer's address (getpeername).
struct sockaddr_in sockets_getPeerAddr(int sockfd);
/// The pending error of the socket (SO_ERROR), cleared by reading it.
int sockets_getSocketError(int sockfd);
/// True when the socket is connected to itself (local address == peer address).
int sockets_isSelfConnect(int sockfd);

#endif
