// s11_send_race [ROUNDS [SENDERS]]: sends from other threads while the connection is
// force-closed. A TcpServer (2 IO threads, port 0) accepts one connection per round from this
// program's own client socket, which never reads. For each connection SENDERS threads call
// TcpConnection_send with 1000-byte messages while the controller thread calls
// TcpConnection_forceClose until it is down; each sender stops when it sees the connection
// disconnected and then sends 3 more, which must be dropped with a warning. The controller drops
// its reference (from its own thread) after the connection went down.
//
// Prints the library's log lines and, at the end:
//   rounds R, senders S
//   sends N, after the close M
//   connections up U, down D
//   fds before X, after Y
// Exits 0, or 1 with a line saying why (a connection that did not come up or go down in 5 s).
#include "EventLoop.h"
#include "TcpServer.h"

#include "Mutex.h"
#include "Settings.h"
#include "Thread.h"
#include "check_util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kMaxSends = 200, kMessageSize = 1000, kSendsAfterClose = 3, kMaxSenders = 16 };

static EventLoop *g_loop;
static uint16_t g_port;
static long g_rounds = 50;
static long g_senders = 2;
static char g_message[kMessageSize];
static atomic_long g_sends;
static atomic_long g_sendsAfterClose;
static int g_status;

// guarded by g_mutex
static MutexLock g_mutex;
static Condition g_cond;
static TcpConnection *g_conn; // the connection that came up last, with a reference for us
static int g_up;
static int g_down;

static void onConnection(void *arg, TcpConnection *conn) {
  (void)arg;
  MutexLock_lock(&g_mutex);
  if (TcpConnection_connected(conn)) {
    TcpConnection_ref(conn);
    g_conn = conn;
    ++g_up;
  } else {
    ++g_down;
  }
  Condition_notifyAll(&g_cond);
  MutexLock_unlock(&g_mutex);
}

// Waits (5 s at most) until *counter, guarded by g_mutex, reaches want; false on timeout.
static bool wait_for(int *counter, int want) {
  return check_wait_for_count(&g_mutex, &g_cond, counter, want, 5.0);
}

static void sender(void *arg) {
  TcpConnection *conn = arg;
  for (int i = 0; i < kMaxSends && !TcpConnection_disconnected(conn); ++i) {
    TcpConnection_send(conn, g_message, sizeof g_message);
    atomic_fetch_add(&g_sends, 1);
  }
  // The close is on its way (or done): wait for it, then every send must be dropped.
  for (int i = 0; i < 5000 && !TcpConnection_disconnected(conn); ++i)
    usleep(1000);
  for (int i = 0; i < kSendsAfterClose; ++i) {
    TcpConnection_send(conn, g_message, sizeof g_message);
    atomic_fetch_add(&g_sendsAfterClose, 1);
  }
}

static int connect_client(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(g_port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    fprintf(stderr, "s11_send_race: connect: %s\n", strerror(errno));
    exit(1);
  }
  return fd;
}

static void controller(void *arg) {
  (void)arg;
  for (int round = 0; round < g_rounds && g_status == 0; ++round) {
    int fd = connect_client();
    if (!wait_for(&g_up, round + 1)) {
      fprintf(stderr, "s11_send_race: round %d: no connection came up in 5 s\n", round + 1);
      g_status = 1;
      close(fd);
      break;
    }
    MutexLock_lock(&g_mutex);
    TcpConnection *conn = g_conn;
    g_conn = NULL;
    MutexLock_unlock(&g_mutex);

    Thread threads[kMaxSenders];
    for (long i = 0; i < g_senders; ++i) {
      Thread_init(&threads[i], sender, conn, "sender");
      Thread_start(&threads[i]);
    }
    // Vary where in the stream of sends the close lands. Then close again and again until
    // the connection is down, as several threads closing at once would: a close that lands
    // between forceClose's look at the state and its change must not make a second "down".
    usleep((useconds_t)(round % 4) * 500);
    while (!TcpConnection_disconnected(conn))
      TcpConnection_forceClose(conn);
    for (long i = 0; i < g_senders; ++i) {
      Thread_join(&threads[i]);
      Thread_destroy(&threads[i]);
    }
    if (!wait_for(&g_down, round + 1)) {
      fprintf(stderr, "s11_send_race: round %d: the connection did not go down in 5 s\n",
              round + 1);
      g_status = 1;
    }
    TcpConnection_unref(conn);
    close(fd);
  }
  EventLoop_quit(g_loop);
}

int main(int argc, char *argv[]) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  g_rounds = Settings_longArg("s11_send_race", argc, argv, 1, "rounds", 1, 100000, 50);
  g_senders = Settings_longArg("s11_send_race", argc, argv, 2, "senders", 1, kMaxSenders, 2);
  memset(g_message, 'x', sizeof g_message);
  int fdsBefore = check_fd_count();
  MutexLock_init(&g_mutex);
  Condition_init(&g_cond, &g_mutex);

  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;
  InetAddress listenAddr;
  InetAddress_init(&listenAddr, 0);
  TcpServer *server = TcpServer_new(&loop, &listenAddr);
  if (server == NULL) {
    fprintf(stderr, "s11_send_race: cannot listen: %s\n", strerror(errno));
    return 1;
  }
  TcpServer_setConnectionCallback(server, onConnection, NULL);
  TcpServer_setThreadNum(server, 2);
  if (TcpServer_start(server) < 0) {
    fprintf(stderr, "s11_send_race: cannot listen: %s\n", strerror(errno));
    return 1;
  }
  InetAddress bound = TcpServer_listenAddress(server);
  g_port = InetAddress_port(&bound);

  Thread thread;
  Thread_init(&thread, controller, NULL, "controller");
  Thread_start(&thread);
  EventLoop_loop(&loop);
  Thread_join(&thread);
  Thread_destroy(&thread);

  TcpServer_free(server);
  EventLoop_destroy(&loop);
  Condition_destroy(&g_cond);
  MutexLock_destroy(&g_mutex);
  int fdsAfter = check_fd_count();

  printf("rounds %ld, senders %ld\n", g_rounds, g_senders);
  printf("sends %ld, after the close %ld\n", atomic_load(&g_sends),
         atomic_load(&g_sendsAfterClose));
  printf("connections up %d, down %d\n", g_up, g_down);
  printf("fds before %d, after %d\n", fdsBefore, fdsAfter);
  return g_status;
}
