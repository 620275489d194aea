// Buffer: a byte buffer for non-blocking IO, as muduo's.
//
//   +-------------------+------------------+------------------+
//   | prependable bytes |  readable bytes  |  writable bytes  |
//   |                   |     (CONTENT)    |                  |
//   +-------------------+------------------+------------------+
//   0      <=      readerIndex   <=   writerIndex    <=     capacity
//
// Data is appended at writerIndex and taken from readerIndex. When the tail runs out, the
// content first moves back to the front (reusing what was already read) and only then does the
// storage grow. The storage is allocated on first use, so an idle connection's buffers cost
// nothing. A Buffer can also be a view over storage it does not own (Buffer_initView: a loop's
// read buffer, lent to a message callback): the API is the same; growing it moves the content
// into storage of its own, and destroying it frees nothing of the lender's.
// Not thread-safe: a TcpConnection's buffers are touched only in its loop thread.
#ifndef REACTOR_BUFFER_H
#define REACTOR_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum {
  kCheapPrepend = 8,   // room kept in front, so a length header can be prepended cheaply
  kInitialSize = 1024, // the first allocation's size past the prepend area (at least)
};

typedef struct Buffer {
  char *data; // NULL until the first write
  size_t capacity;
  size_t readerIndex;
  size_t writerIndex;
  bool borrowed; // data is lent (Buffer_initView): never freed or reallocated here
} Buffer;

void Buffer_init(Buffer *self);
/// Frees the storage (unless borrowed); the Buffer is then as Buffer_init left it.
void Buffer_destroy(Buffer *self);
/// A view over storage someone else owns: capacity bytes at storage, the first kCheapPrepend of
/// them the prepend area, then len readable bytes. The storage must outlive the view.
void Buffer_initView(Buffer *self, char *storage, size_t capacity, size_t len);

size_t Buffer_readableBytes(const Buffer *self);
size_t Buffer_writableBytes(const Buffer *self);
size_t Buffer_prependableBytes(const Buffer *self);
/// The first readable byte (valid for readableBytes bytes, until the next write).
const char *Buffer_peek(const Buffer *self);
/// The first "\r\n" in the readable bytes, or NULL.
const char *Buffer_findCRLF(const Buffer *self);

/// Drops len readable bytes (all of them if len is larger).
void Buffer_retrieve(Buffer *self, size_t len);
void Buffer_retrieveAll(Buffer *self);
/// Takes len readable bytes out as a NUL-terminated string the caller frees.
char *Buffer_retrieveAsString(Buffer *self, size_t len);
char *Buffer_retrieveAllAsString(Buffer *self);

void Buffer_append(Buffer *self, const void *data, size_t len);
/// Puts len bytes in front of the readable bytes; len <= prependableBytes.
void Buffer_prepend(Buffer *self, const void *data, size_t len);
/// Makes room for len more bytes at the tail.
void Buffer_ensureWritableBytes(Buffer *self, size_t len);
char *Buffer_beginWrite(Buffer *self);
void Buffer_hasWritten(Buffer *self, size_t len);

/// Reads what the fd has, with one readv into the tail plus (when the tail is under 64 KiB) a
/// 64 KiB stack area, so a large burst is read in one call without a large buffer per
/// connection. Returns the bytes read, 0 at EOF, or -1 with *savedErrno set.
ssize_t Buffer_readFd(Buffer *self, int fd, int *savedErrno);

#endif
