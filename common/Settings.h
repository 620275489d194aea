// Settings: what the test programs read from their environment and arguments.
//
//   REACTOR_PORT   the port servers listen on and clients connect to (0: servers pick a free
//                  port and print "listening on IP:PORT")
//   REACTOR_USE_POLL  1: a loop built with both backends uses poll(2) instead of epoll (0 or
//                     unset: epoll)
//   REACTOR_CONNECT_TIMEOUT_MS  test13's connect timeout in milliseconds (0 or unset: none)
//
// A bad value is a user error: one line naming the value and the reason, then exit status 1.
// Main thread, at start-up.
#ifndef REACTOR_SETTINGS_H
#define REACTOR_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

enum { kDefaultPort = 9981, kMaxConnectTimeoutMs = 3600 * 1000 };

/// The port from REACTOR_PORT, or kDefaultPort when unset; exits 1 on a bad value.
uint16_t Settings_port(const char *program);
/// True when REACTOR_PORT asks servers for any free port (REACTOR_PORT=0).
bool Settings_portIsAny(void);
/// The connect timeout from REACTOR_CONNECT_TIMEOUT_MS (0 to kMaxConnectTimeoutMs), or 0 when
/// unset; exits 1 on a bad value.
long Settings_connectTimeoutMs(const char *program);
/// True when REACTOR_USE_POLL=1. An unknown value is reported once (WARN) and epoll is used.
/// Any thread.
bool Settings_usePoll(void);
/// Parses text as a decimal integer in [min, max]; returns false if it is not one.
bool Settings_parseLong(const char *text, long min, long max, long *out);
/// argv[index] as an integer in [min, max], or def when argc <= index; exits 1 on a bad value,
/// naming the argument (`what`).
long Settings_longArg(const char *program, int argc, char *argv[], int index, const char *what,
                      long min, long max, long def);

#endif
