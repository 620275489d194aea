// pingpong_server: muduo's ping-pong benchmark server - echoes everything with TCP_NODELAY.
// argv[1]: number of IO threads (default 0). Logs warnings only.
#include "EventLoop.h"
#include "QuitSignals.h"
#include "TcpServer.h"

#include "Logging.h"
#include "Settings.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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
  setvbuf(stdout, NULL, _IOLBF, 0);
  uint16_t port = Settings_port("pingpong_server");
  long threads =
      Settings_longArg("pingpong_server", argc, argv, 1, "number of IO threads", 0, 64, 0);
  Logger_setLogLevel(LOG_LEVEL_WARN);

  EventLoop loop;
  EventLoop_init(&loop);
  QuitSignals quitSignals;
  QuitSignals_init(&quitSignals, &loop);
  InetAddress listenAddr;
  InetAddress_init(&listenAddr, port);
  TcpServer *server = TcpServer_new(&loop, &listenAddr);
  if (server != NULL) {
    TcpServer_setConnectionCallback(server, onConnection, NULL);
    TcpServer_setMessageCallback(server, onMessage, NULL);
    TcpServer_setThreadNum(server, (int)threads);
  }
  if (server == NULL || TcpServer_start(server) < 0) {
    int savedErrno = errno;
    char where[kHostPortLen];
    fprintf(stderr, "pingpong_server: cannot listen on %s: %s\n",
            InetAddress_toHostPort(&listenAddr, where, sizeof where), strerror(savedErrno));
    TcpServer_free(server);
    QuitSignals_destroy(&quitSignals);
    EventLoop_destroy(&loop);
    return 1;
  }
  if (Settings_portIsAny()) {
    InetAddress bound = TcpServer_listenAddress(server);
    char where[kHostPortLen];
    printf("listening on %s\n", InetAddress_toHostPort(&bound, where, sizeof where));
  }

  EventLoop_loop(&loop);

  TcpServer_free(server);
  QuitSignals_destroy(&quitSignals);
  EventLoop_destroy(&loop);
  return 0;
}
