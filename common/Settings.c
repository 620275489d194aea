#include "Settings.h"

#include "Logging.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

bool Settings_parseLong(const char *text, long min, long max, long *out) {
  if (text == NULL || *text == '\0')
    return false;
  char *end;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || value < min || value > max)
    return false;
  *out = value;
  return true;
}

uint16_t Settings_port(const char *program) {
  const char *env = getenv("REACTOR_PORT");
  if (env == NULL)
    return kDefaultPort;
  long port;
  if (!Settings_parseLong(env, 0, 65535, &port)) {
    fprintf(stderr, "%s: bad REACTOR_PORT '%s': not a port number (0-65535)\n", program, env);
    exit(1);
  }
  return (uint16_t)port;
}

bool Settings_portIsAny(void) {
  const char *env = getenv("REACTOR_PORT");
  long port;
  return env != NULL && Settings_parseLong(env, 0, 65535, &port) && port == 0;
}

long Settings_connectTimeoutMs(const char *program) {
  const char *env = getenv("REACTOR_CONNECT_TIMEOUT_MS");
  if (env == NULL)
    return 0;
  long ms;
  if (!Settings_parseLong(env, 0, kMaxConnectTimeoutMs, &ms)) {
    fprintf(stderr, "%s: bad REACTOR_CONNECT_TIMEOUT_MS '%s': expected milliseconds from 0 to %d\n",
            program, env, kMaxConnectTimeoutMs);
    exit(1);
  }
  return ms;
}

long Settings_longArg(const char *program, int argc, char *argv[], int index, const char *what,
                      long min, long max, long def) {
  if (argc <= index)
    return def;
  long value;
  if (!Settings_parseLong(argv[index], min, max, &value)) {
    fprintf(stderr, "%s: bad %s '%s': expected an integer from %ld to %ld\n", program, what,
            argv[index], min, max);
    exit(1);
  }
  return value;
}

static bool g_usePoll = false;
static pthread_once_t g_usePollOnce = PTHREAD_ONCE_INIT;

static void read_use_poll(void) {
  const char *env = getenv("REACTOR_USE_POLL");
  if (env == NULL || strcmp(env, "0") == 0 || *env == '\0')
    return;
  if (strcmp(env, "1") == 0)
    g_usePoll = true;
  else
    LOG_WARN("unknown REACTOR_USE_POLL '%s' (expected 0 or 1), using epoll", env);
}

bool Settings_usePoll(void) {
  pthread_once(&g_usePollOnce, read_use_poll);
  return g_usePoll;
}
