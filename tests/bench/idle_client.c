// idle_client: holds many idle connections open against a server, for the benchmark's memory
// per connection figure. Plain epoll, libc only, no project code.
//
//   idle_client PORT CONNECTIONS
//
// Opens CONNECTIONS connections to 127.0.0.1:PORT (non-blocking connects, at most kInFlight
// still connecting at once, so the server's backlog never overflows), then prints
// `connected N` and leaves them idle: not a byte is sent while the caller measures the server.
// When a line arrives on stdin (or stdin closes) it proves the server still serves every one of
// them: each connection sends one byte and must get the same byte back. It then prints
// `echoed N` and exits 0. Any failure prints one line to stderr and exits 1; bad arguments
// exit 2.

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
  kInFlight = 256, // connects outstanding at once
  kMaxEvents = 1024,
  kMaxConnections = 1000000,
};
static const int64_t kNoProgressNs = 10 * 1000000000LL;

typedef struct Conn {
  int fd;
  bool done; // connected (first phase), echoed (second phase)
} Conn;

__attribute__((format(printf, 1, 2), noreturn)) static void fail(const char *fmt, ...);

static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("idle_client: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long parse_long(const char *s, long lo, long hi, const char *name) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi) {
    fprintf(stderr, "idle_client: invalid %s '%s' (want %ld-%ld)\n", name, s, lo, hi);
    fprintf(stderr, "usage: idle_client PORT CONNECTIONS\n");
    exit(2);
  }
  return v;
}

static void start_connect(int epfd, Conn *c, int index, const struct sockaddr_in *addr) {
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0)
    fail("cannot open connection #%d: %s%s", index, strerror(errno),
         errno == EMFILE ? " (raise ulimit -n)" : "");
  if (connect(c->fd, (const struct sockaddr *)addr, sizeof *addr) < 0 && errno != EINPROGRESS)
    fail("connection #%d: connect failed: %s", index, strerror(errno));
  // Writability means the connect has finished, one way or the other; SO_ERROR says which.
  struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)index};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
    fail("epoll_ctl ADD: %s", strerror(errno));
}

static void connect_all(int epfd, Conn *conns, int n, const struct sockaddr_in *addr) {
  static struct epoll_event events[kMaxEvents];
  int started = 0, connected = 0;
  int64_t give_up = now_ns() + kNoProgressNs;
  while (connected < n) {
    while (started < n && started - connected < kInFlight) {
      start_connect(epfd, &conns[started], started, addr);
      started++;
    }
    int k = epoll_wait(epfd, events, kMaxEvents, 100);
    if (k < 0 && errno != EINTR)
      fail("epoll_wait: %s", strerror(errno));
    for (int i = 0; i < k; i++) {
      Conn *c = &conns[events[i].data.u32];
      if (c->done)
        continue;
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0)
        fail("connection #%u: connect failed: %s", events[i].data.u32, strerror(err));
      // Idle from here on: no interest at all until the echo check.
      struct epoll_event ev = {.events = 0, .data.u32 = events[i].data.u32};
      if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
        fail("epoll_ctl MOD: %s", strerror(errno));
      c->done = true;
      connected++;
      give_up = now_ns() + kNoProgressNs;
    }
    if (now_ns() > give_up)
      fail("no progress for 10 s: %d of %d connections connected", connected, n);
  }
}

// One byte out on every connection, then wait until each has echoed it back.
static void check_echo(int epfd, Conn *conns, int n) {
  static struct epoll_event events[kMaxEvents];
  for (int i = 0; i < n; i++) {
    Conn *c = &conns[i];
    c->done = false;
    char byte = (char)('a' + i % 26);
    if (send(c->fd, &byte, 1, MSG_NOSIGNAL) != 1)
      fail("connection #%d: send failed: %s", i, strerror(errno));
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
      fail("epoll_ctl MOD: %s", strerror(errno));
  }
  int echoed = 0;
  int64_t give_up = now_ns() + kNoProgressNs;
  while (echoed < n) {
    int k = epoll_wait(epfd, events, kMaxEvents, 100);
    if (k < 0 && errno != EINTR)
      fail("epoll_wait: %s", strerror(errno));
    for (int i = 0; i < k; i++) {
      uint32_t index = events[i].data.u32;
      Conn *c = &conns[index];
      char byte;
      ssize_t r = read(c->fd, &byte, 1);
      if (r < 0 && (errno == EAGAIN || errno == EINTR))
        continue;
      if (r == 0)
        fail("connection #%u: the server closed it while idle", index);
      if (r < 0)
        fail("connection #%u: read failed: %s", index, strerror(errno));
      if (c->done || byte != (char)('a' + index % 26))
        fail("connection #%u: wrong echo", index);
      c->done = true;
      echoed++;
      give_up = now_ns() + kNoProgressNs;
    }
    if (now_ns() > give_up)
      fail("no progress for 10 s: %d of %d connections echoed", echoed, n);
  }
}

int main(int argc, char *argv[]) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc != 3) {
    fprintf(stderr, "usage: idle_client PORT CONNECTIONS\n");
    return 2;
  }
  int port = (int)parse_long(argv[1], 1, 65535, "port");
  int n = (int)parse_long(argv[2], 1, kMaxConnections, "connection count");
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0)
    fail("epoll_create1: %s", strerror(errno));
  Conn *conns = calloc((size_t)n, sizeof *conns);
  if (conns == NULL)
    fail("out of memory for %d connections", n);

  connect_all(epfd, conns, n, &addr);
  printf("connected %d\n", n);
  char line[64];
  if (fgets(line, sizeof line, stdin) == NULL && ferror(stdin))
    fail("reading stdin: %s", strerror(errno));
  check_echo(epfd, conns, n);
  printf("echoed %d\n", n);

  for (int i = 0; i < n; i++)
    close(conns[i].fd);
  close(epfd);
  free(conns);
  return 0;
}
