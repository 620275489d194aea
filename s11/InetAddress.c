#include "InetAddress.h"

#include "SocketsOps.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

void InetAddress_init(InetAddress *self, uint16_t port) {
  memset(self, 0, sizeof *self);
  self->addr.sin_family = AF_INET;
  self->addr.sin_addr.s_addr = htonl(INADDR_ANY);
  self->addr.sin_port = htons(port);
}

int InetAddress_initFromIpPort(InetAddress *self, const char *ip, uint16_t port) {
  memset(self, 0, sizeof *self);
  self->addr.sin_family = AF_INET;
  self->addr.sin_port = htons(port);
  // inet_pton accepts only the strict dotted-quad form: no "1.2.3", no trailing junk.
  if (ip == NULL || inet_pton(AF_INET, ip, &self->addr.sin_addr) != 1) {
    errno = EINVAL;
    return -1;
  }
  return 0;
}

void InetAddress_initFromSockAddr(InetAddress *self, const struct sockaddr_in *addr) {
  self->addr = *addr;
}

char *InetAddress_toHostPort(const InetAddress *self, char *buf, size_t len) {
  return sockets_toHostPort(buf, len, &self->addr);
}

uint16_t InetAddress_port(const InetAddress *self) { return ntohs(self->addr.sin_port); }
