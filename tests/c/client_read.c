// client_read PORT [COUNT]: opens COUNT (default 1) connections to 127.0.0.1:PORT, every one of
// them before reading any (so a server sees them all at once), then reads each to EOF in turn.
// For each connection, in order, prints "local port P" (its getsockname port, the port a
// server logs as the peer's) on stderr and copies the bytes it received to stdout.
// Exits 0 when every connection ended with EOF; 1, with a line saying why, on any error or
// when nothing arrives for 5 s (so a server that never closes cannot hang a test).
#include "Settings.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int connect_one(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  struct timeval timeout = {.tv_sec = 5, .tv_usec = 0};
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0 ||
      connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int savedErrno = errno;
    close(fd);
    errno = savedErrno;
    return -1;
  }
  return fd;
}

static int local_port(int fd) {
  struct sockaddr_in addr;
  socklen_t len = sizeof addr;
  if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
    return -1;
  return ntohs(addr.sin_port);
}

// Copies what fd receives to stdout until EOF. Returns 0 at EOF, -1 on an error or timeout.
static int read_to_eof(int fd) {
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0)
      return 0;
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
      return -1;
  }
}

int main(int argc, char *argv[]) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: client_read PORT [COUNT]\n");
    return 1;
  }
  uint16_t port = (uint16_t)Settings_longArg("client_read", argc, argv, 1, "port", 1, 65535, 0);
  int count = (int)Settings_longArg("client_read", argc, argv, 2, "count", 1, 1000, 1);
  int *fds = calloc((size_t)count, sizeof *fds);
  if (fds == NULL)
    return 1;
  int status = 0;
  int opened = 0;
  for (; opened < count; ++opened) {
    fds[opened] = connect_one(port);
    if (fds[opened] < 0) {
      fprintf(stderr, "client_read: connection %d to 127.0.0.1:%u: %s\n", opened + 1,
              (unsigned)port, strerror(errno));
      status = 1;
      break;
    }
  }
  for (int i = 0; i < opened; ++i) {
    fprintf(stderr, "local port %d\n", local_port(fds[i]));
    if (read_to_eof(fds[i]) < 0) {
      int savedErrno = errno;
      fprintf(stderr, "client_read: connection %d (local port %d): %s\n", i + 1, local_port(fds[i]),
              savedErrno == EAGAIN ? "no EOF within 5 s" : strerror(savedErrno));
      status = 1;
    }
    close(fds[i]);
  }
  free(fds);
  fflush(stdout);
  return status;
}
