// ServerMain: the main() every s11 server program shares, so that each program's own main
// shows only what it demonstrates: the callbacks it sets and the arguments it takes.
//
// init reads REACTOR_PORT; newServer creates the EventLoop, the QuitSignals and the TcpServer,
// all owned by the ServerMain; run starts the server, loops until SIGTERM or SIGINT, then frees
// them. A bad setting or an address that cannot be bound is a user error: one line on stderr
// naming it, exit status 1. Main thread only (it is the loop thread), in the order declared.
#ifndef REACTOR_SERVERMAIN_H
#define REACTOR_SERVERMAIN_H

#include "EventLoop.h"
#include "InetAddress.h"
#include "QuitSignals.h"
#include "TcpServer.h"

typedef struct ServerMain {
  // set at init
  const char *program; // names the program in error lines
  InetAddress listenAddr;
  // set by newServer, freed by run
  EventLoop loop;
  QuitSignals quitSignals;
  TcpServer *server;
} ServerMain;

/// Line-buffers stdout and reads REACTOR_PORT; exits 1 on a bad value. First thing in main.
void ServerMain_init(ServerMain *self, const char *program);
/// argv[index] as the number of IO threads (0 to 64; 0 when absent); exits 1 on a bad value.
int ServerMain_threadsArg(const ServerMain *self, int argc, char *argv[], int index);
/// Creates the loop, the quit signals and the server, owned by self; the caller sets the
/// server's callbacks and thread count. Exits 1 when the address cannot be bound.
TcpServer *ServerMain_newServer(ServerMain *self);
/// Starts listening (prints "listening on IP:PORT" when REACTOR_PORT=0), loops until SIGTERM or
/// SIGINT, frees everything. Returns main's exit status: 0, or 1 when listening fails.
int ServerMain_run(ServerMain *self);

#endif
