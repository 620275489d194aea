// pingpong_server: muduo's ping-pong benchmark server - echoes everything with TCP_NODELAY.
// argv[1]: number of IO threads (default 0). Logs warnings only.
#include "ServerMain.h"
#include "TcpServer.h"

#include "Logging.h"

static void onConnection(void *arg, TcpConnection *conn) {
  (void)arg;
  if (TcpConnection_connected(conn))
    TcpConnection_setTcpNoDelay(conn, true);
}

static void onMessage(void *arg, TcpConnection *conn, Buffer *buf, Timestamp receiveTime) {
  (void)arg;
  (void)receiveTime;
  TcpConnection_sendBuffer(conn, buf);
}

int main(int argc, char *argv[]) {
  ServerMain program;
  ServerMain_init(&program, "pingpong_server");
  int threads = ServerMain_threadsArg(&program, argc, argv, 1);
  Logger_setLogLevel(LOG_LEVEL_WARN);

  TcpServer *server = ServerMain_newServer(&program);
  TcpServer_setConnectionCallback(server, onConnection, NULL);
  TcpServer_setMessageCallback(server, onMessage, NULL);
  TcpServer_setThreadNum(server, threads);
  return ServerMain_run(&program);
}
