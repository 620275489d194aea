// client_reset PORT COUNT: COUNT times, connects to 127.0.0.1:PORT and at once closes the
// connection with a reset (SO_LINGER with a zero timeout sends RST instead of FIN), often
// before the server has even accepted it. A server must shrug these off: no abort, no
// SIGPIPE death, no leaked fd. Exits 0 when every connect succeeded, 1 otherwise.
#include "Settings.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int connect_and_reset(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  struct linger linger = {.l_onoff = 1, .l_linger = 0};
  int result = 0;
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger) < 0)
    result = -1;
  int savedErrno = errno;
  close(fd);
  errno = savedErrno;
  return result;
}

int main(int argc, char *argv[]) {
  if (argc != 3) {
    fprintf(stderr, "usage: client_reset PORT COUNT\n");
    return 1;
  }
  uint16_t port = (uint16_t)Settings_longArg("client_reset", argc, argv, 1, "port", 1, 65535, 0);
  long count = Settings_longArg("client_reset", argc, argv, 2, "count", 1, 100000, 1);
  for (long i = 0; i < count; ++i) {
    if (connect_and_reset(port) < 0) {
      fprintf(stderr, "client_reset: connection %ld to 127.0.0.1:%u: %s\n", i + 1, (unsigned)port,
              strerror(errno));
      return 1;
    }
  }
  return 0;
}
