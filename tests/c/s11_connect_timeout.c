// s11_connect_timeout: the Connector's connect timeout, against a listener that drops SYNs.
//
// usage: s11_connect_timeout [rounds]   (default 50)
//        s11_connect_timeout full       only the full listener: prints "listening on
//                                       127.0.0.1:PORT" and sleeps until killed (for test13)
//
// The full listener: listen(fd, 0) with one connection already queued and never accepted. The
// kernel drops every later SYN, so a connect to it stays in progress (kConnecting) until the
// kernel gives up, about two minutes later - or until the Connector's timeout. Phases:
//   timeout  one Connector, timeout 300 ms. Logs "start"; its own lines then show each attempt
//            timing out 300 ms after it began and the retries after 500 and 1000 ms. At 1.3 s
//            the program accepts the queued connection (logs "queue drained"): the next
//            attempt connects (logs "connected").
//   fds      50 Connectors, timeout 200 ms: the fd count once all of them are connecting,
//            then each time all of them wait to retry, after 1, 2 and 3 timeouts each.
//   stop     `rounds` rounds of a stop and drop while the timeout is pending, then `rounds`
//            rounds of one due at the instant of the timeout (either may run first).
//   race     `rounds` rounds against a listener with room, timeout 1 ms, the loop held for 3 ms
//            after the connect: the result and the timeout arrive in the same poll, and the
//            backend's order decides which handler runs first (poll(2) reports the timerfd
//            first, epoll the socket); counts which did.
//   client   `rounds` TcpClients with timeout 200 ms, freed while the timeout is pending.
// Then the fd count before and after.
#include "Connector.h"
#include "EventLoop.h"
#include "Logging.h"
#include "SocketsOps.h"
#include "TcpClient.h"

#include "Settings.h"
#include "check_util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static EventLoop *g_loop;
static InetAddress g_full, g_room;
static int g_fullFd, g_roomFd;
static int g_rounds, g_round;

static void quit_loop(void *arg) {
  (void)arg;
  EventLoop_quit(g_loop);
}

static void close_fd_callback(void *arg, int sockfd) {
  (void)arg;
  sockets_close(sockfd);
}

static void drop(Connector *connector) {
  Connector_stop(connector);
  Connector_unref(connector);
}

static Connector *new_connector(const InetAddress *addr, int timeoutMs, ConnectCallback cb) {
  Connector *connector = Connector_new(g_loop, addr);
  Connector_setNewConnectionCallback(connector, cb, NULL);
  Connector_setConnectTimeout(connector, timeoutMs);
  return connector;
}

// --- timeout: one Connector, two timeouts, then the queue drains -------------------------------

static Connector *g_connector;

static void timeout_connected(void *arg, int sockfd) {
  (void)arg;
  LOG_INFO("connected");
  sockets_close(sockfd);
  drop(g_connector);
  EventLoop_runAfter(g_loop, 0.05, quit_loop, NULL);
}

static void drain_queue(void *arg) {
  (void)arg;
  int fd = accept4(g_fullFd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0) {
    perror("s11_connect_timeout: accept");
    exit(1);
  }
  close(fd);
  LOG_INFO("queue drained");
}

static void phase_timeout(void) {
  printf("phase timeout\n");
  g_connector = new_connector(&g_full, 300, timeout_connected);
  LOG_INFO("start");
  Connector_start(g_connector);
  EventLoop_runAfter(g_loop, 1.3, drain_queue, NULL);
  EventLoop_loop(g_loop);
}

// --- fds: many attempts, the fd count flat -------------------------------------------------

enum { kFdConnectors = 50 };
static Connector *g_many[kFdConnectors];

static int g_wave; // samples taken
static TimerId g_sampler;

// Every 5 ms: once all of them are connecting (wave 0), and each time all of them wait to retry
// after their wave-th timeout (the delay to come has doubled wave times), counts the fds.
static void sample_fds(void *arg) {
  (void)arg;
  int connecting = 0, waiting = 0;
  for (int i = 0; i < kFdConnectors; ++i) {
    connecting += g_many[i]->state == kConnectorConnecting;
    waiting += g_many[i]->retryPending && g_many[i]->retryDelayMs == kInitRetryDelayMs << g_wave;
  }
  if (g_wave == 0 && connecting == kFdConnectors) {
    printf("fds connecting: %d\n", check_fd_count());
    ++g_wave;
  } else if (g_wave > 0 && waiting == kFdConnectors) {
    printf("fds waiting %d: %d\n", g_wave, check_fd_count());
    if (++g_wave > 3) {
      EventLoop_cancel(g_loop, g_sampler);
      for (int i = 0; i < kFdConnectors; ++i)
        drop(g_many[i]);
      EventLoop_runAfter(g_loop, 0.05, quit_loop, NULL);
    }
  }
}

// Attempts of 200 ms each, with waits of 500, 1000, 2000 ms between them: three timeouts each
// in about 2.5 s.
static void phase_fds(void) {
  printf("phase fds\n");
  printf("fds before: %d\n", check_fd_count());
  for (int i = 0; i < kFdConnectors; ++i) {
    g_many[i] = new_connector(&g_full, 200, close_fd_callback);
    Connector_start(g_many[i]);
  }
  g_wave = 0;
  g_sampler = EventLoop_runEvery(g_loop, 0.005, sample_fds, NULL);
  EventLoop_loop(g_loop);
}

// --- stop: during a pending timeout, and at its instant -------------------------------------

static int g_stillConnecting, g_timedOutFirst;
static double g_stopAfter;
static int g_stopTimeoutMs;

static void stop_round(void *arg);

// After a round: the next one in 2 ms, or the end of the phase.
static void next_round(TimerCallback start) {
  if (++g_round < g_rounds)
    EventLoop_runAfter(g_loop, 0.002, start, NULL);
  else
    EventLoop_runAfter(g_loop, 0.05, quit_loop, NULL);
}

