// MutexLock and Condition: thin pthread wrappers that abort on misuse.
//
// A pthread call on a mutex or condition fails only when the program is wrong (unlocking a
// mutex it does not hold, destroying one that is locked), so every failure is FATAL.
// MutexLock remembers its holder so code can assert it holds the lock.
#ifndef REACTOR_MUTEX_H
#define REACTOR_MUTEX_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct MutexLock {
  pthread_mutex_t mutex;
  pid_t holder; // tid of the holder, 0 when free; written only by the holder
} MutexLock;

typedef struct Condition {
  pthread_cond_t cond;
  MutexLock *mutex; // set at init; the mutex every wait and notify goes with
} Condition;

void MutexLock_init(MutexLock *self);
void MutexLock_destroy(MutexLock *self);
void MutexLock_lock(MutexLock *self);
void MutexLock_unlock(MutexLock *self);
/// True when the calling thread holds the lock (for asserts).
bool MutexLock_isLockedByThisThread(const MutexLock *self);

void Condition_init(Condition *self, MutexLock *mutex);
void Condition_destroy(Condition *self);
/// Waits; the caller holds the mutex, and holds it again on return. Spurious wakeups happen:
/// always wait in a loop on the predicate.
void Condition_wait(Condition *self);
/// Waits at most `seconds`; returns true on timeout.
bool Condition_waitForSeconds(Condition *self, double seconds);
void Condition_notify(Condition *self);
void Condition_notifyAll(Condition *self);

#endif
