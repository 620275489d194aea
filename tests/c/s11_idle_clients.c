// s11_idle_clients PORT N: opens N connections to 127.0.0.1:PORT, sends nothing, prints
// "connected N" and holds them until killed (or for 60 s at most). For measuring what an idle
// connection costs a server. Exits 1, with a line saying why, when a connect fails.
#include "Settings.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char *argv[]) {
  if (argc != 3) {
    fprintf(stderr, "usage: s11_idle_clients PORT N\n");
    return 1;
  }
  uint16_t port =
      (uint16_t)Settings_longArg("s11_idle_clients", argc, argv, 1, "port", 1, 65535, 0);
  long count = Settings_longArg("s11_idle_clients", argc, argv, 2, "count", 1, 10000, 1);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (long i = 0; i < count; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
      fprintf(stderr, "s11_idle_clients: connection %ld: %s\n", i + 1, strerror(errno));
      return 1;
    }
  }
  printf("connected %ld\n", count);
  fflush(stdout);
  sleep(60);
  return 0;
}
