// s11_client PORT [options]: one TCP connection to 127.0.0.1:PORT that sends and receives at
// the same time (a poll loop on a non-blocking socket), for the s11 server tests.
//
//   -f FILE  send the bytes of FILE
//   -c N     at most N bytes per write (default 65536; -c 1 sends one byte per write)
//   -H       half-close (shutdown SHUT_WR) once everything is sent
//   -b N     at most N bytes per read (default 65536)
//   -d MS    sleep MS milliseconds after each read (a slow reader)
//   -D MS    read nothing for the first MS milliseconds (the server's output piles up)
//   -n N     stop once N bytes have arrived (instead of waiting for EOF)
//   -R       end with a reset (SO_LINGER 0) instead of a normal close
//   -t SEC   give up after SEC seconds (default 30)
//
// What arrives is copied to stdout. stderr gets "local port P" first (the port a server logs
// as its peer's), then "sent S received R eof|limit". Exits 0 when it ended at EOF or at the -n
// limit (whether or not everything was sent: the last line says); 1, with a line saying why, on
// an error or the deadline.
#include "Settings.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *g_data;
static size_t g_dataLen;

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what) {
  fprintf(stderr, "s11_client: %s: %s\n", what, strerror(errno));
  exit(1);
}

// The value of the option being parsed, an integer in [min, max]; exits 1 on a bad one.
static long option_value(const char *option, long min, long max) {
  long value;
  if (!Settings_parseLong(optarg, min, max, &value)) {
    fprintf(stderr, "s11_client: bad %s '%s': expected an integer from %ld to %ld\n", option,
            optarg, min, max);
    exit(1);
  }
  return value;
}

static void load_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    fail(path);
  struct stat st;
  if (fstat(fileno(f), &st) < 0)
    fail(path);
  g_dataLen = (size_t)st.st_size;
  g_data = malloc(g_dataLen > 0 ? g_dataLen : 1);
  if (g_data == NULL || fread(g_data, 1, g_dataLen, f) != g_dataLen)
    fail(path);
  fclose(f);
}

static int connect_to(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    fail("socket");
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    fail("connect");
  struct sockaddr_in local;
  socklen_t len = sizeof local;
  if (getsockname(fd, (struct sockaddr *)&local, &len) < 0)
    fail("getsockname");
  fprintf(stderr, "local port %d\n", ntohs(local.sin_port));
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
    fail("fcntl");
  return fd;
}

int main(int argc, char *argv[]) {
  long chunk = 65536, readSize = 65536, delayMs = 0, startDelayMs = 0, limit = -1, seconds = 30;
  bool halfClose = false, reset = false;
  int opt;
  while ((opt = getopt(argc, argv, "f:c:Hb:d:D:n:Rt:")) != -1) {
    switch (opt) {
    case 'f':
      load_file(optarg);
      break;
    case 'c':
      chunk = option_value("-c", 1, 1 << 24);
      break;
    case 'H':
      halfClose = true;
      break;
    case 'b':
      readSize = option_value("-b", 1, 1 << 20);
      break;
    case 'd':
      delayMs = option_value("-d", 0, 10000);
      break;
    case 'D':
      startDelayMs = option_value("-D", 0, 60000);
      break;
    case 'n':
      limit = option_value("-n", 0, 1L << 40);
      break;
    case 'R':
      reset = true;
      break;
    case 't':
      seconds = option_value("-t", 1, 600);
      break;
    default:
      fprintf(stderr, "usage: s11_client PORT [-f FILE] [-c N] [-H] [-b N] [-d MS] [-D MS] "
                      "[-n N] [-R] [-t SEC]\n");
      return 1;
    }
  }
  if (optind + 1 != argc) {
    fprintf(stderr, "usage: s11_client PORT [options]\n");
    return 1;
  }
  uint16_t port = (uint16_t)Settings_longArg("s11_client", argc, argv, optind, "port", 1, 65535, 0);
  int fd = connect_to(port);

  char *buf = malloc((size_t)readSize);
  if (buf == NULL)
    fail("malloc");
  double start = now_seconds();
  size_t sent = 0;
  long long received = 0;
  bool shutDown = false, eof = false;
  while (!eof && !(limit >= 0 && received >= limit)) {
    double elapsed = now_seconds() - start;
    if (elapsed > (double)seconds) {
      fprintf(stderr, "s11_client: deadline of %ld s passed (sent %zu of %zu, received %lld)\n",
              seconds, sent, g_dataLen, received);
      return 1;
    }
    if (sent == g_dataLen && halfClose && !shutDown) {
      if (shutdown(fd, SHUT_WR) < 0)
        fail("shutdown");
      shutDown = true;
    }
    bool reading = elapsed * 1000 >= (double)startDelayMs;
    struct pollfd pfd = {.fd = fd, .events = 0, .revents = 0};
    if (reading)
      pfd.events |= POLLIN;
    if (sent < g_dataLen)
      pfd.events |= POLLOUT;
    if (poll(&pfd, 1, 50) < 0 && errno != EINTR)
      fail("poll");
    if ((pfd.revents & POLLOUT) && sent < g_dataLen) {
      size_t n = g_dataLen - sent < (size_t)chunk ? g_dataLen - sent : (size_t)chunk;
      ssize_t nw = write(fd, g_data + sent, n);
      if (nw > 0)
        sent += (size_t)nw;
      else if (nw < 0 && errno != EAGAIN && errno != EINTR)
        fail("write");
    }
    if (reading && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
      size_t want = (size_t)readSize;
      if (limit >= 0 && (long long)want > limit - received)
        want = (size_t)(limit - received);
      ssize_t nr = read(fd, buf, want);
      if (nr == 0) {
        eof = true;
      } else if (nr > 0) {
        received += nr;
        if (fwrite(buf, 1, (size_t)nr, stdout) != (size_t)nr)
          fail("stdout");
        if (delayMs > 0)
          usleep((useconds_t)delayMs * 1000);
      } else if (errno != EAGAIN && errno != EINTR) {
        fail("read");
      }
    }
  }
  if (reset) {
    struct linger linger = {.l_onoff = 1, .l_linger = 0};
    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger) < 0)
      fail("SO_LINGER");
  }
  close(fd);
  free(buf);
  free(g_data);
  fflush(stdout);
  fprintf(stderr, "sent %zu received %lld %s\n", sent, received, eof ? "eof" : "limit");
  return 0;
}
