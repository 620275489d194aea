// ref_echo: the reference echo server for the benchmark, written on raw epoll with libc only.
//
// It is what a careful engineer writes by hand, and the yardstick pingpong_server is measured
// against: one thread, level-triggered epoll, non-blocking sockets with TCP_NODELAY, and per
// readable event exactly one read(2) of up to 64 KiB into one buffer shared by the whole loop,
// followed at once by one write(2) of what was read.
//
// A connection has no state of its own in this process: its epoll entry carries its fd, and the
// kernel holds everything else. Only when the kernel does not take a whole reply is the rest
// copied into a Pending block, allocated then and freed as soon as it is written; while it
// exists the connection's epoll entry points at it and waits for EPOLLOUT only. So an idle
// connection costs no user memory at all, and no message allocates anything unless the peer
// is slower than the sender.
//
// Usage: ref_echo [port]   (or REACTOR_PORT=port; port 0 picks a free port)
// Prints "listening on 0.0.0.0:<port>", then serves until SIGTERM or SIGINT, and exits 0 with
// every Pending block freed (the kernel closes the connections' fds as the process exits).

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
  kBufferSize = 64 * 1024,   // one read takes at most this much
  kMaxEvents = 1024,         // events taken per epoll_wait
  kMaxAcceptsPerEvent = 128, // bounded so a connect storm cannot starve established connections
  kDefaultPort = 9981,
};

// The unsent rest of one reply: data[off, len). Exists only while the kernel has not taken it.
typedef struct Pending {
  int fd;
  size_t off;
  size_t len;
  struct Pending *prev; // every Pending is on one list, so shutdown can free them all
  struct Pending *next;
  char data[];
} Pending;

typedef struct Server {
  int epfd;
  int listenfd;
  int sigfd;   // signalfd for SIGTERM and SIGINT: the loop reads signals like any other event
  int sparefd; // an fd held in reserve so EMFILE can be answered by accepting and closing
  Pending *pending;
} Server;

// The loop's one read buffer: every connection reads into it and writes back from it.
static char g_buf[kBufferSize];

// epoll_event.data says what became ready. An fd is stored as fd * 2 + 1, which no pointer
// from malloc can equal (they are aligned), so an odd value is an fd and an even one a Pending.
static uint64_t fd_tag(int fd) { return (uint64_t)fd * 2 + 1; }

static void die(const char *what) {
  int saved = errno;
  fprintf(stderr, "ref_echo: %s: %s\n", what, strerror(saved));
  exit(1);
}

static int parse_port(const char *s, int *port) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || errno != 0 || v < 0 || v > 65535)
    return -1;
  *port = (int)v;
  return 0;
}

static void ctl(Server *srv, int op, int fd, uint32_t events, uint64_t data) {
  struct epoll_event ev = {.events = events, .data.u64 = data};
  if (epoll_ctl(srv->epfd, op, fd, &ev) < 0)
    die(op == EPOLL_CTL_ADD ? "epoll_ctl ADD" : "epoll_ctl MOD");
}

static void free_pending(Server *srv, Pending *p) {
  if (p->prev)
    p->prev->next = p->next;
  else
    srv->pending = p->next;
  if (p->next)
    p->next->prev = p->prev;
  free(p);
}

static void open_conn(Server *srv, int fd) {
  // Without TCP_NODELAY, Nagle's algorithm holds back a small echo until the previous one is
  // acknowledged, and the delayed ACK on the other side turns that into a 40 ms stall.
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ctl(srv, EPOLL_CTL_ADD, fd, EPOLLIN, fd_tag(fd));
}

// With a level-triggered listening socket, a connection left in the backlog because accept
// failed with EMFILE makes epoll_wait return at once, forever: a busy loop. Giving back the
// spare fd lets us accept that connection and close it, so the client sees a clean close.
static void refuse_one(Server *srv) {
  close(srv->sparefd);
  int fd = accept4(srv->listenfd, NULL, NULL, SOCK_CLOEXEC);
  if (fd >= 0)
    close(fd);
  srv->sparefd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void handle_accept(Server *srv) {
  for (int i = 0; i < kMaxAcceptsPerEvent; i++) {
    int fd = accept4(srv->listenfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      open_conn(srv, fd);
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED)
      continue;
    if ((errno == EMFILE || errno == ENFILE) && srv->sparefd >= 0)
      refuse_one(srv);
    return; // EAGAIN: the backlog is empty; anything else: try again on the next event
  }
}

// Writes buf[*off, len). Returns 0 when all is written or the kernel is full, -1 when the
// connection is dead. SIGPIPE is ignored, so a write to a closed peer fails with EPIPE.
static int write_out(int fd, const char *buf, size_t *off, size_t len) {
  while (*off < len) {
    ssize_t n = write(fd, buf + *off, len - *off);
    if (n > 0) {
      *off += (size_t)n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      return 0;
    } else {
      return -1;
    }
  }
  return 0;
}

// While a Pending exists the connection does not read: its reply is not out yet, and with a
// level-triggered EPOLLIN left on, epoll_wait would wake us for data we would not take. So the
// interest is EPOLLIN or EPOLLOUT, never both, and the peer is held back by TCP flow control.
static void handle_read(Server *srv, int fd) {
  ssize_t n = read(fd, g_buf, kBufferSize);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0) { // 0: the peer closed, and nothing is pending; < 0: reset or other error
    close(fd);
    return;
  }
  size_t off = 0, len = (size_t)n;
  if (write_out(fd, g_buf, &off, len) < 0) {
    close(fd);
    return;
  }
  if (off == len)
    return; // the common case: the kernel took it all, nothing to remember
  Pending *p = malloc(sizeof *p + (len - off));
  if (p == NULL) {
    close(fd); // out of memory is the peer's problem here, not a reason to stop serving
    return;
  }
  p->fd = fd;
  p->off = 0;
  p->len = len - off;
  memcpy(p->data, g_buf + off, p->len);
  p->prev = NULL;
  p->next = srv->pending;
  if (srv->pending)
    srv->pending->prev = p;
  srv->pending = p;
  ctl(srv, EPOLL_CTL_MOD, fd, EPOLLOUT, (uint64_t)(uintptr_t)p);
}

