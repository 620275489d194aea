// InetAddress: an IPv4 socket address (struct sockaddr_in), a plain value.
//
// Built from a port (any address, for servers) or from dotted-quad text and a port. Text that
// is not an IPv4 address is rejected with EINVAL, never silently turned into 0.0.0.0.
#ifndef REACTOR_INETADDRESS_H
#define REACTOR_INETADDRESS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

typedef struct InetAddress {
  struct sockaddr_in addr;
} InetAddress;

// Room for "255.255.255.255:65535" and its terminator.
enum { kHostPortLen = 32 };

/// 0.0.0.0:port, what a server listens on.
void InetAddress_init(InetAddress *self, uint16_t port);
/// ip:port from text such as "127.0.0.1"; returns -1 with errno = EINVAL on bad text.
int InetAddress_initFromIpPort(InetAddress *self, const char *ip, uint16_t port);
/// Wraps an address the kernel returned (accept, getsockname).
void InetAddress_initFromSockAddr(InetAddress *self, const struct sockaddr_in *addr);
/// "ip:port", e.g. "127.0.0.1:9981". Returns buf (at least kHostPortLen bytes is enough).
char *InetAddress_toHostPort(const InetAddress *self, char *buf, size_t len);
/// The port in host byte order.
uint16_t InetAddress_port(const InetAddress *self);

#endif
