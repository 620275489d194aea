// accept_storm: a storm of short connections against an echo server, on plain epoll with libc
// only, for the accept benchmark (tests/bench/storm).
//
//   accept_storm PORT COUNT [CONCURRENCY [BUSY [BUSY_CPU]]]   (defaults: 1000, 0, any CPU)
//
// Opens COUNT connections to 127.0.0.1:PORT, keeping up to CONCURRENCY of them in progress at a
// time. Each one connects, sends 8 bytes naming it, reads them back, checks them and closes
// with a reset (SO_LINGER 0, so that 10,000 connections leave no TIME_WAIT behind).
//
// With BUSY > 0 the storm hits a busy server: a child process first opens BUSY long-lived
// connections, each a ping-pong of 64-byte messages (every echo checked, then sent again); the
// storm starts once every one of them has had its first echo, and they keep going until it
// ends. The child is a process of its own, run on CPU BUSY_CPU if given: tests/bench/storm puts
// it on the server's CPU, so that the storm has the client's CPU to itself and its pace does
// not depend on how the scheduler splits one CPU between the storm and the load.
// Prints one line:
//
//   storm: connections=10000 echoed=10000 failed=0 seconds=1.234 connections_per_sec=8103 busy=0
//
// with BUSY > 0 followed by busy_roundtrips_per_sec=N, the busy connections' round trips during
// the storm. Exits 0 when every connection was echoed (and every busy one stayed correct), 1
// otherwise (a failure - refused, reset, a wrong byte, no progress for 10 s - is also named on
// stderr); bad arguments exit 2.

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kMsgLen = 8, kBusyLen = 64, kMaxEvents = 1024, kStallMs = 10000 };

typedef struct Conn {
  long id; // -1: slot free
  bool connected;
  bool echoed; // a busy connection (in the busy child) that has had its first echo
  size_t got;
  char buf[kBusyLen];
} Conn;

static Conn *g_conns; // indexed by fd
static int g_epfd;
static long g_started, g_echoed, g_failed, g_inflight;
static long g_busyRoundTrips, g_busyWarm, g_busyBroken; // in the busy child
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

// Reads more of a len-byte echo into the connection's buffer: 1 once it is complete, 0 while
// more is to come, -1 at end-of-file or on an error (*why says which).
static int read_echo(int fd, size_t len, const char **why) {
  Conn *c = &g_conns[fd];
  ssize_t n = read(fd, c->buf + c->got, len - c->got);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return 0;
  if (n <= 0) {
    *why = n == 0 ? "closed before the echo" : strerror(errno);
    return -1;
  }
  c->got += (size_t)n;
  return c->got == len;
}

static void on_readable(int fd) {
  Conn *c = &g_conns[fd];
  const char *why;
  int done = read_echo(fd, kMsgLen, &why);
  if (done < 0)
    finish(fd, false, why);
  if (done <= 0)
    return;
  char want[kMsgLen];
  message_of(c->id, want);
  finish(fd, memcmp(want, c->buf, kMsgLen) == 0, "wrong bytes echoed");
}

// A busy connection's message: its id, then filler, 64 bytes.
static void busy_message_of(long id, char out[kBusyLen]) {
  memset(out, 'b', kBusyLen);
  message_of(id, out);
}

static void busy_fail(int fd, const char *why) {
  fprintf(stderr, "accept_storm: busy connection %ld: %s\n", g_conns[fd].id, why);
  ++g_busyBroken;
  close(fd);
  g_conns[fd].id = -1;
}

static bool busy_send(int fd) {
  char msg[kBusyLen];
  busy_message_of(g_conns[fd].id, msg);
  if (send(fd, msg, kBusyLen, MSG_NOSIGNAL) != kBusyLen) {
    busy_fail(fd, "short send");
    return false;
  }
  return true;
}

// In the busy child: opens a busy connection (a blocking connect: the kernel completes it from
// the backlog, before the server accepts) and sends its first message.
static void start_busy(long id) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&g_addr, sizeof g_addr) < 0) {
    perror("accept_storm: busy connection");
    _exit(1);
  }
  Conn *c = &g_conns[fd];
  c->id = id;
  c->connected = true;
  c->echoed = false;
  c->got = 0;
  if (!busy_send(fd))
    _exit(1);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  epoll_ctl(g_epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void on_busy_readable(int fd) {
  Conn *c = &g_conns[fd];
  const char *why;
  int done = read_echo(fd, kBusyLen, &why);
  if (done < 0)
    busy_fail(fd, why);
  if (done <= 0)
    return;
  char want[kBusyLen];
  busy_message_of(c->id, want);
  if (memcmp(want, c->buf, kBusyLen) != 0) {
    busy_fail(fd, "wrong bytes echoed");
    return;
  }
  ++g_busyRoundTrips;
  if (!c->echoed) {
    c->echoed = true;
    ++g_busyWarm;
  }
  c->got = 0;
  busy_send(fd);
}

// The busy child (on CPU busyCpu unless it is -1): opens `busy` connections and keeps them
// busy; writes one byte to toParent once every one has been echoed, then runs until fromParent
// is readable, and writes the round trips made since then (a long). Exits 1 if a busy
// connection broke.
static void run_busy(long busy, int busyCpu, int toParent, int fromParent) {
  if (busyCpu >= 0) {
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(busyCpu, &cpus);
    if (sched_setaffinity(0, sizeof cpus, &cpus) < 0) {
      fprintf(stderr, "accept_storm: cannot run the busy child on CPU %d: %s\n", busyCpu,
              strerror(errno));
      _exit(1);
    }
  }
  g_epfd = epoll_create1(EPOLL_CLOEXEC);
  if (g_epfd < 0) {
    perror("accept_storm: busy epoll_create1");
    _exit(1);
  }
  for (long i = 0; i < busy; ++i)
    start_busy(i);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fromParent};
  epoll_ctl(g_epfd, EPOLL_CTL_ADD, fromParent, &ev);
  struct epoll_event events[kMaxEvents];
  double warmStart = now_sec();
  long roundTrips0 = -1;
  for (bool stop = false; !stop && g_busyBroken == 0;) {
    int n = epoll_wait(g_epfd, events, kMaxEvents, 1000);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == fromParent)
        stop = true;
      else if (g_conns[fd].id >= 0)
        on_busy_readable(fd);
    }
    if (roundTrips0 < 0 && g_busyWarm == busy) {
      roundTrips0 = g_busyRoundTrips;
      if (write(toParent, "r", 1) != 1)
        _exit(1);
    }
    if (roundTrips0 < 0 && now_sec() - warmStart > kStallMs / 1000) {
      fprintf(stderr, "accept_storm: %ld of %ld busy connections echoed in %d s\n", g_busyWarm,
              busy, kStallMs / 1000);
      _exit(1);
    }
  }
  if (roundTrips0 < 0) // broke before all were echoed: the parent reads end-of-file
    _exit(1);
  long made = g_busyRoundTrips - roundTrips0;
  if (write(toParent, &made, sizeof made) != (ssize_t)sizeof made)
    _exit(1);
  _exit(g_busyBroken == 0 ? 0 : 1);
}

