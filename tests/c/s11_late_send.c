// s11_late_send PORT MESSAGE: connects to 127.0.0.1:PORT, reads until the server's EOF (a server
// that half-closes first, as test10 does), then sends MESSAGE and its own FIN in one TCP segment.
//
// The segment is built with TCP_CORK: the corked MESSAGE is held back, and shutdown(SHUT_WR)
// tacks the FIN onto it. The server's socket then has both directions shut (its own FIN went
// first) and unread data: poll reports POLLIN and POLLHUP together, in one event. A server must
// read the data before it closes (NOTES.md, "Channel and Poller": POLLHUP with POLLIN means read
// to EOF first). Prints "received N bytes, then EOF" and exits 0; 1 with a line saying why on an
// error or after 10 s.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char *argv[]) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc != 3) {
    fprintf(stderr, "usage: s11_late_send PORT MESSAGE\n");
    return 1;
  }
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    perror("s11_late_send: connect");
    return 1;
  }
  char buf[65536];
  long total = 0;
  for (;;) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, 10000) != 1) {
      fprintf(stderr, "s11_late_send: no EOF from the server after 10 s (%ld bytes)\n", total);
      return 1;
    }
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      perror("s11_late_send: read");
      return 1;
    }
    if (n == 0)
      break;
    total += n;
  }
  printf("received %ld bytes, then EOF\n", total);
  int on = 1;
  size_t len = strlen(argv[2]);
  if (setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on) < 0 ||
      write(fd, argv[2], len) != (ssize_t)len || shutdown(fd, SHUT_WR) < 0) {
    perror("s11_late_send: send");
    return 1;
  }
  close(fd);
  return 0;
}
