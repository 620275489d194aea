#include "Buffer.h"

#include "Logging.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

void Buffer_init(Buffer *self) {
  self->data = NULL;
  self->capacity = 0;
  self->readerIndex = kCheapPrepend;
  self->writerIndex = kCheapPrepend;
  self->borrowed = false;
}

void Buffer_destroy(Buffer *self) {
  if (!self->borrowed)
    free(self->data);
  Buffer_init(self);
}

void Buffer_initView(Buffer *self, char *storage, size_t capacity, size_t len) {
  assert(storage != NULL && kCheapPrepend + len <= capacity);
  self->data = storage;
  self->capacity = capacity;
  self->readerIndex = kCheapPrepend;
  self->writerIndex = kCheapPrepend + len;
  self->borrowed = true;
}

size_t Buffer_readableBytes(const Buffer *self) { return self->writerIndex - self->readerIndex; }

size_t Buffer_writableBytes(const Buffer *self) {
  return self->capacity > self->writerIndex ? self->capacity - self->writerIndex : 0;
}

size_t Buffer_prependableBytes(const Buffer *self) { return self->readerIndex; }

const char *Buffer_peek(const Buffer *self) {
  return self->data ? self->data + self->readerIndex : NULL;
}

const char *Buffer_findCRLF(const Buffer *self) {
  size_t n = Buffer_readableBytes(self);
  const char *start = Buffer_peek(self);
  for (size_t i = 0; i + 1 < n; ++i)
    if (start[i] == '\r' && start[i + 1] == '\n')
      return start + i;
  return NULL;
}

void Buffer_retrieve(Buffer *self, size_t len) {
  if (len < Buffer_readableBytes(self))
    self->readerIndex += len;
  else
    Buffer_retrieveAll(self);
}

void Buffer_retrieveAll(Buffer *self) {
  self->readerIndex = kCheapPrepend;
  self->writerIndex = kCheapPrepend;
}

char *Buffer_retrieveAsString(Buffer *self, size_t len) {
  if (len > Buffer_readableBytes(self))
    len = Buffer_readableBytes(self);
  char *str = malloc(len + 1);
  if (str == NULL)
    LOG_FATAL("out of memory copying %zu bytes out of a Buffer", len);
  if (len > 0)
    memcpy(str, Buffer_peek(self), len);
  str[len] = '\0';
  Buffer_retrieve(self, len);
  return str;
}

char *Buffer_retrieveAllAsString(Buffer *self) {
  return Buffer_retrieveAsString(self, Buffer_readableBytes(self));
}

// Room for len more bytes: slide the content to the front if that is enough, else grow. A view
// slides within the lent storage, and grows into storage of its own (the lender's is kept).
static void make_space(Buffer *self, size_t len) {
  size_t readable = Buffer_readableBytes(self);
  if (self->data != NULL && Buffer_writableBytes(self) + self->readerIndex >= len + kCheapPrepend) {
    memmove(self->data + kCheapPrepend, self->data + self->readerIndex, readable);
    self->readerIndex = kCheapPrepend;
    self->writerIndex = kCheapPrepend + readable;
    return;
  }
  size_t needed = kCheapPrepend + readable + len;
  size_t capacity =
      self->capacity && !self->borrowed ? self->capacity : kCheapPrepend + kInitialSize;
  while (capacity < needed)
    capacity *= 2;
  char *data = malloc(capacity);
  if (data == NULL)
    LOG_FATAL("out of memory growing a Buffer to %zu bytes", capacity);
  if (readable > 0)
    memcpy(data + kCheapPrepend, self->data + self->readerIndex, readable);
  if (!self->borrowed)
    free(self->data);
  self->borrowed = false;
  self->data = data;
  self->capacity = capacity;
  self->readerIndex = kCheapPrepend;
  self->writerIndex = kCheapPrepend + readable;
}

void Buffer_ensureWritableBytes(Buffer *self, size_t len) {
  if (Buffer_writableBytes(self) < len)
    make_space(self, len);
  assert(Buffer_writableBytes(self) >= len);
}

// Before the first allocation there is no tail to point into (data + writerIndex would be
// arithmetic on NULL): NULL, like peek, and only ever with zero writable bytes.
char *Buffer_beginWrite(Buffer *self) { return self->data ? self->data + self->writerIndex : NULL; }

void Buffer_hasWritten(Buffer *self, size_t len) {
  assert(len <= Buffer_writableBytes(self));
  self->writerIndex += len;
}

void Buffer_append(Buffer *self, const void *data, size_t len) {
  if (len == 0)
    return;
  Buffer_ensureWritableBytes(self, len);
  memcpy(Buffer_beginWrite(self), data, len);
  Buffer_hasWritten(self, len);
}

void Buffer_prepend(Buffer *self, const void *data, size_t len) {
  assert(len <= Buffer_prependableBytes(self));
  if (len == 0)
    return;
  if (self->data == NULL)
    Buffer_ensureWritableBytes(self, 1); // allocates the storage, prepend area included
  self->readerIndex -= len;
  memcpy(self->data + self->readerIndex, data, len);
}

ssize_t Buffer_readFd(Buffer *self, int fd, int *savedErrno) {
  // The stack area catches what does not fit in the tail; only then does the buffer grow,
  // by exactly what arrived. A 64 KiB read costs one syscall, whatever the buffer's size.
  // As in muduo, the stack area is offered only while the tail is smaller than it: a tail of
  // 64 KiB or more is read on its own, so a fast sender cannot make each read (and with it the
  // buffer) grow by 64 KiB without end.
  char extrabuf[65536];
  struct iovec vec[2];
  size_t writable = Buffer_writableBytes(self);
  vec[0].iov_base = writable > 0 ? Buffer_beginWrite(self) : NULL;
  vec[0].iov_len = writable;
  vec[1].iov_base = extrabuf;
  vec[1].iov_len = sizeof extrabuf;
  const struct iovec *first = writable > 0 ? vec : vec + 1;
  int iovcnt = writable == 0 || writable >= sizeof extrabuf ? 1 : 2;
  ssize_t n = readv(fd, first, iovcnt);
  if (n < 0) {
    *savedErrno = errno;
  } else if ((size_t)n <= writable) {
    self->writerIndex += (size_t)n;
  } else {
    self->writerIndex += writable;
    Buffer_append(self, extrabuf, (size_t)n - writable);
  }
  return n;
}
