// s11_lines: a line echo server (REACTOR_PORT, 0 IO threads) whose message callback takes only
// whole lines and leaves a partial one for later, to show where a connection's input lives
// (step 14): in the loop's read buffer while the connection keeps nothing, in the connection's
// own inputBuffer while it keeps the start of a line, and that buffer's storage given back
// after some reads have left it empty.
//
// One line per message:
//   message N bytes in view|own, own storage held|none, echoed E, left L
// "view": the callback's Buffer is a view over the loop's read buffer; "own": it is the
// connection's inputBuffer. "own storage": whether that inputBuffer holds storage as the
// callback starts. E bytes of whole lines were echoed, L bytes were left for the next message.
// Exits 0 on SIGTERM.
#include "ServerMain.h"
#include "TcpServer.h"

#include <stdio.h>
#include <string.h>

static void onMessage(void *arg, TcpConnection *conn, Buffer *buf, Timestamp receiveTime) {
  (void)arg;
  (void)receiveTime;
  const Buffer *own = TcpConnection_inputBuffer(conn);
  size_t n = Buffer_readableBytes(buf);
  const char *where = buf == own ? "own" : buf->borrowed ? "view" : "neither (a bug)";
  const char *storage = own->data != NULL ? "held" : "none";
  const char *start = Buffer_peek(buf);
  const char *last = NULL; // the last newline
  for (const char *p = start; p != NULL && p < start + n;) {
    p = memchr(p, '\n', (size_t)(start + n - p));
    if (p != NULL)
      last = p++;
  }
  size_t echoed = last != NULL ? (size_t)(last - start) + 1 : 0;
  if (echoed > 0) {
    TcpConnection_send(conn, start, echoed);
    Buffer_retrieve(buf, echoed);
  }
  printf("message %zu bytes in %s, own storage %s, echoed %zu, left %zu\n", n, where, storage,
         echoed, Buffer_readableBytes(buf));
}

int main(void) {
  ServerMain program;
  ServerMain_init(&program, "s11_lines");
  TcpServer *server = ServerMain_newServer(&program);
  TcpServer_setMessageCallback(server, onMessage, NULL);
  return ServerMain_run(&program);
}
