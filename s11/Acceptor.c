#include "Acceptor.h"

#include "EventLoop.h"
#include "Logging.h"
#include "SocketsOps.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

static void Acceptor_handleRead(void *arg, Timestamp receiveTime);

static int open_idle_fd(void) { return open("/dev/null", O_RDONLY | O_CLOEXEC); }

// Acceptor_init failed after creating the socket: close it, keeping errno for the caller.
static int give_up_init(Acceptor *self) {
  int savedErrno = errno;
  Socket_destroy(&self->acceptSocket);
  errno = savedErrno;
  return -1;
}

int Acceptor_init(Acceptor *self, EventLoop *loop, const InetAddress *listenAddr) {
  self->loop = loop;
  Socket_init(&self->acceptSocket, sockets_createNonblockingOrDie());
  Socket_setReuseAddr(&self->acceptSocket, true);
  if (Socket_bindAddress(&self->acceptSocket, listenAddr) < 0)
    return give_up_init(self);
  // Without the spare fd, running out of fds would make the listener spin (see below): a
  // process already that short of fds cannot serve, so say so now, as for a bind failure.
  self->idleFd = open_idle_fd();
  if (self->idleFd < 0)
    return give_up_init(self);
  Channel_init(&self->acceptChannel, loop, Socket_fd(&self->acceptSocket));
  Channel_setReadCallback(&self->acceptChannel, Acceptor_handleRead, self);
  self->newConnectionCallback = NULL;
  self->newConnectionArg = NULL;
  self->listenning = false;
  self->pausePending = false;
  return 0;
}

void Acceptor_destroy(Acceptor *self) {
  EventLoop_assertInLoopThread(self->loop);
  if (self->pausePending)
    EventLoop_cancel(self->loop, self->pauseTimer); // it would find the Acceptor gone
  // Stop watching before closing: the Poller must never hold a closed fd.
  if (self->listenning) {
    Channel_disableAll(&self->acceptChannel);
    Channel_remove(&self->acceptChannel);
  }
  Channel_destroy(&self->acceptChannel);
  Socket_destroy(&self->acceptSocket);
  if (self->idleFd >= 0)
    close(self->idleFd);
}

void Acceptor_setNewConnectionCallback(Acceptor *self, NewConnectionCallback cb, void *arg) {
  self->newConnectionCallback = cb;
  self->newConnectionArg = arg;
}

bool Acceptor_listenning(const Acceptor *self) { return self->listenning; }

int Acceptor_listen(Acceptor *self) {
  EventLoop_assertInLoopThread(self->loop);
  if (Socket_listen(&self->acceptSocket) < 0)
    return -1;
  self->listenning = true;
  Channel_enableReading(&self->acceptChannel);
  return 0;
}

InetAddress Acceptor_listenAddress(const Acceptor *self) {
  struct sockaddr_in addr = sockets_getLocalAddr(Socket_fd(&self->acceptSocket));
  InetAddress result;
  InetAddress_initFromSockAddr(&result, &addr);
  return result;
}

static void resume_accepting(void *arg);

// Out of fds with no spare fd to give up: every poll would find the listening fd readable and
// every accept4 fail, a busy loop. Stop reading it for a while instead; resume_accepting then
// tries to take the spare back.
static void pause_accepting(Acceptor *self) {
  Channel_disableReading(&self->acceptChannel);
  self->pauseTimer =
      EventLoop_runAfter(self->loop, kAcceptPauseMs / 1000.0, resume_accepting, self);
  self->pausePending = true;
}

static void resume_accepting(void *arg) {
  Acceptor *self = arg;
  self->pausePending = false;
  self->idleFd = open_idle_fd();
  if (self->idleFd < 0) {
    pause_accepting(self); // still no fd to spare: wait again, quietly
    return;
  }
  LOG_INFO("Acceptor: the spare fd is back, accepting again");
  Channel_enableReading(&self->acceptChannel);
}

// Out of fds: the pending connection stays in the backlog, the listening fd stays readable, and
// a level-triggered poll returns at once, forever - a busy loop. Give up the spare fd, accept
// the connection into its slot and close it (the client sees a close, not a hang), then take
// the spare back.
static void drop_connection_when_out_of_fds(Acceptor *self) {
  if (self->idleFd >= 0)
    close(self->idleFd);
  int fd = accept4(Socket_fd(&self->acceptSocket), NULL, NULL, SOCK_CLOEXEC);
  int savedErrno = errno;
  if (fd >= 0)
    close(fd);
  self->idleFd = open_idle_fd();
  if (fd >= 0) {
    LOG_ERROR("Acceptor: out of file descriptors, closed a new connection at once");
  } else {
    // Another thread took the freed slot first: nothing was dropped, so do not say so.
    errno = savedErrno;
    LOG_SYSERR("Acceptor: out of file descriptors, and the spare fd could not be used");
  }
  if (self->idleFd < 0) {
    LOG_ERROR("Acceptor: no spare fd, not accepting for %d ms at a time until one is free",
              kAcceptPauseMs);
    pause_accepting(self);
  }
}

// Accepts up to kMaxAcceptsPerWakeup connections, handing each to the new-connection callback;
// stops early when the backlog is empty (EAGAIN) or at any error.
static void Acceptor_handleRead(void *arg, Timestamp receiveTime) {
  Acceptor *self = arg;
  (void)receiveTime;
  EventLoop_assertInLoopThread(self->loop);
  for (int i = 0; i < kMaxAcceptsPerWakeup; ++i) {
    InetAddress peerAddr;
    int connfd = Socket_accept(&self->acceptSocket, &peerAddr);
    if (connfd < 0) {
      if (errno == EMFILE || errno == ENFILE)
        drop_connection_when_out_of_fds(self);
      else if (errno != EAGAIN && errno != EINTR)
        LOG_SYSERR("Acceptor Acceptor_handleRead");
      return;
    }
    char buf[kHostPortLen];
    LOG_TRACE("accepted fd %d from %s", connfd, InetAddress_toHostPort(&peerAddr, buf, sizeof buf));
    if (self->newConnectionCallback)
      self->newConnectionCallback(self->newConnectionArg, connfd, &peerAddr);
    else
      sockets_close(connfd);
  }
}
