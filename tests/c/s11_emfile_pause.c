// s11_emfile_pause: an echo server (test9's onMessage) that runs out of fds and loses its
// spare fd to another thread, so that its Acceptor must pause instead of spinning.
//
// usage: REACTOR_PORT=0 s11_emfile_pause
//
// Once the loop runs, the program lowers its own RLIMIT_NOFILE to the fds it holds: every slot is
// taken ("squeezed: fds limited to N"). A holder thread then waits. This program defines
// accept4, which the library's accepts call; it asks the holder to open /dev/null before each
// real accept4 until that succeeds. The first accept after a client connects fails with EMFILE;
// the Acceptor then closes its spare fd to accept into the freed slot, and the holder takes the
// slot first ("holder took fd F"), as another thread of a real server could. The accept fails
// again, the spare cannot be reopened, and the Acceptor is out of fds with no spare: it must stop
// reading the listening socket rather than spin. The test then raises the limit from outside
// (prlimit) and the waiting client is served. SIGTERM or SIGINT ends it with status 0.
#include "ServerMain.h"
#include "TcpServer.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

// --- the holder thread --------------------------------------------------------------------

static pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static bool g_armed;   // the holder wants a slot (set once the fds are squeezed)
static bool g_request; // an accept4 asks the holder to try now
static int g_heldFd = -1;

static void *holder(void *arg) {
  (void)arg;
  pthread_mutex_lock(&g_mutex);
  while (g_heldFd < 0) {
    while (!g_request)
      pthread_cond_wait(&g_cond, &g_mutex);
    g_heldFd = open("/dev/null", O_RDONLY | O_CLOEXEC); // fails with EMFILE while no slot is free
    g_request = false;
    pthread_cond_broadcast(&g_cond);
  }
  pthread_mutex_unlock(&g_mutex);
  printf("holder took fd %d\n", g_heldFd);
  return NULL;
}

// The library's accept4: before the real one, while armed, let the holder try for a slot.
int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
  static int (*real)(int, struct sockaddr *, socklen_t *, int);
  if (real == NULL)
    real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
  pthread_mutex_lock(&g_mutex);
  if (g_armed && g_heldFd < 0) {
    g_request = true;
    pthread_cond_broadcast(&g_cond);
    while (g_request)
      pthread_cond_wait(&g_cond, &g_mutex);
  }
  pthread_mutex_unlock(&g_mutex);
  return real(fd, addr, len, flags);
}

// --- the server ---------------------------------------------------------------------------

static void onMessage(void *arg, TcpConnection *conn, Buffer *buf, Timestamp receiveTime) {
  (void)arg;
  (void)receiveTime;
  TcpConnection_sendBuffer(conn, buf);
}

// In the loop, after listening: no fd slot left below the limit.
static void squeeze(void *arg) {
  (void)arg;
  int probe = open("/dev/null", O_RDONLY | O_CLOEXEC); // the lowest free fd number
  close(probe);
  struct rlimit limit;
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = (rlim_t)probe;
  if (probe < 0 || setrlimit(RLIMIT_NOFILE, &limit) < 0) {
    perror("s11_emfile_pause: squeeze");
    exit(1);
  }
  pthread_mutex_lock(&g_mutex);
  g_armed = true;
  pthread_mutex_unlock(&g_mutex);
  printf("squeezed: fds limited to %d\n", probe);
}

int main(void) {
  ServerMain program;
  ServerMain_init(&program, "s11_emfile_pause");
  pthread_t thread;
  pthread_create(&thread, NULL, holder, NULL);
  pthread_detach(thread);
  TcpServer *server = ServerMain_newServer(&program);
  TcpServer_setMessageCallback(server, onMessage, NULL);
  EventLoop_runAfter(&program.loop, 0, squeeze, NULL);
  int status = ServerMain_run(&program);
  pthread_mutex_lock(&g_mutex);
  if (g_heldFd >= 0)
    close(g_heldFd);
  pthread_mutex_unlock(&g_mutex);
  return status;
}
