// Logging: one line per call, muduo's shape, to stdout.
//
//   20201201 23:23:51.688777Z  2295 DEBUG Connector_new ctor[0x822360] - Connector.c:31
//
// UTC time with microseconds, the kernel thread id right-aligned to 5, the level padded to 6,
// the function name (TRACE and DEBUG only), the message, then the source file and line.
// The level comes from REACTOR_LOG_LEVEL (TRACE|DEBUG|INFO|WARN|ERROR, default DEBUG); an
// unknown value is reported once as a warning and the default is used.
// Safe to call from any thread: each line is written with one stdio call under stdio's lock.
#ifndef REACTOR_LOGGING_H
#define REACTOR_LOGGING_H

#include <stdatomic.h>
#include <stdbool.h>

typedef enum LogLevel {
  LOG_LEVEL_TRACE,
  LOG_LEVEL_DEBUG,
  LOG_LEVEL_INFO,
  LOG_LEVEL_WARN,
  LOG_LEVEL_ERROR,
  LOG_LEVEL_FATAL,
  LOG_LEVEL_NUM
} LogLevel;

// The level in force (muduo's g_logLevel), -1 until the first Logger_logLevel() has read it.
// Only Logging.c writes it.
extern atomic_int g_logLevel;
/// Reads REACTOR_LOG_LEVEL (once in the process; reports an unknown value) and returns the level.
LogLevel Logger_initLevel(void);

/// The level in force: read from REACTOR_LOG_LEVEL on first use. Any thread. Inline, so that a
/// log statement below the level costs one load and a compare, as muduo's global does.
static inline LogLevel Logger_logLevel(void) {
  int level = atomic_load_explicit(&g_logLevel, memory_order_relaxed);
  return level >= 0 ? (LogLevel)level : Logger_initLevel();
}
/// Overrides the level (tests, benchmarks). Any thread; takes effect for later lines.
void Logger_setLogLevel(LogLevel level);
/// Writes one line. withErrno appends errno's text and number; FATAL flushes and aborts.
void Logger_log(const char *file, int line, LogLevel level, const char *func, bool withErrno,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#define LOG_AT_(level, func, witherr, ...)                                                         \
  do {                                                                                             \
    if (Logger_logLevel() <= (level))                                                              \
      Logger_log(__FILE__, __LINE__, (level), (func), (witherr), __VA_ARGS__);                     \
  } while (0)

#define LOG_TRACE(...) LOG_AT_(LOG_LEVEL_TRACE, __func__, false, __VA_ARGS__)
#define LOG_DEBUG(...) LOG_AT_(LOG_LEVEL_DEBUG, __func__, false, __VA_ARGS__)
#define LOG_INFO(...) LOG_AT_(LOG_LEVEL_INFO, NULL, false, __VA_ARGS__)
#define LOG_WARN(...) LOG_AT_(LOG_LEVEL_WARN, NULL, false, __VA_ARGS__)
#define LOG_ERROR(...) LOG_AT_(LOG_LEVEL_ERROR, NULL, false, __VA_ARGS__)
#define LOG_SYSERR(...) LOG_AT_(LOG_LEVEL_ERROR, NULL, true, __VA_ARGS__)
// FATAL lines are never filtered out, and the call never returns.
#define LOG_FATAL(...)                                                                             \
  do {                                                                                             \
    Logger_log(__FILE__, __LINE__, LOG_LEVEL_FATAL, NULL, false, __VA_ARGS__);                     \
    __builtin_unreachable();                                                                       \
  } while (0)
#define LOG_SYSFATAL(...)                                                                          \
  do {                                                                                             \
    Logger_log(__FILE__, __LINE__, LOG_LEVEL_FATAL, NULL, true, __VA_ARGS__);                      \
    __builtin_unreachable();                                                                       \
  } while (0)

#endif