// Starts the busy child and waits until it is warm; returns its pid, its pipes in fds.
static pid_t start_busy_child(long busy, int busyCpu, int *toChild, int *fromChild) {
  int up[2], down[2];
  if (pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0) {
    perror("accept_storm: pipe2");
    exit(1);
  }
  signal(SIGPIPE, SIG_IGN); // a child that failed early: writing to it fails with EPIPE instead
  pid_t pid = fork();
  if (pid < 0) {
    perror("accept_storm: fork");
    exit(1);
  }
  if (pid == 0) {
    close(up[0]);
    close(down[1]);
    run_busy(busy, busyCpu, up[1], down[0]);
  }
  close(up[1]);
  close(down[0]);
  char ready;
  if (read(up[0], &ready, 1) != 1) {
    fprintf(stderr, "accept_storm: the busy connections never all got their first echo\n");
    exit(1);
  }
  *toChild = down[1];
  *fromChild = up[0];
  return pid;
}

// Stops the busy child; returns its round trips since it was warm, or -1 if it failed.
static long stop_busy_child(pid_t pid, int toChild, int fromChild) {
  long made = -1;
  if (write(toChild, "s", 1) != 1 || read(fromChild, &made, sizeof made) != (ssize_t)sizeof made)
    made = -1;
  int status;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    made = -1;
  return made;
}

static long arg(const char *text, long min, long max, const char *what) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || end == text || v < min || v > max) {
    fprintf(stderr, "accept_storm: bad %s '%s': expected an integer from %ld to %ld\n", what, text,
            min, max);
    exit(2);
  }
  return v;
}

int main(int argc, char *argv[]) {
  if (argc < 3 || argc > 6) {
    fprintf(stderr, "usage: accept_storm PORT COUNT [CONCURRENCY [BUSY [BUSY_CPU]]]\n");
    return 2;
  }
  long port = arg(argv[1], 1, 65535, "port");
  long count = arg(argv[2], 1, 10000000, "count");
  long concurrency = argc >= 4 ? arg(argv[3], 1, 100000, "concurrency") : 1000;
  long busy = argc >= 5 ? arg(argv[4], 0, 10000, "busy") : 0;
  int busyCpu = argc == 6 ? (int)arg(argv[5], 0, CPU_SETSIZE - 1, "busy CPU") : -1;
  rlim_t fds = (rlim_t)(concurrency + busy) + 64;
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < fds) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur < fds) {
    fprintf(stderr, "accept_storm: concurrency %ld and %ld busy need more fds than the limit %ld\n",
            concurrency, busy, (long)rl.rlim_cur);
    return 2;
  }
  size_t slots = (size_t)fds;
  g_conns = calloc(slots, sizeof *g_conns);
  if (g_conns == NULL) {
    perror("accept_storm: calloc");
    return 1;
  }
  for (size_t i = 0; i < slots; ++i)
    g_conns[i].id = -1;
  g_addr.sin_family = AF_INET;
  g_addr.sin_port = htons((uint16_t)port);
  g_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  pid_t busyChild = 0;
  int toBusy = -1, fromBusy = -1;
  if (busy > 0)
    busyChild = start_busy_child(busy, busyCpu, &toBusy, &fromBusy);
  g_epfd = epoll_create1(EPOLL_CLOEXEC);
  if (g_epfd < 0) {
    perror("accept_storm: epoll_create1");
    return 1;
  }

  struct epoll_event events[kMaxEvents];
  double start = now_sec(), lastProgress = start;
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
  long busyRoundTrips = busy > 0 ? stop_busy_child(busyChild, toBusy, fromBusy) : 0;
  printf("storm: connections=%ld echoed=%ld failed=%ld seconds=%.3f connections_per_sec=%.0f "
         "busy=%ld",
         count, g_echoed, g_failed + (count - g_echoed - g_failed), seconds, g_echoed / seconds,
         busy);
  if (busyRoundTrips > 0)
    printf(" busy_roundtrips_per_sec=%.0f", busyRoundTrips / seconds);
  printf("\n");
  if (busyRoundTrips < 0)
    fprintf(stderr, "accept_storm: the busy connections failed\n");
  return g_echoed == count && busyRoundTrips >= 0 ? 0 : 1;
}
