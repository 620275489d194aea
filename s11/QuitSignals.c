#include "QuitSignals.h"

#include "EventLoop.h"
#include "Logging.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

static void QuitSignals_handleRead(void *arg, Timestamp receiveTime) {
  QuitSignals *self = arg;
  (void)receiveTime;
  struct signalfd_siginfo info;
  if (read(self->signalFd, &info, sizeof info) == (ssize_t)sizeof info)
    LOG_TRACE("signal %u: quitting the loop", info.ssi_signo);
  EventLoop_quit(self->loop);
}

void QuitSignals_init(QuitSignals *self, EventLoop *loop) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0)
    LOG_FATAL("pthread_sigmask failed");
  self->loop = loop;
  self->signalFd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (self->signalFd < 0)
    LOG_SYSFATAL("signalfd");
  Channel_init(&self->channel, loop, self->signalFd);
  Channel_setReadCallback(&self->channel, QuitSignals_handleRead, self);
  Channel_enableReading(&self->channel);
}

void QuitSignals_destroy(QuitSignals *self) {
  Channel_disableAll(&self->channel);
  Channel_remove(&self->channel);
  Channel_destroy(&self->channel);
  close(self->signalFd);
}