// EPOLLERR and EPOLLHUP arrive whatever the interest is; the write reports the error.
// Closing an fd also removes it from the epoll set (nothing else holds a duplicate of it), so
// no EPOLL_CTL_DEL is needed; and epoll reports each fd at most once per epoll_wait, so no
// later event in the same batch can point at a Pending freed here.
static void handle_write(Server *srv, Pending *p) {
  int fd = p->fd;
  if (write_out(fd, p->data, &p->off, p->len) < 0) {
    free_pending(srv, p);
    close(fd);
    return;
  }
  if (p->off == p->len) {
    free_pending(srv, p);
    ctl(srv, EPOLL_CTL_MOD, fd, EPOLLIN, fd_tag(fd));
  }
}

static void setup(Server *srv, int port) {
  // Block the signals before any fd exists; from then on they are only read from the signalfd.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
    die("sigprocmask");
  if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
    die("signal SIGPIPE");
  srv->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (srv->sigfd < 0)
    die("signalfd");

  srv->sparefd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (srv->sparefd < 0)
    die("open /dev/null");
  srv->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (srv->epfd < 0)
    die("epoll_create1");

  srv->listenfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (srv->listenfd < 0)
    die("socket");
  int one = 1;
  if (setsockopt(srv->listenfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
    die("setsockopt SO_REUSEADDR");
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_ANY)};
  if (bind(srv->listenfd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    char what[64];
    snprintf(what, sizeof what, "cannot bind 0.0.0.0:%d", port);
    die(what);
  }
  if (listen(srv->listenfd, SOMAXCONN) < 0)
    die("listen");
  socklen_t len = sizeof addr;
  if (getsockname(srv->listenfd, (struct sockaddr *)&addr, &len) < 0)
    die("getsockname");
  printf("listening on 0.0.0.0:%d\n", ntohs(addr.sin_port));

  ctl(srv, EPOLL_CTL_ADD, srv->listenfd, EPOLLIN, fd_tag(srv->listenfd));
  ctl(srv, EPOLL_CTL_ADD, srv->sigfd, EPOLLIN, fd_tag(srv->sigfd));
  srv->pending = NULL;
}

static void teardown(Server *srv) {
  while (srv->pending) {
    int fd = srv->pending->fd;
    free_pending(srv, srv->pending);
    close(fd);
  }
  close(srv->listenfd);
  close(srv->epfd);
  close(srv->sigfd);
  if (srv->sparefd >= 0)
    close(srv->sparefd);
}

static void serve(Server *srv) {
  static struct epoll_event events[kMaxEvents];
  for (;;) {
    int n = epoll_wait(srv->epfd, events, kMaxEvents, -1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      uint64_t data = events[i].data.u64;
      if (!(data & 1)) {
        handle_write(srv, (Pending *)(uintptr_t)data);
        continue;
      }
      int fd = (int)(data >> 1);
      if (fd == srv->listenfd) {
        handle_accept(srv);
      } else if (fd == srv->sigfd) {
        struct signalfd_siginfo si;
        if (read(srv->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
          return;
      } else {
        handle_read(srv, fd); // EPOLLIN, or EPOLLERR/EPOLLHUP, which the read reports
      }
    }
  }
}

int main(int argc, char *argv[]) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *port_arg = argc > 1 ? argv[1] : getenv("REACTOR_PORT");
  int port = kDefaultPort;
  if (argc > 2) {
    fprintf(stderr, "usage: ref_echo [port]   (or REACTOR_PORT=port; 0 picks a free port)\n");
    return 2;
  }
  if (port_arg && parse_port(port_arg, &port) < 0) {
    fprintf(stderr, "ref_echo: invalid port '%s' (want 0-65535)\n", port_arg);
    return 2;
  }
  Server srv;
  setup(&srv, port);
  serve(&srv);
  teardown(&srv);
  return 0;
}
