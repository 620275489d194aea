// ref_echo: the reference echo server for the benchmark, written on raw epoll with libc only.
//
// It is the lower bound the project's pingpong_server is measured against: one thread,
// level-triggered epoll, non-blocking sockets with TCP_NODELAY, and per readable event exactly
// one read of up to 64 KiB followed at once by one write of what was read. Bytes the kernel did
// not take stay in the connection's buffer and EPOLLOUT is switched on until they are drained.
// Each connection owns one buffer, allocated with it; no message allocates anything.
//
// Usage: ref_echo [port]   (or REACTOR_PORT=port; port 0 picks a free port)
// Prints "listening on 0.0.0.0:<port>", then serves until SIGTERM or SIGINT, and exits 0 with
// every connection closed and every byte of memory freed.

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
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

// One accepted connection. The buffer holds bytes read but not yet written back: they are
// buf[off, len). While that range is non-empty the connection waits for EPOLLOUT only.
typedef struct Conn {
  int fd;
  size_t off;
  size_t len;
  struct Conn *prev; // every live connection is on one list, so shutdown can free them all
  struct Conn *next;
  char buf[]; // kBufferSize bytes, allocated together with the struct
} Conn;

typedef struct Server {
  int epfd;
  int listenfd;
  int sigfd;   // signalfd for SIGTERM and SIGINT: the loop reads signals like any other event
  int sparefd; // an fd held in reserve so EMFILE can be answered by accepting and closing
  Conn *conns;
} Server;

// epoll_event.data.ptr names what became ready: a Conn, or one of these two tags.
static char listen_tag;
static char signal_tag;

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

static void add_fd(Server *srv, int fd, uint32_t events, void *ptr) {
  struct epoll_event ev = {.events = events, .data.ptr = ptr};
  if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    die("epoll_ctl ADD");
}

static void set_events(Server *srv, Conn *c, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  if (epoll_ctl(srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
    die("epoll_ctl MOD");
}

// Closing the fd also removes it from the epoll set (nothing else holds a duplicate of it),
// so no EPOLL_CTL_DEL is needed. epoll reports each fd at most once per epoll_wait, so no
// later event in the same batch can point at the Conn freed here.
static void close_conn(Server *srv, Conn *c) {
  if (c->prev)
    c->prev->next = c->next;
  else
    srv->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  close(c->fd);
  free(c);
}

static void open_conn(Server *srv, int fd) {
  // Without TCP_NODELAY, Nagle's algorithm holds back a small echo until the previous one is
  // acknowledged, and the delayed ACK on the other side turns that into a 40 ms stall.
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  Conn *c = malloc(sizeof *c + kBufferSize);
  if (c == NULL) {
    close(fd); // out of memory is the peer's problem here, not a reason to stop serving
    return;
  }
  c->fd = fd;
  c->off = 0;
  c->len = 0;
  c->prev = NULL;
  c->next = srv->conns;
  if (srv->conns)
    srv->conns->prev = c;
  srv->conns = c;
  add_fd(srv, fd, EPOLLIN, c);
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

// Writes buf[off, len). Returns 0 when all is written or the kernel is full, -1 when the
// connection is dead. MSG_NOSIGNAL turns a write to a closed peer into EPIPE, not SIGPIPE.
static int flush(Conn *c) {
  while (c->off < c->len) {
    ssize_t n = send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
    if (n > 0) {
      c->off += (size_t)n;
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

// While unsent bytes remain the connection does not read: the buffer is in use, and with a
// level-triggered EPOLLIN left on, epoll_wait would wake us for data we cannot take. So the
// interest is EPOLLIN or EPOLLOUT, never both, and the peer is held back by TCP flow control.
static void handle_read(Server *srv, Conn *c) {
  ssize_t n = read(c->fd, c->buf, kBufferSize);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0) { // 0: the peer closed, and nothing is pending; < 0: reset or other error
    close_conn(srv, c);
    return;
  }
  c->off = 0;
  c->len = (size_t)n;
  if (flush(c) < 0) {
    close_conn(srv, c);
    return;
  }
  if (c->off < c->len)
    set_events(srv, c, EPOLLOUT);
}

static void handle_write(Server *srv, Conn *c) {
  if (flush(c) < 0) {
    close_conn(srv, c);
    return;
  }
  if (c->off == c->len) {
    c->off = c->len = 0;
    set_events(srv, c, EPOLLIN);
  }
}

static void handle_conn(Server *srv, Conn *c, uint32_t events) {
  // EPOLLERR and EPOLLHUP arrive whatever the interest is; the read or write that follows
  // reports the error and closes the connection.
  if (c->off < c->len) {
    if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
      handle_write(srv, c);
  } else if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
    handle_read(srv, c);
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

  add_fd(srv, srv->listenfd, EPOLLIN, &listen_tag);
  add_fd(srv, srv->sigfd, EPOLLIN, &signal_tag);
  srv->conns = NULL;
}

static void teardown(Server *srv) {
  while (srv->conns)
    close_conn(srv, srv->conns);
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
      void *ptr = events[i].data.ptr;
      if (ptr == &listen_tag) {
        handle_accept(srv);
      } else if (ptr == &signal_tag) {
        struct signalfd_siginfo si;
        if (read(srv->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
          return;
      } else {
        handle_conn(srv, ptr, events[i].events);
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
