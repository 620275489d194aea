// load_client: the ping-pong load generator for the benchmark, on plain epoll with libc only.
//
// It opens CONNECTIONS connections to 127.0.0.1:PORT and keeps exactly one block of BLOCKSIZE
// bytes in flight on each: send the block, wait until all of it has come back, check every
// byte, send the next. After SECONDS it prints one line of key=value fields:
//
//   connections=10 blocksize=16384 seconds=3.00 roundtrips=... bytes=... msgs_per_sec=...
//   mib_per_sec=... slowest_share=0.97 [p50_us=... p99_us=... max_us=...]
//
// bytes counts completed round trips times BLOCKSIZE (one direction); slowest_share is the
// slowest connection's round trips divided by the mean. --latency also times every round trip
// and adds the percentiles. Any failure - a connect error, a wrong byte, an early close, no
// progress for 5 s - prints one line to stderr and exits 1; bad arguments exit 2.
//
// Each block is a window into one random pattern, at an offset that depends on the connection
// and the round, so a byte from another connection, from an earlier round or from elsewhere in
// the block does not compare equal by accident.

#include <errno.h>
#include <getopt.h>
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
  kPatternSlack = 4093, // offsets into the pattern; prime, so rounds walk through them all
  kMaxEvents = 1024,
  kMaxScratch = 1024 * 1024, // largest single read
  kMaxBlockSize = 64 * 1024 * 1024,
  kMaxConnections = 1000000,
};
static const int64_t kNoProgressNs = 5 * 1000000000LL;

typedef struct Conn {
  int fd;
  int index;
  bool connected;
  bool want_out;        // EPOLLOUT is in the interest set
  const uint8_t *block; // what this round sends and expects back
  size_t sent;          // bytes of the block sent so far
  size_t recvd;         // bytes of the block received and checked so far
  uint64_t rounds;      // completed round trips
  int64_t start_ns;     // when this round began (latency mode)
} Conn;

typedef struct Client {
  int port;
  int nconns;
  size_t blocksize;
  double seconds;
  bool latency;

  int epfd;
  Conn *conns;
  uint8_t *pattern; // blocksize + kPatternSlack random bytes
  uint8_t *scratch; // where echoed bytes land before they are compared
  size_t scratch_len;
  bool progressed; // some bytes came back since the last look at the clock

  int64_t *samples; // round-trip times in ns (latency mode)
  size_t nsamples;
  size_t samples_cap;
} Client;

__attribute__((format(printf, 1, 2), noreturn)) static void fail(const char *fmt, ...);

static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("load_client: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static void usage(void) {
  fprintf(stderr, "usage: load_client [--latency] PORT CONNECTIONS BLOCKSIZE SECONDS\n"
                  "  ping-pong against 127.0.0.1:PORT with one BLOCKSIZE-byte block in flight\n"
                  "  per connection for SECONDS (may be fractional)\n");
  exit(2);
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
    fprintf(stderr, "load_client: invalid %s '%s' (want %ld-%ld)\n", name, s, lo, hi);
    usage();
  }
  return v;
}

static void parse_args(Client *cl, int argc, char *argv[]) {
  static const struct option options[] = {
      {"latency", no_argument, NULL, 'l'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int opt;
  while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
    if (opt == 'l')
      cl->latency = true;
    else
      usage();
  }
  if (argc - optind != 4)
    usage();
  cl->port = (int)parse_long(argv[optind], 1, 65535, "port");
  cl->nconns = (int)parse_long(argv[optind + 1], 1, kMaxConnections, "connection count");
  cl->blocksize = (size_t)parse_long(argv[optind + 2], 1, kMaxBlockSize, "block size");
  char *end;
  const char *s = argv[optind + 3];
  cl->seconds = strtod(s, &end);
  if (*s == '\0' || *end != '\0' || !(cl->seconds > 0 && cl->seconds <= 86400)) {
    fprintf(stderr, "load_client: invalid seconds '%s' (want a number in (0, 86400])\n", s);
    usage();
  }
}

static void *xmalloc(size_t n) {
  void *p = malloc(n);
  if (p == NULL)
    fail("out of memory (%zu bytes)", n);
  return p;
}

// xorshift64: fast, fixed seed, so a run is reproducible; it only has to look random to a
// misplaced byte.
static void fill_pattern(uint8_t *p, size_t n) {
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    p[i] = (uint8_t)(x >> 32);
  }
}

