// s11_state_in_loop: another thread shuts down, force-closes or sends while the connection
// callback is still saying "up". A TcpServer (1 IO thread, port 0) accepts one connection per
// case from this program's own client socket. The up callback publishes the connection and
// waits; a controller thread acts on it, then lets the callback go on, which reads the state:
// the state is written in the loop thread only, so a callback never sees it change under it.
// The client then reads until EOF, and its bytes show what the acts did, in their order.
//
// Prints one line per case:
//   CASE: up saw STATE; the peer read N bytes "BYTES", then EOF; down saw STATE
// then
//   connections up U, down D
//   fds before X, after Y
// Exits 0, or 1 with a line saying why (a connection that did not come up or go down in 5 s).
#include "EventLoop.h"
#include "TcpServer.h"

#include "Mutex.h"
#include "Thread.h"
#include "check_util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static EventLoop *g_loop;
static InetAddress g_server;
static int g_status;

// guarded by g_mutex
static MutexLock g_mutex;
static Condition g_cond;
static TcpConnection *g_conn; // the connection that came up last, with a reference for us
static bool g_acted;          // the controller has acted: the up callback may go on
static const char *g_upState;
static const char *g_downState;
static int g_up;
static int g_down;

static void onConnection(void *arg, TcpConnection *conn) {
  (void)arg;
  MutexLock_lock(&g_mutex);
  if (g_upState == NULL && g_conn == NULL && TcpConnection_connected(conn)) {
    TcpConnection_ref(conn);
    g_conn = conn;
    ++g_up;
    Condition_notifyAll(&g_cond);
    for (int i = 0; i < 500 && !g_acted; ++i)
      Condition_waitForSeconds(&g_cond, 0.01);
    g_acted = false;
    g_upState = TcpConnection_stateName(conn);
  } else {
    g_downState = TcpConnection_stateName(conn);
    ++g_down;
  }
  Condition_notifyAll(&g_cond);
  MutexLock_unlock(&g_mutex);
}

// Waits (5 s at most) until *counter, guarded by g_mutex, reaches want; false on timeout.
static bool wait_for(int *counter, int want) {
  return check_wait_for_count(&g_mutex, &g_cond, counter, want, 5.0);
}

// A blocking client socket with a 5 s receive timeout.
static int connect_client(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct timeval timeout = {.tv_sec = 5};
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0 ||
      connect(fd, (struct sockaddr *)&g_server.addr, sizeof g_server.addr) < 0) {
    fprintf(stderr, "s11_state_in_loop: connect: %s\n", strerror(errno));
    exit(1);
  }
  return fd;
}

enum Act { kShutdown, kForceClose, kSendThenShutdown, kShutdownThenSend };

static void act(TcpConnection *conn, enum Act what) {
  switch (what) {
  case kShutdown:
    TcpConnection_shutdown(conn);
    break;
  case kForceClose:
    TcpConnection_forceClose(conn);
    break;
  case kSendThenShutdown:
    TcpConnection_send(conn, "hello", 5);
    TcpConnection_shutdown(conn);
    break;
  case kShutdownThenSend:
    TcpConnection_shutdown(conn);
    TcpConnection_send(conn, "late", 4);
    break;
  }
}

static void run_case(const char *name, enum Act what, int number) {
  int fd = connect_client();
  if (!wait_for(&g_up, number)) {
    fprintf(stderr, "s11_state_in_loop: %s: no connection came up in 5 s\n", name);
    g_status = 1;
    close(fd);
    return;
  }
  MutexLock_lock(&g_mutex);
  TcpConnection *conn = g_conn;
  MutexLock_unlock(&g_mutex);

  act(conn, what); // while the up callback waits in the IO thread

  MutexLock_lock(&g_mutex);
  g_acted = true;
  Condition_notifyAll(&g_cond);
  while (g_upState == NULL)
    Condition_waitForSeconds(&g_cond, 5.0);
  MutexLock_unlock(&g_mutex);
  TcpConnection_unref(conn); // the socket closes with the connection's last reference

  char bytes[64];
  size_t got = 0;
  ssize_t n;
  while (got < sizeof bytes - 1 && (n = read(fd, bytes + got, sizeof bytes - 1 - got)) > 0)
    got += (size_t)n;
  bytes[got] = '\0';
  const char *end = n == 0 ? "EOF" : strerror(errno);
  close(fd);
  if (!wait_for(&g_down, number)) {
    fprintf(stderr, "s11_state_in_loop: %s: the connection did not go down in 5 s\n", name);
    g_status = 1;
  }
  MutexLock_lock(&g_mutex);
  printf("%s: up saw %s; the peer read %zu bytes \"%s\", then %s; down saw %s\n", name, g_upState,
         got, bytes, end, g_downState ? g_downState : "nothing");
  g_conn = NULL;
  g_upState = NULL;
  g_downState = NULL;
  MutexLock_unlock(&g_mutex);
}

static void controller(void *arg) {
  (void)arg;
  static const struct {
    const char *name;
    enum Act what;
  } cases[] = {
      {"shutdown", kShutdown},
      {"forceClose", kForceClose},
      {"send, then shutdown", kSendThenShutdown},
      {"shutdown, then send", kShutdownThenSend},
  };
  for (int i = 0; i < 4 && g_status == 0; ++i)
    run_case(cases[i].name, cases[i].what, i + 1);
  EventLoop_quit(g_loop);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int fdsBefore = check_fd_count();
  MutexLock_init(&g_mutex);
  Condition_init(&g_cond, &g_mutex);

  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;
  InetAddress listenAddr;
  InetAddress_initFromIpPort(&listenAddr, "127.0.0.1", 0);
  TcpServer *server = TcpServer_new(&loop, &listenAddr);
  if (server == NULL) {
    fprintf(stderr, "s11_state_in_loop: cannot listen: %s\n", strerror(errno));
    return 1;
  }
  TcpServer_setConnectionCallback(server, onConnection, NULL);
  TcpServer_setThreadNum(server, 1);
  if (TcpServer_start(server) < 0) {
    fprintf(stderr, "s11_state_in_loop: cannot listen: %s\n", strerror(errno));
    return 1;
  }
  g_server = TcpServer_listenAddress(server);
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
  printf("connections up %d, down %d\n", g_up, g_down);
  printf("fds before %d, after %d\n", fdsBefore, check_fd_count());
  return g_status;
}
