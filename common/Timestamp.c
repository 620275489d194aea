#include "Timestamp.h"

#include <inttypes.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

Timestamp Timestamp_now(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  Timestamp t = {(int64_t)tv.tv_sec * kMicroSecondsPerSecond + tv.tv_usec};
  return t;
}

Timestamp Timestamp_invalid(void) {
  Timestamp t = {0};
  return t;
}

bool Timestamp_valid(Timestamp t) { return t.microSecondsSinceEpoch > 0; }

Timestamp Timestamp_addTime(Timestamp t, double seconds) {
  // Saturate rather than overflow: runAfter(1e300) means "never", not undefined behaviour.
  double limit = (double)(INT64_MAX / 2);
  double delta = seconds * kMicroSecondsPerSecond;
  if (delta > limit - (double)t.microSecondsSinceEpoch)
    delta = limit - (double)t.microSecondsSinceEpoch;
  if (delta < -(double)t.microSecondsSinceEpoch)
    delta = -(double)t.microSecondsSinceEpoch;
  Timestamp r = {t.microSecondsSinceEpoch + (int64_t)delta};
  return r;
}

double Timestamp_timeDifference(Timestamp high, Timestamp low) {
  int64_t diff = high.microSecondsSinceEpoch - low.microSecondsSinceEpoch;
  return (double)diff / kMicroSecondsPerSecond;
}

char *Timestamp_toString(Timestamp t, char *buf, size_t len) {
  int64_t sec = t.microSecondsSinceEpoch / kMicroSecondsPerSecond;
  int64_t usec = t.microSecondsSinceEpoch % kMicroSecondsPerSecond;
  snprintf(buf, len, "%" PRId64 ".%06" PRId64, sec, usec);
  return buf;
}

char *Timestamp_toFormattedString(Timestamp t, char *buf, size_t len) {
  time_t sec = (time_t)(t.microSecondsSinceEpoch / kMicroSecondsPerSecond);
  int usec = (int)(t.microSecondsSinceEpoch % kMicroSecondsPerSecond);
  struct tm tm;
  gmtime_r(&sec, &tm);
  snprintf(buf, len, "%4d%02d%02d %02d:%02d:%02d.%06d", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
  return buf;
}

char *Timestamp_toLogString(Timestamp t, char *buf, size_t len) {
  char formatted[32];
  snprintf(buf, len, "%sZ", Timestamp_toFormattedString(t, formatted, sizeof formatted));
  return buf;
}
