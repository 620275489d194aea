// soak_driver: the client side of the fault suite and the soak, against an echo server on
// 127.0.0.1 (s11's test9 or pingpong_server). Blocking sockets with 5 s timeouts, so a server
// that stops answering makes a run fail instead of hang.
//
// usage:
//   soak_driver echo PORT BYTES      one connection: send BYTES, expect them back, close.
//                                    Exit 0; 3 if the server closed before echoing anything
//                                    (what the EMFILE squeeze's accept-and-close looks like).
//   soak_driver storm PORT COUNT     COUNT connections open at once, one byte sent on each,
//                                    then all closed at once: every other one with a reset
//                                    (SO_LINGER 0), often before the echo has arrived.
//   soak_driver churn PORT SECONDS [RATE]
//                                    connection churn until SECONDS have passed (at most RATE
//                                    connections a second when RATE is given), in a cycle of
//                                    eight kinds: four exchanges (connect, send 1 B - 64 KiB,
//                                    read the echo, close), a reset after the exchange, a reset
//                                    in the middle of 32 KiB of traffic, a half-close (send,
//                                    shutdown the writing side, read the whole echo, then EOF),
//                                    and a close straight after connect.
// Each mode prints one summary line and exits 1 on any failure, naming it on stderr.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static unsigned short g_port;
static long g_errors = 0;

