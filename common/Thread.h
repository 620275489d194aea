// Thread: a pthread that runs func(arg), knows its kernel tid once started, and must be joined.
// start() returns after the new thread has recorded its tid, so tid() is valid right away.
// Owned by whoever called Thread_init; start, join and destroy from that owner's thread.
#ifndef REACTOR_THREAD_H
#define REACTOR_THREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

typedef void (*ThreadFunc)(void *arg);

typedef struct Thread {
  // set at init
  ThreadFunc func;
  void *arg;
  char name[32];
  // owner's thread only
  pthread_t pthreadId;
  bool started;
  bool joined;
  pid_t tid; // written by the new thread before start() returns
} Thread;

void Thread_init(Thread *self, ThreadFunc func, void *arg, const char *name);
/// Aborts if the thread was started and never joined (a leaked thread is a bug).
void Thread_destroy(Thread *self);
/// Creates the thread; aborts when the system cannot (out of threads is not recoverable here).
void Thread_start(Thread *self);
void Thread_join(Thread *self);
pid_t Thread_tid(const Thread *self);

#endif