static const uint8_t *block_for(const Client *cl, const Conn *c) {
  uint64_t off = ((uint64_t)c->index * 7919u + c->rounds * 4099u) % kPatternSlack;
  return cl->pattern + off;
}

static void set_events(Client *cl, Conn *c, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  if (epoll_ctl(cl->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
    fail("epoll_ctl MOD: %s", strerror(errno));
}

static void send_some(Client *cl, Conn *c) {
  while (c->sent < cl->blocksize) {
    ssize_t n = send(c->fd, c->block + c->sent, cl->blocksize - c->sent, MSG_NOSIGNAL);
    if (n > 0) {
      c->sent += (size_t)n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      if (!c->want_out) {
        c->want_out = true;
        set_events(cl, c, EPOLLIN | EPOLLOUT);
      }
      return;
    } else {
      fail("connection #%d: send failed after %llu round trips: %s", c->index,
           (unsigned long long)c->rounds, strerror(errno));
    }
  }
  if (c->want_out) {
    c->want_out = false;
    set_events(cl, c, EPOLLIN);
  }
}

static void start_round(Client *cl, Conn *c) {
  c->block = block_for(cl, c);
  c->sent = 0;
  c->recvd = 0;
  if (cl->latency)
    c->start_ns = now_ns();
  send_some(cl, c);
}

static void record_sample(Client *cl, int64_t ns) {
  if (cl->nsamples == cl->samples_cap) {
    size_t cap = cl->samples_cap ? 2 * cl->samples_cap : 65536;
    int64_t *p = realloc(cl->samples, cap * sizeof *p);
    if (p == NULL)
      fail("out of memory for %zu latency samples", cap);
    cl->samples = p;
    cl->samples_cap = cap;
  }
  cl->samples[cl->nsamples++] = ns;
}

static void check_bytes(const Conn *c, const uint8_t *got, size_t n) {
  const uint8_t *want = c->block + c->recvd;
  if (memcmp(got, want, n) == 0)
    return;
  size_t i = 0;
  while (got[i] == want[i])
    i++;
  fail("connection #%d: byte mismatch in round %llu at block offset %zu: got 0x%02x, "
       "expected 0x%02x",
       c->index, (unsigned long long)c->rounds, c->recvd + i, got[i], want[i]);
}

static void handle_read(Client *cl, Conn *c) {
  size_t want = cl->blocksize - c->recvd;
  if (want > cl->scratch_len)
    want = cl->scratch_len;
  ssize_t n = read(c->fd, cl->scratch, want);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n == 0)
    fail("connection #%d: server closed the connection early (after %llu round trips)", c->index,
         (unsigned long long)c->rounds);
  if (n < 0)
    fail("connection #%d: read failed after %llu round trips: %s", c->index,
         (unsigned long long)c->rounds, strerror(errno));
  if (c->recvd + (size_t)n > c->sent)
    fail("connection #%d: server echoed %zu bytes of a block of which %zu were sent", c->index,
         c->recvd + (size_t)n, c->sent);
  check_bytes(c, cl->scratch, (size_t)n);
  c->recvd += (size_t)n;
  cl->progressed = true;
  if (c->recvd < cl->blocksize)
    return;
  c->rounds++;
  if (cl->latency)
    record_sample(cl, now_ns() - c->start_ns);
  start_round(cl, c);
}

static void connect_all(Client *cl) {
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)cl->port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  for (int i = 0; i < cl->nconns; i++) {
    Conn *c = &cl->conns[i];
    c->index = i;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
      fail("cannot open connection #%d: %s%s", i, strerror(errno),
           errno == EMFILE ? " (raise ulimit -n)" : "");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS)
      fail("connect to 127.0.0.1:%d failed: %s", cl->port, strerror(errno));
    // Writability means the connect has finished, one way or the other; SO_ERROR says which.
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(cl->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
      fail("epoll_ctl ADD: %s", strerror(errno));
  }

  static struct epoll_event events[kMaxEvents];
  int pending = cl->nconns;
  int64_t give_up = now_ns() + kNoProgressNs;
  while (pending > 0) {
    int n = epoll_wait(cl->epfd, events, kMaxEvents, 100);
    if (n < 0 && errno != EINTR)
      fail("epoll_wait: %s", strerror(errno));
    for (int i = 0; i < n; i++) {
      Conn *c = events[i].data.ptr;
      if (c->connected)
        continue;
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0)
        fail("connect to 127.0.0.1:%d failed: %s", cl->port, strerror(err));
      c->connected = true;
      set_events(cl, c, EPOLLIN);
      pending--;
      give_up = now_ns() + kNoProgressNs;
    }
    if (pending > 0 && now_ns() > give_up)
      fail("no progress for 5 s: %d of %d connections still connecting", pending, cl->nconns);
  }
}

