// s11_connector_stop: a Connector stopped and dropped in every state, many times.
//
// usage: s11_connector_stop [rounds]   (default 200)
//
// Three targets on 127.0.0.1, made with plain sockets:
//   accepting  a listener whose connections this program's loop accepts and closes;
//   full       a listener with backlog 0 and one connection already queued, never accepted:
//              further SYNs are dropped, so a connect stays in progress (kConnecting);
//   refused    a bound port that does not listen: connect fails with ECONNREFUSED at once
//              and the Connector waits to retry. Being bound, the port cannot be taken.
// Cases, each run `rounds` times with a new Connector, each ending with Connector_stop and
// the owner's Connector_unref (the DEBUG ctor/dtor lines let the test pair every creation
// with its free):
//   before-start        stopped before start (and one never started, never stopped)
//   connecting          stopped while the connect is in progress
//   stop-in-callback    stopped and dropped from inside its own new-connection callback
//   stop-by-timer       stopped by a timer due when the connect result arrives: both are
//                       ready in the same poll, in either order
//   waiting-to-retry    stopped while a retry timer is pending
//   connected           stopped after the fd was handed over
//   stop-then-start     stop, then start again at once (loop thread): the later start wins
//   threads             start and stop from another thread at random moments, all targets
// Prints one line per case with its counts, then the fd count before and after.
#include "Connector.h"
#include "EventLoop.h"
#include "EventLoopThread.h"
#include "SocketsOps.h"

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

static EventLoop *g_loop;
static InetAddress g_accepting, g_full, g_refused;
static int g_rounds;

static Connector *g_connector;
static atomic_int g_callbacks;
static int g_observed; // rounds in which the case's state was seen
static int g_heldFd = -1;

