// s11_client_free: a TcpClient freed in every state, many times.
//
// usage: s11_client_free [rounds]   (default 200)
//
// Targets on 127.0.0.1 (plain sockets): `server`, a listener this program's loop accepts on
// (keeping each connection open, or closing it at once, as the case needs); `full`, a
// listener with backlog 0 and one connection queued, where a connect stays in progress; and
// `refused`, a bound port that does not listen. Cases, each `rounds` times with a new client:
//   before-connect       freed before connect; and freed right after connect
//   connecting           freed while the connect is in progress
//   waiting-to-retry     freed while the Connector's retry timer is pending
//   connected            freed while connected: the connection callback sees it go down
//   free-in-up           freed inside its own connection callback (connection up)
//   free-in-down         the server closes; freed inside the callback that reports it down,
//                        with retry enabled: no reconnect follows (the Connector is freed,
//                        which its dtor line shows, before the next round begins)
//   threads              the loop in an EventLoopThread; another thread connects, and stops,
//                        disconnects or sends at random moments; freed in the loop thread
// Every connection that came up must be reported down, and the fd count must come back.
// Prints one line per case with its counts, then the fd counts.
#include "EventLoop.h"
#include "EventLoopThread.h"
#include "TcpClient.h"

#include "Settings.h"
#include "check_util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kMaxHeld = 64 };

static EventLoop *g_loop;
static InetAddress g_server, g_full, g_refused;
static int g_serverFd;
static int g_rounds;
static bool g_serverCloses; // accept and close at once, or keep the connection
static int g_held[kMaxHeld];
static int g_numHeld;

static TcpClient *g_client;
static int g_observed;
static atomic_int g_ups, g_downs;

