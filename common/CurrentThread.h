// CurrentThread: the calling thread's kernel thread id (gettid), cached per thread.
// The id is what `ps -L` and log lines show; pthread_t is opaque and not printable.
#ifndef REACTOR_CURRENTTHREAD_H
#define REACTOR_CURRENTTHREAD_H

#include <stdbool.h>
#include <sys/types.h>

/// The calling thread's kernel tid; one syscall per thread, then a cached read.
pid_t CurrentThread_tid(void);
/// True in the process's main thread (tid == pid).
bool CurrentThread_isMainThread(void);

#endif