// Runs the ping-pong for the configured time and returns the time it really took, in ns.
static int64_t run(Client *cl) {
  static struct epoll_event events[kMaxEvents];
  int64_t start = now_ns();
  int64_t deadline = start + (int64_t)(cl->seconds * 1e9);
  int64_t last_progress = start;
  for (int i = 0; i < cl->nconns; i++)
    start_round(cl, &cl->conns[i]);
  for (;;) {
    int64_t now = now_ns();
    if (cl->progressed) {
      cl->progressed = false;
      last_progress = now;
    }
    if (now >= deadline)
      return now - start;
    if (now - last_progress >= kNoProgressNs)
      fail("no progress for 5 s: the server has echoed nothing since");
    int64_t until =
        deadline < last_progress + kNoProgressNs ? deadline : last_progress + kNoProgressNs;
    int timeout_ms = (int)((until - now + 999999) / 1000000);
    int n = epoll_wait(cl->epfd, events, kMaxEvents, timeout_ms);
    if (n < 0 && errno != EINTR)
      fail("epoll_wait: %s", strerror(errno));
    for (int i = 0; i < n; i++) {
      Conn *c = events[i].data.ptr;
      if ((events[i].events & EPOLLOUT) && c->want_out)
        send_some(cl, c);
      if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        handle_read(cl, c);
    }
  }
}

static int compare_int64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static double percentile_us(const Client *cl, double q) {
  size_t i = (size_t)(q * (double)(cl->nsamples - 1) + 0.5);
  return (double)cl->samples[i] / 1000.0;
}

static void report(Client *cl, int64_t elapsed_ns) {
  uint64_t total = 0, slowest = UINT64_MAX;
  for (int i = 0; i < cl->nconns; i++) {
    total += cl->conns[i].rounds;
    if (cl->conns[i].rounds < slowest)
      slowest = cl->conns[i].rounds;
  }
  double secs = (double)elapsed_ns / 1e9;
  double bytes = (double)total * (double)cl->blocksize;
  double mean = (double)total / cl->nconns;
  printf("connections=%d blocksize=%zu seconds=%.2f roundtrips=%llu bytes=%.0f "
         "msgs_per_sec=%.0f mib_per_sec=%.2f slowest_share=%.3f",
         cl->nconns, cl->blocksize, secs, (unsigned long long)total, bytes, (double)total / secs,
         bytes / secs / (1024.0 * 1024.0), mean > 0 ? (double)slowest / mean : 0.0);
  if (cl->latency && cl->nsamples > 0) {
    qsort(cl->samples, cl->nsamples, sizeof *cl->samples, compare_int64);
    printf(" p50_us=%.1f p99_us=%.1f max_us=%.1f", percentile_us(cl, 0.50), percentile_us(cl, 0.99),
           percentile_us(cl, 1.0));
  }
  printf("\n");
}

int main(int argc, char *argv[]) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  Client cl = {0};
  parse_args(&cl, argc, argv);

  cl.epfd = epoll_create1(EPOLL_CLOEXEC);
  if (cl.epfd < 0)
    fail("epoll_create1: %s", strerror(errno));
  cl.conns = calloc((size_t)cl.nconns, sizeof *cl.conns);
  if (cl.conns == NULL)
    fail("out of memory for %d connections", cl.nconns);
  cl.pattern = xmalloc(cl.blocksize + kPatternSlack);
  fill_pattern(cl.pattern, cl.blocksize + kPatternSlack);
  cl.scratch_len = cl.blocksize < kMaxScratch ? cl.blocksize : kMaxScratch;
  cl.scratch = xmalloc(cl.scratch_len);

  connect_all(&cl);
  int64_t elapsed = run(&cl);
  report(&cl, elapsed);

  for (int i = 0; i < cl.nconns; i++)
    close(cl.conns[i].fd);
  close(cl.epfd);
  free(cl.conns);
  free(cl.pattern);
  free(cl.scratch);
  free(cl.samples);
  return 0;
}
