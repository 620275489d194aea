// leaky_server fd|memory [threads]: an echo server on TcpServer, like s11's test9, with a
// planted leak - the negative controls' server (tests/faults.bats, tests/soak). A probe that
// never fails proves nothing: the fd probe, valgrind and the soak must pass test9 and fail this.
//
//   fd       each new connection leaks one fd (a dup of /dev/null, never closed)
//   memory   each new connection leaks 4 KiB (malloc'd, filled, never freed)
//
// The leak is planted from the connection callback, through nothing but the public API, so the
// library itself stays free of test code. REACTOR_PORT as for test9 (0: prints "listening on
// IP:PORT"); argv[2] is the number of IO threads (default 0). Exits 0 on SIGTERM or SIGINT.
#include "EventLoop.h"
#include "QuitSignals.h"
#include "TcpServer.h"

#include "Settings.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { kLeakBytes = 4096 };

static bool g_leakFds;
static int g_devNull = -1;
// The newest leaked block. Storing it keeps the compiler from dropping the allocation; each
// connection's block overwrites, and so loses, the one before, and main drops the last.
static void *_Atomic g_lastBlock;

static void onConnection(void *arg, TcpConnection *conn) {
  (void)arg;
  if (!TcpConnection_connected(conn))
    return;
  if (g_leakFds) {
    if (fcntl(g_devNull, F_DUPFD_CLOEXEC, 0) < 0)
      fprintf(stderr, "leaky_server: dup: %s\n", strerror(errno));
    return;
  }
  void *block = malloc(kLeakBytes);
  if (block == NULL)
    abort();
  memset(block, 'L', kLeakBytes);
  atomic_store(&g_lastBlock, block);
}

static void onMessage(void *arg, TcpConnection *conn, Buffer *buf, Timestamp receiveTime) {
  (void)arg;
  (void)receiveTime;
  TcpConnection_sendBuffer(conn, buf);
}

int main(int argc, char *argv[]) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *leak = argc > 1 ? argv[1] : "";
  if (strcmp(leak, "fd") != 0 && strcmp(leak, "memory") != 0) {
    fprintf(stderr, "leaky_server: bad leak '%s': use fd or memory\n", leak);
    return 1;
  }
  g_leakFds = strcmp(leak, "fd") == 0;
  uint16_t port = Settings_port("leaky_server");
  long threads = Settings_longArg("leaky_server", argc, argv, 2, "number of IO threads", 0, 64, 0);
  g_devNull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (g_devNull < 0) {
    fprintf(stderr, "leaky_server: /dev/null: %s\n", strerror(errno));
    return 1;
  }
  printf("main(): pid = %d, leaking %s per connection\n", getpid(), g_leakFds ? "one fd" : "4 KiB");

  EventLoop loop;
  EventLoop_init(&loop);
  QuitSignals quitSignals;
  QuitSignals_init(&quitSignals, &loop);
  InetAddress listenAddr;
  InetAddress_init(&listenAddr, port);
  TcpServer *server = TcpServer_new(&loop, &listenAddr);
  if (server != NULL) {
    TcpServer_setConnectionCallback(server, onConnection, NULL);
    TcpServer_setMessageCallback(server, onMessage, NULL);
    TcpServer_setThreadNum(server, (int)threads);
  }
  if (server == NULL || TcpServer_start(server) < 0) {
    fprintf(stderr, "leaky_server: cannot listen: %s\n", strerror(errno));
    TcpServer_free(server);
    QuitSignals_destroy(&quitSignals);
    EventLoop_destroy(&loop);
    return 1;
  }
  if (Settings_portIsAny()) {
    InetAddress bound = TcpServer_listenAddress(server);
    char where[kHostPortLen];
    printf("listening on %s\n", InetAddress_toHostPort(&bound, where, sizeof where));
  }

  EventLoop_loop(&loop);

  TcpServer_free(server);
  QuitSignals_destroy(&quitSignals);
  EventLoop_destroy(&loop);
  atomic_store(&g_lastBlock, NULL); // every block is lost now, the last one too
  close(g_devNull);
  return 0;
}
