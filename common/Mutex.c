#include "Mutex.h"

#include "CurrentThread.h"
#include "Logging.h"

#include <errno.h>
#include <time.h>

// pthread functions return the error instead of setting errno.
#define PCHECK(call)                                                                               \
  do {                                                                                             \
    int err_ = (call);                                                                             \
    if (err_ != 0) {                                                                               \
      errno = err_;                                                                                \
      LOG_SYSFATAL("%s failed", #call);                                                            \
    }                                                                                              \
  } while (0)

void MutexLock_init(MutexLock *self) {
  PCHECK(pthread_mutex_init(&self->mutex, NULL));
  self->holder = 0;
}

void MutexLock_destroy(MutexLock *self) {
  if (self->holder != 0)
    LOG_FATAL("MutexLock %p destroyed while held by thread %d", (void *)self, self->holder);
  PCHECK(pthread_mutex_destroy(&self->mutex));
}

void MutexLock_lock(MutexLock *self) {
  PCHECK(pthread_mutex_lock(&self->mutex));
  self->holder = CurrentThread_tid();
}

void MutexLock_unlock(MutexLock *self) {
  if (self->holder != CurrentThread_tid())
    LOG_FATAL("MutexLock %p unlocked by thread %d, which does not hold it", (void *)self,
              CurrentThread_tid());
  self->holder = 0;
  PCHECK(pthread_mutex_unlock(&self->mutex));
}

bool MutexLock_isLockedByThisThread(const MutexLock *self) {
  return self->holder == CurrentThread_tid();
}

void Condition_init(Condition *self, MutexLock *mutex) {
  self->mutex = mutex;
  PCHECK(pthread_cond_init(&self->cond, NULL));
}

void Condition_destroy(Condition *self) { PCHECK(pthread_cond_destroy(&self->cond)); }

void Condition_wait(Condition *self) {
  // The wait releases the mutex: clear the holder first, take it back after.
  self->mutex->holder = 0;
  PCHECK(pthread_cond_wait(&self->cond, &self->mutex->mutex));
  self->mutex->holder = CurrentThread_tid();
}

bool Condition_waitForSeconds(Condition *self, double seconds) {
  struct timespec abstime;
  clock_gettime(CLOCK_REALTIME, &abstime);
  long long nanos = (long long)(seconds * 1e9);
  abstime.tv_sec += (time_t)((abstime.tv_nsec + nanos) / 1000000000);
  abstime.tv_nsec = (long)((abstime.tv_nsec + nanos) % 1000000000);
  self->mutex->holder = 0;
  int err = pthread_cond_timedwait(&self->cond, &self->mutex->mutex, &abstime);
  self->mutex->holder = CurrentThread_tid();
  if (err != 0 && err != ETIMEDOUT) {
    errno = err;
    LOG_SYSFATAL("pthread_cond_timedwait failed");
  }
  return err == ETIMEDOUT;
}

void Condition_notify(Condition *self) { PCHECK(pthread_cond_signal(&self->cond)); }

void Condition_notifyAll(Condition *self) { PCHECK(pthread_cond_broadcast(&self->cond)); }