static void start_stop_round(void *arg) {
  (void)arg;
  g_connector = new_connector(&g_full, g_stopTimeoutMs, close_fd_callback);
  Connector_start(g_connector); // in the loop thread: the connect starts now
  EventLoop_runAfter(g_loop, g_stopAfter, stop_round, NULL);
}

static void stop_round(void *arg) {
  (void)arg;
  if (g_connector->state == kConnectorConnecting)
    ++g_stillConnecting;
  else if (g_connector->retryPending)
    ++g_timedOutFirst;
  drop(g_connector);
  g_connector = NULL;
  next_round(start_stop_round);
}

static void phase_stop(const char *name, int timeoutMs, double stopAfter) {
  printf("phase %s\n", name);
  g_round = g_stillConnecting = g_timedOutFirst = 0;
  g_stopTimeoutMs = timeoutMs;
  g_stopAfter = stopAfter;
  EventLoop_runAfter(g_loop, 0, start_stop_round, NULL);
  EventLoop_loop(g_loop);
  printf("%s: %d rounds, stopped while connecting %d, after the timeout %d\n", name, g_round,
         g_stillConnecting, g_timedOutFirst);
}

// --- race: the result and the timeout in the same poll -------------------------------------

static int g_connectedFirst;

static void race_connected(void *arg, int sockfd) {
  (void)arg;
  ++g_connectedFirst;
  sockets_close(sockfd);
}

static void race_check(void *arg);

static void start_race_round(void *arg) {
  (void)arg;
  g_connector = new_connector(&g_room, 1, race_connected);
  Connector_start(g_connector);
  // Run from the functor queue, not a timer callback, the runAfter of the timeout has armed the
  // timerfd already: both become ready while the loop is held here (the handshake on loopback
  // takes microseconds).
  check_sleep_us(3000);
  EventLoop_runAfter(g_loop, 0.02, race_check, NULL);
}

// Two hops through the functor queue, so that one poll passes between the timer that ended the
// last round and the connect: epoll keeps a level-triggered fd it has just reported at the head
// of its ready list until a poll finds it not ready, and would then report the timerfd first.
static void queue_race_round(void *arg) {
  (void)arg;
  EventLoop_queueInLoop(g_loop, start_race_round, NULL);
}

static void race_check(void *arg) {
  (void)arg;
  if (g_connector->retryPending)
    ++g_timedOutFirst;
  drop(g_connector);
  g_connector = NULL;
  int fd;
  while ((fd = accept4(g_roomFd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
    close(fd);
  if (++g_round < g_rounds)
    EventLoop_queueInLoop(g_loop, queue_race_round, NULL);
  else
    EventLoop_runAfter(g_loop, 0.05, quit_loop, NULL);
}

static void phase_race(void) {
  printf("phase race\n");
  g_round = g_connectedFirst = g_timedOutFirst = 0;
  EventLoop_queueInLoop(g_loop, queue_race_round, NULL);
  EventLoop_loop(g_loop);
  printf("race: %d rounds, connected first %d, timed out first %d\n", g_round, g_connectedFirst,
         g_timedOutFirst);
}

// --- client: a TcpClient freed during a pending timeout ----------------------------------------

static TcpClient *g_client;

static void free_client(void *arg);

static void start_client_round(void *arg) {
  (void)arg;
  g_client = TcpClient_new(g_loop, &g_full, "timeout");
  TcpClient_setConnectTimeout(g_client, 200);
  TcpClient_connect(g_client);
  EventLoop_runAfter(g_loop, 0.02, free_client, NULL);
}

static void free_client(void *arg) {
  (void)arg;
  if (TcpClient_connector(g_client)->timeoutPending)
    ++g_stillConnecting;
  TcpClient_free(g_client);
  g_client = NULL;
  next_round(start_client_round);
}

static void phase_client(void) {
  printf("phase client\n");
  g_round = g_stillConnecting = 0;
  EventLoop_runAfter(g_loop, 0, start_client_round, NULL);
  EventLoop_loop(g_loop);
  printf("client: %d rounds, freed with the timeout pending %d\n", g_round, g_stillConnecting);
}

int main(int argc, char *argv[]) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  bool fullOnly = argc > 1 && strcmp(argv[1], "full") == 0;
  if (!fullOnly)
    g_rounds = (int)Settings_longArg("s11_connect_timeout", argc, argv, 1, "rounds", 1, 100000, 50);
  g_fullFd = check_loopback_socket("s11_connect_timeout", 0, &g_full);
  // The one connection the full listener's queue takes; every later SYN is dropped.
  int fillerFd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fillerFd < 0 || connect(fillerFd, (struct sockaddr *)&g_full.addr, sizeof g_full.addr) < 0) {
    perror("s11_connect_timeout: filling the queue");
    return 1;
  }
  if (fullOnly) {
    char text[kHostPortLen];
    printf("listening on %s\n", InetAddress_toHostPort(&g_full, text, sizeof text));
    for (;;)
      pause();
  }
  g_roomFd = check_loopback_socket("s11_connect_timeout", 1024, &g_room);
  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;
  int fdsBefore = check_fd_count();

  phase_timeout();
  // The connection made at the end of the timeout phase now fills the queue in its turn.
  phase_fds();
  phase_stop("stop", 100, 0.02);
  phase_stop("stop-at-timeout", 20, 0.02);
  phase_race();
  phase_client();
  printf("fds: %d before, %d after\n", fdsBefore, check_fd_count());

  EventLoop_destroy(&loop);
  close(fillerFd);
  close(g_fullFd);
  close(g_roomFd);
  printf("done\n");
  return 0;
}
