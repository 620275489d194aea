#include "Thread.h"

#include "CurrentThread.h"
#include "Logging.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

// What the starting thread hands the new one: it lives on the starter's stack until the new
// thread has published its tid, which start() waits for.
typedef struct StartData {
  Thread *thread;
  atomic_int ready;
  pthread_mutex_t mutex;
  pthread_cond_t cond;
} StartData;

static void *thread_main(void *p) {
  StartData *data = p;
  Thread *self = data->thread;
  ThreadFunc func = self->func;
  void *arg = self->arg;
  pthread_mutex_lock(&data->mutex);
  self->tid = CurrentThread_tid();
  atomic_store(&data->ready, 1);
  pthread_cond_signal(&data->cond);
  pthread_mutex_unlock(&data->mutex);
  // data is gone from here on: the starter may already have returned.
  func(arg);
  return NULL;
}

void Thread_init(Thread *self, ThreadFunc func, void *arg, const char *name) {
  memset(self, 0, sizeof *self);
  self->func = func;
  self->arg = arg;
  snprintf(self->name, sizeof self->name, "%s", name ? name : "Thread");
}

void Thread_destroy(Thread *self) {
  if (self->started && !self->joined)
    LOG_FATAL("Thread %s (tid %d) destroyed without join", self->name, self->tid);
}

void Thread_start(Thread *self) {
  if (self->started)
    LOG_FATAL("Thread %s started twice", self->name);
  StartData data;
  data.thread = self;
  atomic_init(&data.ready, 0);
  pthread_mutex_init(&data.mutex, NULL);
  pthread_cond_init(&data.cond, NULL);
  self->started = true;
  int err = pthread_create(&self->pthreadId, NULL, thread_main, &data);
  if (err != 0) {
    errno = err;
    LOG_SYSFATAL("pthread_create failed for thread %s", self->name);
  }
  pthread_mutex_lock(&data.mutex);
  while (!atomic_load(&data.ready))
    pthread_cond_wait(&data.cond, &data.mutex);
  pthread_mutex_unlock(&data.mutex);
  pthread_cond_destroy(&data.cond);
  pthread_mutex_destroy(&data.mutex);
}

void Thread_join(Thread *self) {
  if (!self->started || self->joined)
    LOG_FATAL("Thread %s joined but not running", self->name);
  int err = pthread_join(self->pthreadId, NULL);
  if (err != 0) {
    errno = err;
    LOG_SYSFATAL("pthread_join failed for thread %s", self->name);
  }
  self->joined = true;
}

pid_t Thread_tid(const Thread *self) { return self->tid; }
