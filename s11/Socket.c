#include "Socket.h"

#include "Logging.h"
#include "SocketsOps.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

void Socket_init(Socket *self, int sockfd) { self->sockfd = sockfd; }

void Socket_destroy(Socket *self) {
  if (self->sockfd >= 0)
    sockets_close(self->sockfd);
  self->sockfd = -1;
}

int Socket_fd(const Socket *self) { return self->sockfd; }

int Socket_bindAddress(Socket *self, const InetAddress *addr) {
  return sockets_bind(self->sockfd, &addr->addr);
}

int Socket_listen(Socket *self) { return sockets_listen(self->sockfd); }

int Socket_accept(Socket *self, InetAddress *peeraddr) {
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  int connfd = sockets_accept(self->sockfd, &addr);
  if (connfd >= 0)
    InetAddress_initFromSockAddr(peeraddr, &addr);
  return connfd;
}

void Socket_setReuseAddr(Socket *self, bool on) {
  int optval = on ? 1 : 0;
  if (setsockopt(self->sockfd, SOL_SOCKET, SO_REUSEADDR, &optval, sizeof optval) < 0)
    LOG_SYSERR("Socket_setReuseAddr fd %d", self->sockfd);
}

void Socket_shutdownWrite(Socket *self) { sockets_shutdownWrite(self->sockfd); }

void Socket_setTcpNoDelay(Socket *self, bool on) {
  int optval = on ? 1 : 0;
  if (setsockopt(self->sockfd, IPPROTO_TCP, TCP_NODELAY, &optval, sizeof optval) < 0)
    LOG_SYSERR("Socket_setTcpNoDelay fd %d", self->sockfd);
}

void Socket_setKeepAlive(Socket *self, bool on) {
  int optval = on ? 1 : 0;
  if (setsockopt(self->sockfd, SOL_SOCKET, SO_KEEPALIVE, &optval, sizeof optval) < 0)
    LOG_SYSERR("Socket_setKeepAlive fd %d", self->sockfd);
}
