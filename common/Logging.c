#include "Logging.h"

#include "CurrentThread.h"
#include "Timestamp.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kLevelNames[LOG_LEVEL_NUM] = {
    "TRACE ", "DEBUG ", "INFO  ", "WARN  ", "ERROR ", "FATAL ",
};

atomic_int g_logLevel = -1;
static pthread_once_t g_levelOnce = PTHREAD_ONCE_INIT;
static const char *g_badLevel; // an unknown REACTOR_LOG_LEVEL, reported after init

static void read_level_from_env(void) {
  int level = LOG_LEVEL_DEBUG;
  const char *env = getenv("REACTOR_LOG_LEVEL");
  if (env != NULL && *env != '\0') {
    static const char *const names[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR"};
    int i = 0;
    while (i < (int)(sizeof names / sizeof names[0]) && strcmp(env, names[i]) != 0)
      ++i;
    if (i < (int)(sizeof names / sizeof names[0]))
      level = i;
    else
      g_badLevel = env;
  }
  atomic_store(&g_logLevel, level);
}

LogLevel Logger_initLevel(void) {
  pthread_once(&g_levelOnce, read_level_from_env);
  if (g_badLevel != NULL) {
    // Report once, outside pthread_once (logging from inside it would recurse into it).
    static atomic_flag reported = ATOMIC_FLAG_INIT;
    if (!atomic_flag_test_and_set(&reported))
      Logger_log(__FILE__, __LINE__, LOG_LEVEL_WARN, NULL, false,
                 "unknown REACTOR_LOG_LEVEL '%s' (expected TRACE, DEBUG, INFO, WARN or ERROR), "
                 "using DEBUG",
                 g_badLevel);
  }
  return (LogLevel)atomic_load(&g_logLevel);
}

void Logger_setLogLevel(LogLevel level) {
  Logger_initLevel(); // the environment first, so it cannot undo this later
  atomic_store(&g_logLevel, (int)level);
}

// __FILE__ may carry a directory ("../common/Logging.c"); muduo prints the base name.
static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

void Logger_log(const char *file, int line, LogLevel level, const char *func, bool withErrno,
                const char *fmt, ...) {
  int savedErrno = errno;
  char buf[4096];
  size_t len = 0;

  char when[32];
  Timestamp_toLogString(Timestamp_now(), when, sizeof when);
  len +=
      (size_t)snprintf(buf, sizeof buf, "%s %5d %s", when, CurrentThread_tid(), kLevelNames[level]);
  if (func != NULL && len < sizeof buf)
    len += (size_t)snprintf(buf + len, sizeof buf - len, "%s ", func);

  if (len < sizeof buf) {
    va_list ap;
    va_start(ap, fmt);
    len += (size_t)vsnprintf(buf + len, sizeof buf - len, fmt, ap);
    va_end(ap);
  }
  if (withErrno && len < sizeof buf) {
    char errbuf[128];
    // GNU strerror_r returns the message (maybe not in errbuf); thread-safe either way.
    const char *text = strerror_r(savedErrno, errbuf, sizeof errbuf);
    len += (size_t)snprintf(buf + len, sizeof buf - len, ": %s (errno=%d)", text, savedErrno);
  }
  if (len < sizeof buf)
    len += (size_t)snprintf(buf + len, sizeof buf - len, " - %s:%d\n", base_name(file), line);
  if (len >= sizeof buf) { // truncated: still end the line
    len = sizeof buf - 1;
    buf[len - 1] = '\n';
  }

  fwrite(buf, 1, len, stdout);
  if (level == LOG_LEVEL_FATAL) {
    // The line must reach the file or pipe before the process dies.
    fflush(stdout);
    abort();
  }
  errno = savedErrno;
}
