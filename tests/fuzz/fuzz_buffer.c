// fuzz_buffer: libFuzzer harness for s11's Buffer.
//
// The input is a program: each step takes an opcode byte and a length byte (and, for append and
// prepend, the bytes to store, taken from the input itself so that "\r\n" and friends appear).
// The same steps run on a Buffer and on a reference model, a flat array holding what should be
// readable. After every step the harness checks the Buffer's invariants
//
//   0 <= prependable (= readerIndex) <= writerIndex <= capacity,  readable + writable +
//   prependable == capacity,  no storage before the first write,  content equal to the model,
//
// and the contract of the step itself (retrieveAsString returns the bytes and a NUL, readFd
// returns what the pipe held, findCRLF finds the first CRLF, ensureWritableBytes slides the
// content to the front instead of growing when that makes room). Any difference aborts.
#include "Buffer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "fuzz_buffer: check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);       \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

// The model: the bytes that should be readable, in order.
typedef struct Model {
  char *bytes;
  size_t len;
  size_t cap;
} Model;

static void model_reserve(Model *m, size_t extra) {
  if (m->len + extra <= m->cap)
    return;
  size_t cap = m->cap ? m->cap : 64;
  while (cap < m->len + extra)
    cap *= 2;
  m->bytes = realloc(m->bytes, cap);
  CHECK(m->bytes != NULL);
  m->cap = cap;
}

static void model_append(Model *m, const void *p, size_t n) {
  if (n == 0)
    return;
  model_reserve(m, n);
  memcpy(m->bytes + m->len, p, n);
  m->len += n;
}

static void model_prepend(Model *m, const void *p, size_t n) {
  if (n == 0)
    return;
  model_reserve(m, n);
  memmove(m->bytes + n, m->bytes, m->len);
  if (n > 0)
    memcpy(m->bytes, p, n);
  m->len += n;
}

static void model_drop(Model *m, size_t n) {
  if (n > m->len)
    n = m->len;
  if (n == 0)
    return;
  memmove(m->bytes, m->bytes + n, m->len - n);
  m->len -= n;
}

static void check_invariants(const Buffer *buf, const Model *m) {
  size_t readable = Buffer_readableBytes(buf);
  size_t writable = Buffer_writableBytes(buf);
  size_t prependable = Buffer_prependableBytes(buf);
  CHECK(buf->readerIndex <= buf->writerIndex);
  CHECK(prependable == buf->readerIndex);
  CHECK(readable == m->len);
  if (buf->data == NULL) {
    // Nothing stored yet (or everything dropped before the first write): no storage at all.
    CHECK(buf->capacity == 0);
    CHECK(readable == 0 && writable == 0);
    CHECK(buf->readerIndex == kCheapPrepend);
  } else {
    CHECK(buf->writerIndex <= buf->capacity);
    CHECK(readable + writable + prependable == buf->capacity);
    CHECK(buf->capacity >= kCheapPrepend + kInitialSize);
    CHECK(readable == 0 || memcmp(Buffer_peek(buf), m->bytes, readable) == 0);
  }
  if (readable == 0)
    CHECK(Buffer_findCRLF(buf) == NULL);
}

// The input, consumed from the front; reads past the end give zeros.
typedef struct Input {
  const uint8_t *p;
  size_t left;
} Input;

static uint8_t take_byte(Input *in) {
  if (in->left == 0)
    return 0;
  --in->left;
  return *in->p++;
}

// Lengths up to 127 as they are; with the top bit set, multiples of 600 up to 76200, so
// steps cross the initial 1024 bytes, the 64 KiB stack area of readFd, and several doublings.
static size_t take_len(Input *in) {
  uint8_t b = take_byte(in);
  return (b & 0x80) ? (size_t)(b & 0x7f) * 600 : b;
}

// n bytes of payload: from the input while it lasts, then a pattern with CRs and LFs in it.
static void take_bytes(Input *in, char *out, size_t n) {
  for (size_t i = 0; i < n; ++i)
    out[i] = in->left > 0 ? (char)take_byte(in) : "ab\r\ncd\r\r\n\n"[i % 11];
}

static char scratch[128 * 600];
enum { kMaxContent = 128 * 1024 };

static void step_readfd(Buffer *buf, Model *m, size_t n) {
  // A pipe big enough to hold the whole step, so the write never blocks.
  int fds[2];
  CHECK(pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0);
  if (fcntl(fds[1], F_SETPIPE_SZ, (int)sizeof scratch + 4096) < 0)
    n = n > 65536 ? 65536 : n; // the default 64 KiB pipe
  for (size_t i = 0; i < n; ++i)
    scratch[i] = (char)('A' + (m->len + i) % 26);
  CHECK(write(fds[1], scratch, n) == (ssize_t)n);
  close(fds[1]);
  size_t got = 0;
  // One readv takes at most the tail plus 64 KiB; read until EOF, as a connection would.
  for (;;) {
    size_t writable = Buffer_writableBytes(buf);
    int savedErrno = 0;
    ssize_t r = Buffer_readFd(buf, fds[0], &savedErrno);
    CHECK(r >= 0);
    if (r == 0)
      break;
    CHECK((size_t)r <= writable + 65536);
    CHECK((size_t)r <= n - got);
    model_append(m, scratch + got, (size_t)r);
    got += (size_t)r;
    check_invariants(buf, m);
  }
  CHECK(got == n);
  close(fds[0]);
}

