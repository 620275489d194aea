// CurrentThread: the calling thread's kernel thread id (gettid), cached per thread.
// The id is what `ps -L` and log lines show; pthread_t is opaque and not printable.
#ifndef REACTOR_CURRENTTHREAD_H
#define REACTOR_CURRENTTHREAD_H

#include <stdbool.h>
#include <sys/types.h>

// The calling thread's tid once known, else 0. Written only by CurrentThread_cacheTid.
extern __thread pid_t t_cachedTid;
/// Asks the kernel for the calling thread's tid and caches it.
void CurrentThread_cacheTid(void);

/// The calling thread's kernel tid; one syscall per thread, then a cached read. Inline, as
/// muduo's: the loop compares it at every assertInLoopThread.
static inline pid_t CurrentThread_tid(void) {
  if (__builtin_expect(t_cachedTid == 0, 0))
    CurrentThread_cacheTid();
  return t_cachedTid;
}
/// True in the process's main thread (tid == pid).
bool CurrentThread_isMainThread(void);

#endif
