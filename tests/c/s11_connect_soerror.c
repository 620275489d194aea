// s11_connect_soerror: a failed connect that arrives as writability alone is read from SO_ERROR
// and retried; it is never taken for a connection.
//
// On Linux a refused connect raises POLLERR (with POLLHUP) along with POLLOUT, so the Connector's
// error handler runs first and ends the attempt: the SO_ERROR check in Connector_handleWrite is
// never the one that decides. Writability can still come alone (the error may land after the
// poll returned), so that check matters. To exercise it, this program interposes on epoll_wait
// and poll: it defines both, the library's objects are linked into it, so the Poller's and the
// EPoller's calls come here; each calls the real function (dlsym RTLD_NEXT, which keeps a
// sanitizer's own wrapper in the chain) and then withholds POLLERR and POLLHUP from every event
// that has POLLOUT, counting each time it did. Nothing else changes: the socket still holds its
// error, and SO_ERROR still reports it.
//
// A Connector connects to a port of 127.0.0.1 with nothing listening (refused) for 1.2 s: the
// attempts at 0 and 0.5 s are refused and retried after 500 and 1000 ms. Prints how many error
// events were withheld, the attempts the listener-less port refused (each withheld error is one),
// the connections the owner was handed (none), and the fds before and after.
#include "Connector.h"
#include "EventLoop.h"
#include "check_util.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static atomic_int g_withheld;
static int g_connected;

typedef int (*EpollWaitFn)(int, struct epoll_event *, int, int);
typedef int (*PollFn)(struct pollfd *, nfds_t, int);

int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout) {
  static EpollWaitFn real;
  if (real == NULL)
    real = (EpollWaitFn)dlsym(RTLD_NEXT, "epoll_wait");
  int n = real(epfd, events, maxevents, timeout);
  for (int i = 0; i < n; ++i) {
    if ((events[i].events & EPOLLOUT) && (events[i].events & (EPOLLERR | EPOLLHUP))) {
      events[i].events &= ~(uint32_t)(EPOLLERR | EPOLLHUP);
      atomic_fetch_add(&g_withheld, 1);
    }
  }
  return n;
}

int poll(struct pollfd *fds, nfds_t nfds, int timeout) {
  static PollFn real;
  if (real == NULL)
    real = (PollFn)dlsym(RTLD_NEXT, "poll");
  int n = real(fds, nfds, timeout);
  for (nfds_t i = 0; n > 0 && i < nfds; ++i) {
    if ((fds[i].revents & POLLOUT) && (fds[i].revents & (POLLERR | POLLHUP))) {
      fds[i].revents &= (short)~(POLLERR | POLLHUP);
      atomic_fetch_add(&g_withheld, 1);
    }
  }
  return n;
}

static void connected(void *arg, int sockfd) {
  (void)arg;
  ++g_connected;
  printf("handed a connection, fd %d\n", sockfd);
  close(sockfd);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  // A port of 127.0.0.1 that nobody listens on: bound (so the kernel picks a free one), then
  // closed without listen.
  InetAddress addr;
  close(check_loopback_socket("s11_connect_soerror", -1, &addr));
  printf("connecting to 127.0.0.1:%u, where nothing listens\n",
         (unsigned)ntohs(addr.addr.sin_port));

  EventLoop loop;
  EventLoop_init(&loop);
  int fdsBefore = check_fd_count();
  Connector *connector = Connector_new(&loop, &addr);
  Connector_setNewConnectionCallback(connector, connected, NULL);
  Connector_start(connector);
  EventLoop_runAfter(&loop, 1.2, check_quit_loop, &loop);
  EventLoop_loop(&loop);
  Connector_stop(connector);
  Connector_unref(connector);
  EventLoop_runAfter(&loop, 0.01, check_quit_loop, &loop);
  EventLoop_loop(&loop);

  printf("withheld %d error events, handed %d connections\n", atomic_load(&g_withheld),
         g_connected);
  printf("fds: %d before, %d after\n", fdsBefore, check_fd_count());
  EventLoop_destroy(&loop);
  return 0;
}