static void fail(const char *what, long conn) {
  int savedErrno = errno;
  if (++g_errors <= 5)
    fprintf(stderr, "soak_driver: connection %ld: %s (%s)\n", conn, what, strerror(savedErrno));
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int connect_to_server(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  struct timeval tv = {.tv_sec = 5, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(g_port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int savedErrno = errno;
    close(fd);
    errno = savedErrno;
    return -1;
  }
  return fd;
}

static void close_with_reset(int fd) {
  struct linger linger = {.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
  close(fd);
}

static void fill(char *buf, size_t n, long seed) {
  for (size_t i = 0; i < n; ++i)
    buf[i] = (char)((seed * 131 + (long)i * 7) & 0xff);
}

static int send_all(int fd, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

// Reads exactly n bytes; returns how many arrived before EOF, or -1 on an error or timeout.
static ssize_t recv_all(int fd, char *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = recv(fd, buf + got, n - got, 0);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -1;
    if (r == 0)
      break;
    got += (size_t)r;
  }
  return (ssize_t)got;
}

static char g_out[65536], g_in[65536];

// One echo of n bytes on fd; 0 when the same bytes came back.
static int exchange(int fd, size_t n, long conn) {
  fill(g_out, n, conn);
  if (send_all(fd, g_out, n) < 0) {
    fail("send failed", conn);
    return -1;
  }
  ssize_t got = recv_all(fd, g_in, n);
  if (got != (ssize_t)n) {
    fail(got < 0 ? "echo read failed" : "echo came back short", conn);
    return -1;
  }
  if (memcmp(g_in, g_out, n) != 0) {
    errno = 0;
    fail("echo differs from what was sent", conn);
    return -1;
  }
  return 0;
}

static int mode_echo(long bytes) {
  if (bytes < 1 || bytes > (long)sizeof g_out) {
    fprintf(stderr, "soak_driver echo: BYTES must be 1-%zu\n", sizeof g_out);
    return 1;
  }
  int fd = connect_to_server();
  if (fd < 0) {
    fail("connect failed", 0);
    return 1;
  }
  fill(g_out, (size_t)bytes, 0);
  if (send_all(fd, g_out, (size_t)bytes) < 0) {
    // A server that accepted and closed at once may reset us before the send.
    close(fd);
    printf("echo: closed by the server before echoing\n");
    return 3;
  }
  ssize_t got = recv_all(fd, g_in, (size_t)bytes);
  close(fd);
  if (got <= 0 && (got == 0 || errno == ECONNRESET)) {
    printf("echo: closed by the server before echoing\n");
    return 3;
  }
  if (got != bytes || memcmp(g_in, g_out, (size_t)bytes) != 0) {
    fail("echo came back short or different", 0);
    return 1;
  }
  printf("echo: %ld bytes back\n", bytes);
  return 0;
}

static int mode_storm(long count) {
  int *fds = calloc((size_t)count, sizeof *fds);
  long opened = 0, resets = 0;
  for (long i = 0; i < count; ++i) {
    fds[i] = connect_to_server();
    if (fds[i] < 0) {
      fail("connect failed", i);
      continue;
    }
    ++opened;
    if (send_all(fds[i], "x", 1) < 0)
      fail("send failed", i);
  }
  for (long i = 0; i < count; ++i) {
    if (fds[i] < 0)
      continue;
    if (i % 2 == 0) {
      close_with_reset(fds[i]);
      ++resets;
    } else {
      close(fds[i]);
    }
  }
  free(fds);
  printf("storm: opened %ld of %ld, reset %ld, closed %ld\n", opened, count, resets,
         opened - resets);
  return g_errors ? 1 : 0;
}

static int mode_churn(double seconds, double rate) {
  long counts[8] = {0};
  long long echoed = 0;
  double start = now_s(), end = start + seconds;
  for (long conn = 0; now_s() < end; ++conn) {
    if (rate > 0) {
      double due = start + (double)conn / rate;
      double wait = due - now_s();
      if (wait > 0)
        usleep((useconds_t)(wait * 1e6));
    }
    int kind = (int)(conn % 8);
    size_t n = 1 + (size_t)((conn * 2654435761u) % sizeof g_out);
    int fd = connect_to_server();
    if (fd < 0) {
      fail("connect failed", conn);
      continue;
    }
    ++counts[kind];
    switch (kind) {
    case 0:
    case 1:
    case 2:
    case 3: // an exchange, then a normal close
      if (exchange(fd, n, conn) == 0)
        echoed += (long long)n;
      close(fd);
      break;
    case 4: // an exchange, then a reset
      if (exchange(fd, n, conn) == 0)
        echoed += (long long)n;
      close_with_reset(fd);
      break;
    case 5: // a reset while the echo is still coming back
      fill(g_out, 32768, conn);
      if (send_all(fd, g_out, 32768) < 0)
        fail("send failed", conn);
      close_with_reset(fd);
      break;
    case 6: { // a half-close: the whole echo must still arrive, then EOF
      fill(g_out, n, conn);
      if (send_all(fd, g_out, n) < 0 || shutdown(fd, SHUT_WR) < 0) {
        fail("send or shutdown failed", conn);
      } else {
        ssize_t got = recv_all(fd, g_in, n);
        char extra;
        if (got != (ssize_t)n || memcmp(g_in, g_out, n) != 0)
          fail("echo after half-close came back short or different", conn);
        else if (recv(fd, &extra, 1, 0) != 0)
          fail("no EOF after the echo of a half-closed connection", conn);
        else
          echoed += (long long)n;
      }
      close(fd);
      break;
    }
    case 7: // gone at once
      close(fd);
      break;
    }
  }
  long total = 0;
  for (int i = 0; i < 8; ++i)
    total += counts[i];
  printf("churn: %ld connections (exchange %ld, reset after %ld, reset during %ld, half-close "
         "%ld, close at once %ld), %lld bytes echoed, %ld errors\n",
         total, counts[0] + counts[1] + counts[2] + counts[3], counts[4], counts[5], counts[6],
         counts[7], echoed, g_errors);
  return g_errors ? 1 : 0;
}

int main(int argc, char *argv[]) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  long port = argc >= 4 ? strtol(argv[2], NULL, 10) : 0;
  if (argc < 4 || argc > 5 || port < 1 || port > 65535) {
    fprintf(stderr, "usage: soak_driver echo|storm|churn PORT BYTES|COUNT|SECONDS [RATE]\n");
    return 1;
  }
  g_port = (unsigned short)port;
  if (strcmp(argv[1], "echo") == 0)
    return mode_echo(strtol(argv[3], NULL, 10));
  if (strcmp(argv[1], "storm") == 0)
    return mode_storm(strtol(argv[3], NULL, 10));
  if (strcmp(argv[1], "churn") == 0)
    return mode_churn(strtod(argv[3], NULL), argc == 5 ? strtod(argv[4], NULL) : 0);
  fprintf(stderr, "soak_driver: unknown mode '%s'\n", argv[1]);
  return 1;
}
