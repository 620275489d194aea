// check_util.h: small helpers shared by the check programs in tests/c - the process's open fd
// and thread counts (from /proc/self), a sleep in microseconds, and, when InetAddress.h was
// included first, a socket on 127.0.0.1 with a port the kernel chose. Header-only: each check
// program is one .c file. With EventLoop.h included first, a timer callback that quits a loop;
// with Mutex.h, a bounded wait for a counter guarded by a mutex.
#ifndef REACTOR_CHECK_UTIL_H
#define REACTOR_CHECK_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/// The number of fds the process has open (the directory stream's own fd not counted).
static inline int check_fd_count(void) {
  DIR *dir = opendir("/proc/self/fd");
  int n = 0;
  struct dirent *entry;
  while (dir != NULL && (entry = readdir(dir)) != NULL)
    if (entry->d_name[0] != '.')
      ++n;
  if (dir != NULL)
    closedir(dir);
  return n - 1;
}

/// The number of threads in the process (Threads: in /proc/self/status), or -1.
static inline int check_thread_count(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  int n = -1;
  while (f != NULL && fgets(line, sizeof line, f) != NULL)
    if (strncmp(line, "Threads:", 8) == 0)
      n = atoi(line + 8);
  if (f != NULL)
    fclose(f);
  return n;
}

static inline void check_sleep_us(long us) {
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  nanosleep(&ts, NULL);
}

/// The thread count once it has settled. pthread_join returns when the kernel clears the
/// thread's tid, which happens while the exiting thread is still being torn down, so a joined
/// thread can stay in /proc/self/status for a moment. Reads every ms until the count has held
/// for 50 reads in a row (or 2 s have passed); a leaked thread never goes, so it still counts.
static inline int check_settled_thread_count(void) {
  int n = check_thread_count(), same = 0;
  for (int i = 0; i < 2000 && same < 50; ++i) {
    check_sleep_us(1000);
    int now = check_thread_count();
    same = now == n ? same + 1 : 0;
    n = now;
  }
  return n;
}

#ifdef REACTOR_EVENTLOOP_H
/// A TimerCallback that quits the loop passed as its argument.
static inline void check_quit_loop(void *loop) { EventLoop_quit(loop); }
#endif

#ifdef REACTOR_MUTEX_H
#include <stdbool.h>
/// Waits on cond (whose mutex guards *counter) until *counter reaches want; false once `seconds`
/// pass with no wakeup. Locks and unlocks the mutex itself.
static inline bool check_wait_for_count(MutexLock *mutex, Condition *cond, const int *counter,
                                        int want, double seconds) {
  bool ok = true;
  MutexLock_lock(mutex);
  while (ok && *counter < want)
    ok = !Condition_waitForSeconds(cond, seconds) || *counter >= want;
  MutexLock_unlock(mutex);
  return ok;
}
#endif

#ifdef REACTOR_INETADDRESS_H
#include <arpa/inet.h>
#include <sys/socket.h>

/// A non-blocking TCP socket bound to 127.0.0.1 on a port the kernel picks, listening if
/// backlog >= 0; its address goes to *addr. Exits (naming the program) if that fails.
static inline int check_loopback_socket(const char *program, int backlog, InetAddress *addr) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
      (backlog >= 0 && listen(fd, backlog) < 0) ||
      getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
    fprintf(stderr, "%s: socket setup: %s\n", program, strerror(errno));
    exit(1);
  }
  InetAddress_initFromSockAddr(addr, &sa);
  return fd;
}
#endif

#endif
