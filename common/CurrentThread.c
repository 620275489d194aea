#include "CurrentThread.h"

#include <sys/syscall.h>
#include <unistd.h>

static __thread pid_t t_cachedTid = 0;

pid_t CurrentThread_tid(void) {
  if (t_cachedTid == 0)
    t_cachedTid = (pid_t)syscall(SYS_gettid);
  return t_cachedTid;
}

bool CurrentThread_isMainThread(void) { return CurrentThread_tid() == getpid(); }