static void accept_and_close(void *arg, Timestamp receiveTime) {
  int listenFd = *(int *)arg;
  (void)receiveTime;
  int fd;
  while ((fd = accept4(listenFd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
    close(fd);
}

static void quit_loop(void *arg) {
  (void)arg;
  EventLoop_quit(g_loop);
}

static void drop(void) {
  Connector_stop(g_connector);
  Connector_unref(g_connector);
  g_connector = NULL;
}

static Connector *new_connector(const InetAddress *addr, ConnectCallback cb) {
  Connector *connector = Connector_new(g_loop, addr);
  Connector_setNewConnectionCallback(connector, cb, NULL);
  return connector;
}

static void close_fd_callback(void *arg, int sockfd) {
  (void)arg;
  atomic_fetch_add(&g_callbacks, 1);
  sockets_close(sockfd);
}

// Runs one round: setup() starts it, the loop runs until the case quits it (or 2 s pass,
// which only a broken case needs).
static void run_round(void (*setup)(void)) {
  setup();
  TimerId guard = EventLoop_runAfter(g_loop, 2.0, quit_loop, NULL);
  EventLoop_loop(g_loop);
  EventLoop_cancel(g_loop, guard);
  if (g_connector != NULL) {
    printf("a round did not finish\n");
    drop();
  }
}

static void report(const char *name, const char *what) {
  printf("case %s: %d rounds, %s %d, callbacks %d\n", name, g_rounds, what, g_observed,
         atomic_load(&g_callbacks));
  g_observed = 0;
  atomic_store(&g_callbacks, 0);
}

// --- before-start --------------------------------------------------------------------------

static void before_start(void) {
  Connector *never = new_connector(&g_accepting, close_fd_callback);
  Connector_unref(never); // never started, never stopped: freed here
  g_connector = new_connector(&g_accepting, close_fd_callback);
  ++g_observed;
  drop();
  EventLoop_quit(g_loop); // the queued stop still runs: loop() drains before returning
}

// --- connecting ----------------------------------------------------------------------------

static void stop_if_connecting(void *arg) {
  (void)arg;
  if (g_connector->state == kConnectorConnecting)
    ++g_observed;
  drop();
  EventLoop_quit(g_loop);
}

static void connecting(void) {
  g_connector = new_connector(&g_full, close_fd_callback);
  Connector_start(g_connector);
  EventLoop_runAfter(g_loop, 0.002, stop_if_connecting, NULL);
}

// --- stop-in-callback ------------------------------------------------------------------------

static void stop_inside(void *arg, int sockfd) {
  (void)arg;
  atomic_fetch_add(&g_callbacks, 1);
  sockets_close(sockfd);
  if (g_connector->state == kConnectorConnected)
    ++g_observed;
  drop(); // the owner's last reference, dropped inside the Connector's own handler
  EventLoop_quit(g_loop);
}

static void stop_in_callback(void) {
  g_connector = new_connector(&g_accepting, stop_inside);
  Connector_start(g_connector);
}

// --- stop-by-timer -----------------------------------------------------------------------------

static void stop_by_timer_fired(void *arg) {
  (void)arg;
  if (g_connector->state == kConnectorConnecting)
    ++g_observed; // the timer came first: the result is in this tick or the next
  drop();
  EventLoop_quit(g_loop);
}

static void stop_by_timer(void) {
  static int round;
  g_connector = new_connector(&g_accepting, close_fd_callback);
  // Both orders of becoming ready: the poll reports both, the order may decide who runs first.
  if (++round % 2 == 0) {
    Connector_start(g_connector); // connect(2) now: EINPROGRESS, done in microseconds
    EventLoop_runAfter(g_loop, 0, stop_by_timer_fired, NULL);
  } else {
    EventLoop_runAfter(g_loop, 0, stop_by_timer_fired, NULL);
    check_sleep_us(500);
    Connector_start(g_connector);
  }
  // Let both the handshake and the timer finish before the next poll, so it reports both.
  check_sleep_us(2000);
}

// --- waiting-to-retry --------------------------------------------------------------------------

static void stop_when_retry_pending(void *arg) {
  (void)arg;
  if (!g_connector->retryPending) {
    EventLoop_runAfter(g_loop, 0.001, stop_when_retry_pending, NULL);
    return;
  }
  ++g_observed;
  drop();
  EventLoop_quit(g_loop);
}

static void waiting_to_retry(void) {
  g_connector = new_connector(&g_refused, close_fd_callback);
  Connector_start(g_connector);
  EventLoop_runAfter(g_loop, 0.001, stop_when_retry_pending, NULL);
}

// --- connected ---------------------------------------------------------------------------------

static void stop_connected(void *arg) {
  (void)arg;
  if (g_connector->state == kConnectorConnected)
    ++g_observed;
  drop();
  sockets_close(g_heldFd);
  g_heldFd = -1;
  EventLoop_quit(g_loop);
}

static void keep_fd(void *arg, int sockfd) {
  (void)arg;
  atomic_fetch_add(&g_callbacks, 1);
  g_heldFd = sockfd;
  EventLoop_runAfter(g_loop, 0.001, stop_connected, NULL);
}

static void connected(void) {
  g_connector = new_connector(&g_accepting, keep_fd);
  Connector_start(g_connector);
}

// --- stop-then-start -------------------------------------------------------------------------
// Against the full listener the attempt stays in progress, so the state after the queued stop
// has run tells who won: still connecting means the later start did.

static void check_still_connecting(void *arg) {
  (void)arg;
  if (g_connector->state == kConnectorConnecting)
    ++g_observed;
  drop();
  EventLoop_quit(g_loop);
}

static void stop_then_start(void) {
  g_connector = new_connector(&g_full, close_fd_callback);
  Connector_start(g_connector);
  Connector_stop(g_connector);
  Connector_start(g_connector);
  EventLoop_runAfter(g_loop, 0.005, check_still_connecting, NULL);
}

// --- threads -----------------------------------------------------------------------------------
// The loop runs in an EventLoopThread; this thread starts, stops and drops Connectors.

static EventLoop *g_ioLoop;
static MutexLock g_mutex;
static Condition g_cond;
static Connector *g_created;

static void create_in_loop(void *arg) {
  const InetAddress *addr = arg;
  Connector *connector = Connector_new(g_ioLoop, addr);
  Connector_setNewConnectionCallback(connector, close_fd_callback, NULL);
  MutexLock_lock(&g_mutex);
  g_created = connector;
  Condition_notify(&g_cond);
  MutexLock_unlock(&g_mutex);
}

// The threads phase has the same shape as s11_client_free.c's: a Connector is made in the IO loop's
// thread and handed back under the mutex, then started and stopped (or freed) from this thread at
// random moments. Each program keeps its own copy so that it reads alone, one object per program.
static void threads(void) {
  EventLoopThread thread;
  EventLoopThread_init(&thread);
  g_ioLoop = EventLoopThread_startLoop(&thread);
  MutexLock_init(&g_mutex);
  Condition_init(&g_cond, &g_mutex);
  const InetAddress *targets[] = {&g_accepting, &g_full, &g_refused};
  unsigned int seed = 42;
  for (int i = 0; i < g_rounds; ++i) {
    // The accepting listener's channel lives in the main loop, which is not running now: its
    // backlog (4096 at most) holds these few hundred connections until the next accept.
    EventLoop_runInLoop(g_ioLoop, create_in_loop, (void *)targets[i % 3]);
    MutexLock_lock(&g_mutex);
    while (g_created == NULL)
      Condition_wait(&g_cond);
    Connector *connector = g_created;
    g_created = NULL;
    MutexLock_unlock(&g_mutex);
    Connector_start(connector);
    check_sleep_us(rand_r(&seed) % 1500);
    Connector_stop(connector);
    if (rand_r(&seed) % 2)
      check_sleep_us(rand_r(&seed) % 500);
    Connector_unref(connector);
  }
  EventLoopThread_destroy(&thread); // quits the loop, which runs the stops still queued
  Condition_destroy(&g_cond);
  MutexLock_destroy(&g_mutex);
  g_observed = g_rounds;
}

int main(int argc, char *argv[]) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  g_rounds = (int)Settings_longArg("s11_connector_stop", argc, argv, 1, "rounds", 1, 100000, 200);
  static int acceptingFd;
  acceptingFd = check_loopback_socket("s11_connector_stop", SOMAXCONN, &g_accepting);
  int fullFd = check_loopback_socket("s11_connector_stop", 0, &g_full);
  int refusedFd = check_loopback_socket("s11_connector_stop", -1, &g_refused);
  // Fill the backlog-0 queue with one connection (it completes: the queue holds one).
  int fillerFd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fillerFd < 0 || connect(fillerFd, (struct sockaddr *)&g_full.addr, sizeof g_full.addr) < 0) {
    perror("s11_connector_stop: filling the backlog");
    return 1;
  }

  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;
  Channel acceptChannel;
  Channel_init(&acceptChannel, &loop, acceptingFd);
  Channel_setReadCallback(&acceptChannel, accept_and_close, &acceptingFd);
  Channel_enableReading(&acceptChannel);
  int fdsBefore = check_fd_count();

  static const struct {
    const char *name;
    void (*setup)(void);
    const char *what;
  } cases[] = {
      {"before-start", before_start, "stopped before start"},
      {"connecting", connecting, "stopped while connecting"},
      {"stop-in-callback", stop_in_callback, "stopped inside the callback while connected"},
      {"stop-by-timer", stop_by_timer, "stopped by the timer while still connecting"},
      {"waiting-to-retry", waiting_to_retry, "stopped while a retry was pending"},
      {"connected", connected, "stopped while connected"},
      {"stop-then-start", stop_then_start, "still connecting after stop and start"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
    for (int i = 0; i < g_rounds; ++i)
      run_round(cases[c].setup);
    report(cases[c].name, cases[c].what);
  }
  threads();
  report("threads", "rounds done");
  // Accept what the threads case left queued, then count.
  EventLoop_runAfter(&loop, 0.05, quit_loop, NULL);
  EventLoop_loop(&loop);
  printf("fds: %d before, %d after\n", fdsBefore, check_fd_count());

  Channel_disableAll(&acceptChannel);
  Channel_remove(&acceptChannel);
  Channel_destroy(&acceptChannel);
  EventLoop_destroy(&loop);
  close(fillerFd);
  close(acceptingFd);
  close(fullFd);
  close(refusedFd);
  return 0;
}