static void server_accept(void *arg, Timestamp receiveTime) {
  (void)arg;
  (void)receiveTime;
  int fd;
  while ((fd = accept4(g_serverFd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
    if (g_serverCloses || g_numHeld == kMaxHeld)
      close(fd);
    else
      g_held[g_numHeld++] = fd;
  }
}

static void release_held(void) {
  while (g_numHeld > 0)
    close(g_held[--g_numHeld]);
}

static void quit_loop(void *arg) {
  (void)arg;
  EventLoop_quit(g_loop);
}

static void free_client(void) {
  TcpClient_free(g_client);
  g_client = NULL;
}

// Counts ups and downs; never touches the client, which may be gone when "down" comes.
static void count_connection(void *arg, TcpConnection *conn) {
  (void)arg;
  atomic_fetch_add(TcpConnection_connected(conn) ? &g_ups : &g_downs, 1);
}

static TcpClient *new_client(const InetAddress *addr, ConnectionCallback cb) {
  TcpClient *client = TcpClient_new(g_loop, addr, "client");
  TcpClient_setConnectionCallback(client, cb, NULL);
  return client;
}

static void run_round(void (*setup)(void)) {
  setup();
  TimerId guard = EventLoop_runAfter(g_loop, 2.0, quit_loop, NULL);
  EventLoop_loop(g_loop);
  EventLoop_cancel(g_loop, guard);
  if (g_client != NULL) {
    printf("a round did not finish\n");
    free_client();
  }
  release_held();
}

// The loop's next iterations close what the free started: quit a little later.
static void quit_soon(void) { EventLoop_runAfter(g_loop, 0.002, quit_loop, NULL); }

static void report(const char *name, const char *what) {
  printf("case %s: %d rounds, %s %d, up %d, down %d\n", name, g_rounds, what, g_observed,
         atomic_load(&g_ups), atomic_load(&g_downs));
  g_observed = 0;
  atomic_store(&g_ups, 0);
  atomic_store(&g_downs, 0);
}

// --- before-connect ------------------------------------------------------------------------

static void before_connect(void) {
  g_client = new_client(&g_server, count_connection);
  free_client();
  g_client = new_client(&g_server, count_connection);
  TcpClient_connect(g_client); // in the loop thread: connect(2) runs now
  free_client();
  ++g_observed;
  quit_soon();
}

// --- connecting ----------------------------------------------------------------------------

static void free_if_connecting(void *arg) {
  (void)arg;
  if (TcpClient_connector(g_client)->state == kConnectorConnecting)
    ++g_observed;
  free_client();
  quit_soon();
}

static void connecting(void) {
  g_client = new_client(&g_full, count_connection);
  TcpClient_connect(g_client);
  EventLoop_runAfter(g_loop, 0.002, free_if_connecting, NULL);
}

// --- waiting-to-retry ----------------------------------------------------------------------

static void free_when_retry_pending(void *arg) {
  (void)arg;
  if (!TcpClient_connector(g_client)->retryPending) {
    EventLoop_runAfter(g_loop, 0.001, free_when_retry_pending, NULL);
    return;
  }
  ++g_observed;
  free_client();
  quit_soon();
}

static void waiting_to_retry(void) {
  g_client = new_client(&g_refused, count_connection);
  TcpClient_enableRetry(g_client);
  TcpClient_connect(g_client);
  EventLoop_runAfter(g_loop, 0.001, free_when_retry_pending, NULL);
}

// --- connected -------------------------------------------------------------------------------

static void free_if_connected(void *arg) {
  (void)arg;
  TcpConnection *conn = TcpClient_connection(g_client);
  if (conn != NULL) {
    if (TcpConnection_connected(conn))
      ++g_observed;
    TcpConnection_unref(conn);
  }
  free_client();
  quit_soon();
}

static void connected_callback(void *arg, TcpConnection *conn) {
  count_connection(arg, conn);
  if (TcpConnection_connected(conn))
    EventLoop_runAfter(g_loop, 0.001, free_if_connected, NULL);
}

static void connected(void) {
  g_client = new_client(&g_server, connected_callback);
  TcpClient_enableRetry(g_client);
  TcpClient_connect(g_client);
}

// --- free-in-up --------------------------------------------------------------------------------

static void free_in_up_callback(void *arg, TcpConnection *conn) {
  count_connection(arg, conn);
  if (TcpConnection_connected(conn)) {
    ++g_observed;
    free_client(); // inside the callback of the connection it owns
    quit_soon();
  }
}

static void free_in_up(void) {
  g_client = new_client(&g_server, free_in_up_callback);
  TcpClient_enableRetry(g_client);
  TcpClient_connect(g_client);
}

// --- free-in-down ------------------------------------------------------------------------------

static void free_in_down_callback(void *arg, TcpConnection *conn) {
  count_connection(arg, conn);
  if (!TcpConnection_connected(conn) && g_client != NULL) {
    ++g_observed;
    free_client(); // before the client's own close handling has run: no reconnect follows
    quit_soon();
  }
}

static void free_in_down(void) {
  g_client = new_client(&g_server, free_in_down_callback);
  TcpClient_enableRetry(g_client);
  TcpClient_connect(g_client);
}

// --- threads -----------------------------------------------------------------------------------

static EventLoop *g_ioLoop;
static MutexLock g_mutex;
static Condition g_cond;
static TcpClient *g_shared;
static bool g_done;

static void create_in_loop(void *arg) {
  const InetAddress *addr = arg;
  TcpClient *client = TcpClient_new(g_ioLoop, addr, "threads");
  TcpClient_setConnectionCallback(client, count_connection, NULL);
  TcpClient_enableRetry(client);
  MutexLock_lock(&g_mutex);
  g_shared = client;
  Condition_notify(&g_cond);
  MutexLock_unlock(&g_mutex);
}

static void free_in_loop(void *arg) {
  TcpClient_free(arg);
  MutexLock_lock(&g_mutex);
  g_done = true;
  Condition_notify(&g_cond);
  MutexLock_unlock(&g_mutex);
}

// The threads phase has the same shape as s11_connector_stop.c's: a TcpClient is made in the IO
// loop's thread and handed back under the mutex, then started and stopped (or freed) from this
// thread at random moments. Each program keeps its own copy so that it reads alone, one object per
// program.
static void threads(void) {
  EventLoopThread thread;
  EventLoopThread_init(&thread);
  g_ioLoop = EventLoopThread_startLoop(&thread);
  MutexLock_init(&g_mutex);
  Condition_init(&g_cond, &g_mutex);
  // The main loop is not running: connections to `server` wait in its backlog, connected.
  const InetAddress *targets[] = {&g_server, &g_full, &g_refused};
  unsigned int seed = 7;
  for (int i = 0; i < g_rounds; ++i) {
    EventLoop_runInLoop(g_ioLoop, create_in_loop, (void *)targets[i % 3]);
    MutexLock_lock(&g_mutex);
    while (g_shared == NULL)
      Condition_wait(&g_cond);
    TcpClient *client = g_shared;
    g_shared = NULL;
    MutexLock_unlock(&g_mutex);

    TcpClient_connect(client);
    check_sleep_us(rand_r(&seed) % 1500);
    switch (rand_r(&seed) % 3) {
    case 0:
      TcpClient_stop(client);
      break;
    case 1:
      TcpClient_disconnect(client);
      break;
    default: {
      TcpConnection *conn = TcpClient_connection(client);
      if (conn != NULL) {
        TcpConnection_send(conn, "x", 1);
        TcpConnection_unref(conn);
        ++g_observed;
      }
    }
    }
    check_sleep_us(rand_r(&seed) % 300);
    EventLoop_runInLoop(g_ioLoop, free_in_loop, client);
    MutexLock_lock(&g_mutex);
    while (!g_done)
      Condition_wait(&g_cond);
    g_done = false;
    MutexLock_unlock(&g_mutex);
  }
  EventLoopThread_destroy(&thread); // runs the closes still queued
  Condition_destroy(&g_cond);
  MutexLock_destroy(&g_mutex);
}

int main(int argc, char *argv[]) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  g_rounds = (int)Settings_longArg("s11_client_free", argc, argv, 1, "rounds", 1, 100000, 200);
  g_serverFd = check_loopback_socket("s11_client_free", SOMAXCONN, &g_server);
  int fullFd = check_loopback_socket("s11_client_free", 0, &g_full);
  int refusedFd = check_loopback_socket("s11_client_free", -1, &g_refused);
  int fillerFd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fillerFd < 0 || connect(fillerFd, (struct sockaddr *)&g_full.addr, sizeof g_full.addr) < 0) {
    perror("s11_client_free: filling the backlog");
    return 1;
  }

  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;
  Channel acceptChannel;
  Channel_init(&acceptChannel, &loop, g_serverFd);
  Channel_setReadCallback(&acceptChannel, server_accept, NULL);
  Channel_enableReading(&acceptChannel);
  int fdsBefore = check_fd_count();

  static const struct {
    const char *name;
    void (*setup)(void);
    bool serverCloses;
    const char *what;
  } cases[] = {
      {"before-connect", before_connect, false, "freed before and right after connect"},
      {"connecting", connecting, false, "freed while connecting"},
      {"waiting-to-retry", waiting_to_retry, false, "freed while a retry was pending"},
      {"connected", connected, false, "freed while connected"},
      {"free-in-up", free_in_up, false, "freed in the up callback"},
      {"free-in-down", free_in_down, true, "freed in the down callback"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
    g_serverCloses = cases[c].serverCloses;
    for (int i = 0; i < g_rounds; ++i)
      run_round(cases[c].setup);
    report(cases[c].name, cases[c].what);
  }
  threads();
  report("threads", "sent on a live connection");
  // Accept and close what the threads case left in the backlog, then count.
  g_serverCloses = true;
  EventLoop_runAfter(&loop, 0.05, quit_loop, NULL);
  EventLoop_loop(&loop);
  printf("fds: %d before, %d after\n", fdsBefore, check_fd_count());

  Channel_disableAll(&acceptChannel);
  Channel_remove(&acceptChannel);
  Channel_destroy(&acceptChannel);
  EventLoop_destroy(&loop);
  close(fillerFd);
  close(g_serverFd);
  close(fullFd);
  close(refusedFd);
  return 0;
}
