// Timestamp: microseconds since the Unix epoch, as a small value type (muduo's Timestamp).
// Plain values: copy them freely, from any thread.
#ifndef REACTOR_TIMESTAMP_H
#define REACTOR_TIMESTAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Timestamp {
  int64_t microSecondsSinceEpoch;
} Timestamp;

enum { kMicroSecondsPerSecond = 1000 * 1000 };

/// The wall-clock time now (gettimeofday precision).
Timestamp Timestamp_now(void);
/// An invalid (zero) Timestamp.
Timestamp Timestamp_invalid(void);
bool Timestamp_valid(Timestamp t);
/// t plus seconds (may be fractional or negative); saturates instead of overflowing.
Timestamp Timestamp_addTime(Timestamp t, double seconds);
/// high - low in seconds.
double Timestamp_timeDifference(Timestamp high, Timestamp low);
/// "sec.usec", e.g. "1606865031.688777" (muduo's toString). Returns buf.
char *Timestamp_toString(Timestamp t, char *buf, size_t len);
/// "YYYYMMDD HH:MM:SS.uuuuuu" in UTC (muduo's toFormattedString). Returns buf.
char *Timestamp_toFormattedString(Timestamp t, char *buf, size_t len);
/// The log line's time field: the formatted form followed by 'Z'. Returns buf.
char *Timestamp_toLogString(Timestamp t, char *buf, size_t len);

#endif
