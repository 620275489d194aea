// s11_buffer: checks Buffer and prints one fact per line for tests/s11.bats to assert:
// the storage is NULL until first use; append / prepend / retrieve / findCRLF keep the
// regions right; growth slides the content to the front before it reallocates; readFd reads a
// pipe with one readv into the tail plus a 64 KiB stack area, for small and large writes; a
// view over lent storage (step 14) reads like any Buffer, grows into storage of its own and
// never frees the lender's (here an array on the stack: freeing it would abort).
// A broken expectation inside (content corrupted) prints "FAIL ..." and exits 1.
#include "Buffer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int g_failures = 0;

static void check(int ok, const char *what) {
  if (!ok) {
    printf("FAIL %s\n", what);
    ++g_failures;
  }
}

static void regions(const char *when, const Buffer *buf) {
  printf("%s: data %s, readable %zu, writable %zu, prependable %zu, capacity %zu\n", when,
         buf->data ? "set" : "NULL", Buffer_readableBytes(buf), Buffer_writableBytes(buf),
         Buffer_prependableBytes(buf), buf->capacity);
}

static void basics(void) {
  Buffer buf;
  Buffer_init(&buf);
  regions("init", &buf);
  printf("findCRLF on empty: %s\n", Buffer_findCRLF(&buf) ? "found" : "NULL");
  Buffer_retrieveAll(&buf);
  char *empty = Buffer_retrieveAllAsString(&buf);
  printf("retrieveAllAsString on empty: '%s', data %s\n", empty, buf.data ? "set" : "NULL");
  free(empty);
  Buffer_append(&buf, "", 0);
  regions("append 0 bytes", &buf);

  Buffer_append(&buf, "hello", 5);
  regions("append 5", &buf);
  Buffer_prepend(&buf, "1234", 4);
  regions("prepend 4", &buf);
  printf("peek: '%.*s'\n", (int)Buffer_readableBytes(&buf), Buffer_peek(&buf));
  Buffer_retrieve(&buf, 2);
  regions("retrieve 2", &buf);
  char *s = Buffer_retrieveAsString(&buf, 3);
  printf("retrieveAsString 3: '%s'\n", s);
  free(s);
  regions("after retrieveAsString", &buf);
  Buffer_retrieve(&buf, 100);
  regions("retrieve more than readable", &buf);

  const char *request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  Buffer_append(&buf, request, strlen(request));
  const char *crlf = Buffer_findCRLF(&buf);
  printf("findCRLF: at %td\n", crlf ? crlf - Buffer_peek(&buf) : (ptrdiff_t)-1);
  Buffer_retrieve(&buf, (size_t)(crlf - Buffer_peek(&buf)) + 2);
  crlf = Buffer_findCRLF(&buf);
  printf("findCRLF after the first line: at %td\n",
         crlf ? crlf - Buffer_peek(&buf) : (ptrdiff_t)-1);
  Buffer_retrieveAll(&buf);
  Buffer_append(&buf, "no line end\r", 12);
  printf("findCRLF with a lone CR at the end: %s\n", Buffer_findCRLF(&buf) ? "found" : "NULL");
  Buffer_destroy(&buf);
  regions("destroy", &buf);
}

static void growth(void) {
  Buffer buf;
  Buffer_init(&buf);
  char data[4096];
  for (size_t i = 0; i < sizeof data; ++i)
    data[i] = (char)('a' + i % 26);
  Buffer_append(&buf, data, 1000);
  size_t capacity = buf.capacity;
  const char *storage = buf.data;
  Buffer_retrieve(&buf, 900);
  regions("append 1000, retrieve 900", &buf);
  // 24 bytes left at the tail, but 900 already read at the front: slide, do not grow.
  Buffer_append(&buf, data + 1000, 800);
  printf("append 800: capacity %s, storage %s, readerIndex %zu\n",
         buf.capacity == capacity ? "unchanged" : "changed",
         buf.data == storage ? "unchanged" : "moved", buf.readerIndex);
  check(Buffer_readableBytes(&buf) == 900 && memcmp(Buffer_peek(&buf), data + 900, 900) == 0,
        "content after sliding");
  // Now it cannot fit either way: grow, keeping the content.
  Buffer_append(&buf, data, 4000);
  printf("append 4000: capacity %zu, readable %zu, readerIndex %zu\n", buf.capacity,
         Buffer_readableBytes(&buf), buf.readerIndex);
  check(memcmp(Buffer_peek(&buf), data + 900, 900) == 0 &&
            memcmp(Buffer_peek(&buf) + 900, data, 4000) == 0,
        "content after growing");
  Buffer_destroy(&buf);
}

