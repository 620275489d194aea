// accept_storm: a storm of short connections against an echo server, on plain epoll with libc
// only, for the accept benchmark (tests/bench/storm).
//
//   accept_storm PORT COUNT [CONCURRENCY]      (CONCURRENCY defaults to 1000)
//
// Opens COUNT connections to 127.0.0.1:PORT, keeping up to CONCURRENCY of them in progress at a
// time. Each one connects, sends 8 bytes naming it, reads them back, checks them and closes
// with a reset (SO_LINGER 0, so that 10,000 connections leave no TIME_WAIT behind). Prints one
// line:
//
//   storm: connections=10000 echoed=10000 failed=0 seconds=1.234 connections_per_sec=8103
//
// and exits 0 when every connection was echoed, 1 otherwise (a failure - refused, reset, a
// wrong byte, no progress for 10 s - is also named on stderr); bad arguments exit 2.

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kMsgLen = 8, kMaxEvents = 1024, kStallMs = 10000 };

typedef struct Conn {
  long id; // -1: slot free
  bool connected;
  size_t got;
  char buf[kMsgLen];
} Conn;

static Conn *g_conns; // indexed by fd
static int g_epfd;
static long g_started, g_echoed, g_failed, g_inflight;
static struct sockaddr_in g_addr;

static double now_sec(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void message_of(long id, char out[kMsgLen]) {
  char text[kMsgLen + 2]; // the sign a negative id would print never comes: ids count from 0
  snprintf(text, sizeof text, "%07ld\n", id % 10000000);
  memcpy(out, text, kMsgLen);
}

static void finish(int fd, bool ok, const char *why) {
  if (ok) {
    ++g_echoed;
  } else {
    ++g_failed;
    if (g_failed <= 5)
      fprintf(stderr, "accept_storm: connection %ld: %s\n", g_conns[fd].id, why);
  }
  struct linger lin = {.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
  close(fd); // also leaves the epoll set
  g_conns[fd].id = -1;
  --g_inflight;
}

static void start_one(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    perror("accept_storm: socket");
    exit(1);
  }
  Conn *c = &g_conns[fd];
  c->id = g_started++;
  c->connected = false;
  c->got = 0;
  ++g_inflight;
  if (connect(fd, (struct sockaddr *)&g_addr, sizeof g_addr) < 0 && errno != EINPROGRESS) {
    finish(fd, false, strerror(errno));
    return;
  }
  struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
  epoll_ctl(g_epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void on_writable(int fd) {
  Conn *c = &g_conns[fd];
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    finish(fd, false, strerror(err));
    return;
  }
  char msg[kMsgLen];
  message_of(c->id, msg);
  if (send(fd, msg, kMsgLen, MSG_NOSIGNAL) != kMsgLen) {
    finish(fd, false, "short send");
    return;
  }
  c->connected = true;
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  epoll_ctl(g_epfd, EPOLL_CTL_MOD, fd, &ev);
}

static void on_readable(int fd) {
  Conn *c = &g_conns[fd];
  ssize_t n = read(fd, c->buf + c->got, kMsgLen - c->got);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0) {
    finish(fd, false, n == 0 ? "closed before the echo" : strerror(errno));
    return;
  }
  c->got += (size_t)n;
  if (c->got < kMsgLen)
    return;
  char want[kMsgLen];
  message_of(c->id, want);
  finish(fd, memcmp(want, c->buf, kMsgLen) == 0, "wrong bytes echoed");
}

static long arg(const char *text, long min, long max, const char *what) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || end == text || v < min || v > max) {
    fprintf(stderr, "accept_storm: bad %s '%s': expected an integer from %ld to %ld\n", what,
            text, min, max);
    exit(2);
  }
  return v;
}

int main(int argc, char *argv[]) {
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: accept_storm PORT COUNT [CONCURRENCY]\n");
    return 2;
  }
  long port = arg(argv[1], 1, 65535, "port");
  long count = arg(argv[2], 1, 10000000, "count");
  long concurrency = argc == 4 ? arg(argv[3], 1, 100000, "concurrency") : 1000;
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < (rlim_t)concurrency + 64) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur < (rlim_t)concurrency + 64) {
    fprintf(stderr, "accept_storm: concurrency %ld needs more fds than the limit %ld\n",
            concurrency, (long)rl.rlim_cur);
    return 2;
  }
  size_t slots = (size_t)concurrency + 64;
  g_conns = calloc(slots, sizeof *g_conns);
  for (size_t i = 0; i < slots; ++i)
    g_conns[i].id = -1;
  g_addr.sin_family = AF_INET;
  g_addr.sin_port = htons((uint16_t)port);
  g_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  g_epfd = epoll_create1(EPOLL_CLOEXEC);
  if (g_conns == NULL || g_epfd < 0) {
    perror("accept_storm: setup");
    return 1;
  }

  double start = now_sec(), lastProgress = start;
  struct epoll_event events[kMaxEvents];
  while (g_echoed + g_failed < count) {
    while (g_started < count && g_inflight < concurrency)
      start_one();
    int n = epoll_wait(g_epfd, events, kMaxEvents, 1000);
    if (n < 0 && errno != EINTR) {
      perror("accept_storm: epoll_wait");
      return 1;
    }
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (g_conns[fd].id < 0)
        continue;
      if (!g_conns[fd].connected)
        on_writable(fd);
      else
        on_readable(fd);
    }
    if (n > 0)
      lastProgress = now_sec();
    else if ((now_sec() - lastProgress) * 1000 > kStallMs) {
      fprintf(stderr, "accept_storm: no progress for %d s, %ld connections in progress\n",
              kStallMs / 1000, g_inflight);
      break;
    }
  }
  double seconds = now_sec() - start;
  printf("storm: connections=%ld echoed=%ld failed=%ld seconds=%.3f connections_per_sec=%.0f\n",
         count, g_echoed, g_failed + (count - g_echoed - g_failed), seconds, g_echoed / seconds);
  return g_echoed == count ? 0 : 1;
}
