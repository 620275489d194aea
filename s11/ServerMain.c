#include "ServerMain.h"

#include "Settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ServerMain_init(ServerMain *self, const char *program) {
  // Line-buffered, so a test reading the output through a pipe sees each line as it happens.
  setvbuf(stdout, NULL, _IOLBF, 0);
  self->program = program;
  InetAddress_init(&self->listenAddr, Settings_port(program));
  self->server = NULL;
}

int ServerMain_threadsArg(const ServerMain *self, int argc, char *argv[], int index) {
  return (int)Settings_longArg(self->program, argc, argv, index, "number of IO threads", 0, 64, 0);
}

static void print_cannot_listen(const ServerMain *self, int savedErrno) {
  char where[kHostPortLen];
  fprintf(stderr, "%s: cannot listen on %s: %s\n", self->program,
          InetAddress_toHostPort(&self->listenAddr, where, sizeof where), strerror(savedErrno));
}

TcpServer *ServerMain_newServer(ServerMain *self) {
  EventLoop_init(&self->loop);
  // Before the server starts its IO threads: they inherit the blocked signals.
  QuitSignals_init(&self->quitSignals, &self->loop);
  self->server = TcpServer_new(&self->loop, &self->listenAddr);
  if (self->server == NULL) {
    print_cannot_listen(self, errno);
    QuitSignals_destroy(&self->quitSignals);
    EventLoop_destroy(&self->loop);
    exit(1);
  }
  return self->server;
}

int ServerMain_run(ServerMain *self) {
  int status = 0;
  if (TcpServer_start(self->server) < 0) {
    print_cannot_listen(self, errno);
    status = 1;
  } else {
    if (Settings_portIsAny()) {
      InetAddress bound = TcpServer_listenAddress(self->server);
      char where[kHostPortLen];
      printf("listening on %s\n", InetAddress_toHostPort(&bound, where, sizeof where));
    }
    EventLoop_loop(&self->loop);
  }
  TcpServer_free(self->server);
  QuitSignals_destroy(&self->quitSignals);
  EventLoop_destroy(&self->loop);
  return status;
}
