// fuzz_inetaddress: libFuzzer harness for InetAddress_initFromIpPort and toHostPort.
//
// The input is a port (its first two bytes) and the text of an address (the rest, cut at the
// first NUL as a C string would be). InetAddress_initFromIpPort must accept exactly the text
// inet_pton(AF_INET) accepts - strict dotted quads, nothing silently read as 0.0.0.0 - and on
// failure return -1 with errno EINVAL. An accepted address must print as inet_ntop's text and
// the port, parse again to the same address (the round trip), and toHostPort must never write
// past a buffer of any length, always leaving a terminated prefix of the full text.
#include "InetAddress.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "fuzz_inetaddress: check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);  \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

// toHostPort into a heap buffer of exactly len bytes, so ASan sees any write past it.
static void check_truncated(const InetAddress *addr, const char *full) {
  size_t fullLen = strlen(full);
  for (size_t len = 1; len <= fullLen + 1; ++len) {
    char *small = malloc(len);
    CHECK(small != NULL);
    CHECK(InetAddress_toHostPort(addr, small, len) == small);
    CHECK(strlen(small) == len - 1);
    CHECK(memcmp(small, full, len - 1) == 0);
    free(small);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2)
    return 0;
  uint16_t port = (uint16_t)(data[0] << 8 | data[1]);
  char *text = malloc(size - 1);
  CHECK(text != NULL);
  memcpy(text, data + 2, size - 2);
  text[size - 2] = '\0';

  struct in_addr want;
  int accepted = inet_pton(AF_INET, text, &want) == 1;
  InetAddress addr;
  errno = 0;
  int rc = InetAddress_initFromIpPort(&addr, text, port);
  CHECK(addr.addr.sin_family == AF_INET);
  CHECK(InetAddress_port(&addr) == port);
  if (!accepted) {
    CHECK(rc == -1);
    CHECK(errno == EINVAL);
    free(text);
    return 0;
  }
  CHECK(rc == 0);
  CHECK(addr.addr.sin_addr.s_addr == want.s_addr);

  // Printing: inet_ntop's canonical text, a colon, the port in decimal.
  char host[INET_ADDRSTRLEN];
  CHECK(inet_ntop(AF_INET, &want, host, sizeof host) != NULL);
  char expected[64];
  snprintf(expected, sizeof expected, "%s:%u", host, (unsigned)port);
  char buf[kHostPortLen];
  CHECK(InetAddress_toHostPort(&addr, buf, sizeof buf) == buf);
  CHECK(strcmp(buf, expected) == 0);
  CHECK(strlen(buf) < kHostPortLen);
  check_truncated(&addr, expected);

  // The round trip: the printed host parses back to the same address and port.
  char *colon = strrchr(buf, ':');
  CHECK(colon != NULL);
  *colon = '\0';
  InetAddress again;
  CHECK(InetAddress_initFromIpPort(&again, buf, port) == 0);
  CHECK(memcmp(&again, &addr, sizeof addr) == 0);
  free(text);
  return 0;
}
