// timer_rounds.h: what timer_bench and timer_ref share, so that the two run the same rounds and
// read their figures the same way: the due-time generator (same seed, same sequence), the
// thread's CPU time, a field of /proc/self/status, and the check of the count arguments.
// Header-only: each program is one .c file.
#ifndef REACTOR_TIMER_ROUNDS_H
#define REACTOR_TIMER_ROUNDS_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng_state = 88172645463325252ULL;
/// xorshift64: fast, and the same sequence every run and in both programs.
static inline uint64_t next_random(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/// CPU time of the calling thread: on a shared machine it is what the work cost, where the
/// wall-clock time also counts the stretches the thread waited for a core.
static inline double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/// A "Name: N kB" field of /proc/self/status (VmHWM, VmRSS), or -1.
static inline long status_kb(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  size_t len = strlen(field);
  while (f != NULL && fgets(line, sizeof line, f) != NULL)
    if (strncmp(line, field, len) == 0 && line[len] == ':')
      kb = atol(line + len + 1);
  if (f != NULL)
    fclose(f);
  return kb;
}

/// A count argument: an integer from 1 to 100,000,000, or one line naming it and exit 2.
static inline long count_arg(const char *program, const char *text, const char *what) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || end == text || v < 1 || v > 100000000) {
    fprintf(stderr, "%s: bad number of %s '%s': expected an integer from 1 to 100000000\n", program,
            what, text);
    exit(2);
  }
  return v;
}

#endif