static void step_readfd_empty(Buffer *buf, const Model *m) {
  // Nothing to read on a non-blocking pipe: -1 with EAGAIN saved, the buffer untouched.
  int fds[2];
  CHECK(pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0);
  size_t capacity = buf->capacity;
  int savedErrno = 0;
  errno = 0;
  CHECK(Buffer_readFd(buf, fds[0], &savedErrno) == -1);
  CHECK(savedErrno == EAGAIN);
  CHECK(buf->capacity == capacity);
  check_invariants(buf, m);
  close(fds[0]);
  close(fds[1]);
}

static void step_find_crlf(const Buffer *buf, const Model *m) {
  const char *found = Buffer_findCRLF(buf);
  const char *want = m->len >= 2 ? memmem(m->bytes, m->len, "\r\n", 2) : NULL;
  if (want == NULL) {
    CHECK(found == NULL);
  } else {
    CHECK(found != NULL);
    CHECK(found - Buffer_peek(buf) == want - m->bytes);
  }
}

static void step_retrieve_as_string(Buffer *buf, Model *m, size_t n, int all) {
  size_t want = all || n > m->len ? m->len : n;
  char *s = all ? Buffer_retrieveAllAsString(buf) : Buffer_retrieveAsString(buf, n);
  CHECK(s != NULL);
  CHECK(want == 0 || memcmp(s, m->bytes, want) == 0);
  CHECK(s[want] == '\0');
  free(s);
  model_drop(m, want);
}

static void step_ensure_writable(Buffer *buf, const Model *m, size_t n) {
  size_t capacity = buf->capacity;
  // muduo's rule: reuse the space already read before growing.
  int fits = buf->data != NULL &&
             Buffer_writableBytes(buf) + Buffer_prependableBytes(buf) >= n + kCheapPrepend;
  Buffer_ensureWritableBytes(buf, n);
  CHECK(Buffer_writableBytes(buf) >= n);
  if (fits)
    CHECK(buf->capacity == capacity);
  check_invariants(buf, m);
}

static void step_write_in_place(Buffer *buf, Model *m, Input *in, size_t n) {
  // What a codec does: reserve, write at beginWrite, then hasWritten.
  Buffer_ensureWritableBytes(buf, n);
  char *tail = Buffer_beginWrite(buf); // asked for even when n is 0, as a codec might
  take_bytes(in, scratch, n);
  if (n > 0)
    memcpy(tail, scratch, n);
  Buffer_hasWritten(buf, n);
  model_append(m, scratch, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Input in = {data, size};
  Buffer buf;
  Buffer_init(&buf);
  Model m = {NULL, 0, 0};
  check_invariants(&buf, &m);
  for (int steps = 0; in.left > 0 && steps < 64; ++steps) {
    uint8_t op = take_byte(&in);
    size_t n = take_len(&in);
    // Past 128 KiB of content the steps only shrink it: larger sizes add no new paths, and
    // comparing megabytes after every step would slow the search down a hundredfold.
    if (m.len > kMaxContent)
      n = 0;
    switch (op % 11) {
    case 0: // append
      take_bytes(&in, scratch, n);
      Buffer_append(&buf, scratch, n);
      model_append(&m, scratch, n);
      break;
    case 1: // prepend, within the room in front (the contract)
      if (n > Buffer_prependableBytes(&buf))
        n = Buffer_prependableBytes(&buf);
      take_bytes(&in, scratch, n);
      Buffer_prepend(&buf, scratch, n);
      model_prepend(&m, scratch, n);
      break;
    case 2:
      Buffer_retrieve(&buf, n);
      model_drop(&m, n);
      break;
    case 3:
      step_retrieve_as_string(&buf, &m, n, 0);
      break;
    case 4:
      step_retrieve_as_string(&buf, &m, 0, 1);
      break;
    case 5:
      Buffer_retrieveAll(&buf);
      model_drop(&m, m.len);
      break;
    case 6:
      step_ensure_writable(&buf, &m, n);
      break;
    case 7:
      step_readfd(&buf, &m, n);
      break;
    case 8:
      step_readfd_empty(&buf, &m);
      break;
    case 9:
      step_find_crlf(&buf, &m);
      break;
    case 10:
      step_write_in_place(&buf, &m, &in, n);
      break;
    }
    check_invariants(&buf, &m);
  }
  step_find_crlf(&buf, &m);
  Buffer_destroy(&buf);
  check_invariants(&buf, &(Model){NULL, 0, 0});
  free(m.bytes);
  return 0;
}
