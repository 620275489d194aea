// test7: the listening side. Accepts connections, writes "How are you?\n" to each and closes it.
#include "Acceptor.h"
#include "EventLoop.h"
#include "InetAddress.h"
#include "SocketsOps.h"

#include "Settings.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void newConnection(void *arg, int sockfd, const InetAddress *peerAddr) {
  (void)arg;
  char buf[kHostPortLen];
  printf("newConnection(): accepted a new connection from %s\n",
         InetAddress_toHostPort(peerAddr, buf, sizeof buf));
  // A fresh socket's send buffer is empty: 13 bytes always fit.
  if (write(sockfd, "How are you?\n", 13) != 13)
    perror("newConnection(): write");
  sockets_close(sockfd);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  uint16_t port = Settings_port("test7");
  printf("main(): pid = %d\n", getpid());

  InetAddress listenAddr;
  InetAddress_init(&listenAddr, port);
  EventLoop loop;
  EventLoop_init(&loop);

  Acceptor acceptor;
  char where[kHostPortLen];
  InetAddress_toHostPort(&listenAddr, where, sizeof where);
  if (Acceptor_init(&acceptor, &loop, &listenAddr) < 0 || Acceptor_listen(&acceptor) < 0) {
    fprintf(stderr, "test7: cannot listen on %s: %s\n", where, strerror(errno));
    EventLoop_destroy(&loop);
    return 1;
  }
  Acceptor_setNewConnectionCallback(&acceptor, newConnection, NULL);
  if (Settings_portIsAny()) {
    InetAddress bound = Acceptor_listenAddress(&acceptor);
    printf("listening on %s\n", InetAddress_toHostPort(&bound, where, sizeof where));
  }

  EventLoop_loop(&loop);

  Acceptor_destroy(&acceptor);
  EventLoop_destroy(&loop);
  return 0;
}