// Writes len pattern bytes into a pipe, then reads them back with readFd: prints how many
// bytes each call took and whether the content survived.
static void read_pipe(const char *name, size_t len, size_t reserve) {
  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0 || fcntl(fds[1], F_SETPIPE_SZ, 1 << 20) < 0) {
    printf("FAIL pipe: %s\n", strerror(errno));
    exit(1);
  }
  char *data = malloc(len);
  for (size_t i = 0; i < len; ++i)
    data[i] = (char)(i * 7 + i / 251);
  if (write(fds[1], data, len) != (ssize_t)len) {
    printf("FAIL write to pipe\n");
    exit(1);
  }
  Buffer buf;
  Buffer_init(&buf);
  if (reserve > 0)
    Buffer_ensureWritableBytes(&buf, reserve);
  printf("%s: %zu bytes written, tail %zu before the first read, reads:", name, len,
         Buffer_writableBytes(&buf));
  // Each read as "bytes/tail before it": a read takes at most the tail plus the 64 KiB stack
  // area, and the stack area only while the tail is smaller than it.
  int savedErrno = 0;
  ssize_t n;
  size_t tail = Buffer_writableBytes(&buf);
  while ((n = Buffer_readFd(&buf, fds[0], &savedErrno)) > 0) {
    printf(" %zd/%zu", n, tail);
    tail = Buffer_writableBytes(&buf);
  }
  printf(", then %zd (%s)\n", n, n < 0 && savedErrno == EAGAIN ? "EAGAIN" : "other");
  check(Buffer_readableBytes(&buf) == len && memcmp(Buffer_peek(&buf), data, len) == 0,
        "content read from the pipe");
  printf("%s: readable %zu, capacity %zu\n", name, Buffer_readableBytes(&buf), buf.capacity);
  close(fds[1]);
  n = Buffer_readFd(&buf, fds[0], &savedErrno);
  printf("%s: at EOF readFd returns %zd\n", name, n);
  close(fds[0]);
  Buffer_destroy(&buf);
  free(data);
}

// A view over storage the Buffer does not own, as a loop lends its read buffer to a message
// callback.
static void view(void) {
  char storage[kCheapPrepend + 64];
  memcpy(storage + kCheapPrepend, "hello world", 11);
  Buffer buf;
  Buffer_initView(&buf, storage, sizeof storage, 11);
  regions("view of 11", &buf);
  Buffer_retrieve(&buf, 6);
  char *word = Buffer_retrieveAllAsString(&buf);
  printf("view: retrieve 6, then '%s'; borrowed %s\n", word, buf.borrowed ? "yes" : "no");
  free(word);
  Buffer_append(&buf, "0123456789", 10);
  Buffer_prepend(&buf, "ab", 2);
  printf("view: append 10, prepend 2: in the lent storage %s, peek '%.12s'\n",
         Buffer_peek(&buf) == storage + kCheapPrepend - 2 ? "yes" : "no", Buffer_peek(&buf));
  char more[100];
  memset(more, 'x', sizeof more);
  Buffer_append(&buf, more, sizeof more);
  check(Buffer_readableBytes(&buf) == 112 && memcmp(Buffer_peek(&buf), "ab0123456789", 12) == 0,
        "content after a view grew");
  printf("view: append 100: borrowed %s, own storage %s, capacity %zu, lent bytes '%.12s'\n",
         buf.borrowed ? "yes" : "no", buf.data != storage ? "yes" : "no", buf.capacity,
         storage + kCheapPrepend - 2);
  Buffer_destroy(&buf); // frees the storage it grew into, not the array
  Buffer_initView(&buf, storage, sizeof storage, 3);
  Buffer_destroy(&buf); // a view never grown: frees nothing
  regions("view destroyed", &buf);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  basics();
  growth();
  read_pipe("small", 100, 0);
  read_pipe("big", 200000, 0);
  read_pipe("tail 100000", 200000, 100000);
  read_pipe("tail 300000", 200000, 300000);
  view();
  printf("failures %d\n", g_failures);
  return g_failures == 0 ? 0 : 1;
}
