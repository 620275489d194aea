#include "SocketsOps.h"

#include "Logging.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sockets_createNonblockingOrDie(void) {
  int sockfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (sockfd < 0)
    LOG_SYSFATAL("sockets_createNonblockingOrDie");
  return sockfd;
}

int sockets_bind(int sockfd, const struct sockaddr_in *addr) {
  return bind(sockfd, (const struct sockaddr *)addr, sizeof *addr);
}

int sockets_listen(int sockfd) { return listen(sockfd, SOMAXCONN); }

int sockets_accept(int sockfd, struct sockaddr_in *addr) {
  socklen_t addrlen = sizeof *addr;
  int connfd = accept4(sockfd, (struct sockaddr *)addr, &addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (connfd >= 0)
    return connfd;
  int savedErrno = errno;
  switch (savedErrno) {
  // The peer gave up, a signal came, or we are out of a resource: the server goes on.
  case EAGAIN:
  case ECONNABORTED:
  case EINTR:
  case EPROTO:
  case EPERM:
  case EMFILE:
  case ENFILE:
  case ENOBUFS:
  case ENOMEM:
  // Linux hands a new connection's pending network error back from accept(2); its man page
  // says to treat these like EAGAIN.
  case ENETDOWN:
  case ENOPROTOOPT:
  case EHOSTDOWN:
  case ENONET:
  case EHOSTUNREACH:
  case ENETUNREACH:
    break;
  // The listening fd is not what we think it is: a bug.
  case EBADF:
  case EFAULT:
  case EINVAL:
  case ENOTSOCK:
  case EOPNOTSUPP:
    LOG_SYSFATAL("unexpected error of accept4 on fd %d", sockfd);
  default:
    LOG_SYSFATAL("unknown error of accept4 on fd %d", sockfd);
  }
  errno = savedErrno;
  return -1;
}

int sockets_connect(int sockfd, const struct sockaddr_in *addr) {
  return connect(sockfd, (const struct sockaddr *)addr, sizeof *addr);
}

void sockets_close(int sockfd) {
  if (close(sockfd) < 0)
    LOG_SYSERR("sockets_close fd %d", sockfd);
}

void sockets_shutdownWrite(int sockfd) {
  if (shutdown(sockfd, SHUT_WR) < 0)
    LOG_SYSERR("sockets_shutdownWrite fd %d", sockfd);
}

char *sockets_toHostPort(char *buf, size_t len, const struct sockaddr_in *addr) {
  char host[INET_ADDRSTRLEN] = "INVALID";
  inet_ntop(AF_INET, &addr->sin_addr, host, sizeof host);
  snprintf(buf, len, "%s:%u", host, (unsigned)ntohs(addr->sin_port));
  return buf;
}

struct sockaddr_in sockets_getLocalAddr(int sockfd) {
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  socklen_t addrlen = sizeof addr;
  if (getsockname(sockfd, (struct sockaddr *)&addr, &addrlen) < 0)
    LOG_SYSERR("sockets_getLocalAddr fd %d", sockfd);
  return addr;
}

struct sockaddr_in sockets_getPeerAddr(int sockfd) {
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  socklen_t addrlen = sizeof addr;
  if (getpeername(sockfd, (struct sockaddr *)&addr, &addrlen) < 0)
    LOG_SYSERR("sockets_getPeerAddr fd %d", sockfd);
  return addr;
}

int sockets_getSocketError(int sockfd) {
  int optval = 0;
  socklen_t optlen = sizeof optval;
  if (getsockopt(sockfd, SOL_SOCKET, SO_ERROR, &optval, &optlen) < 0)
    return errno;
  return optval;
}

int sockets_isSelfConnect(int sockfd) {
  struct sockaddr_in local = sockets_getLocalAddr(sockfd);
  struct sockaddr_in peer = sockets_getPeerAddr(sockfd);
  return local.sin_port == peer.sin_port && local.sin_addr.s_addr == peer.sin_addr.s_addr;
}
