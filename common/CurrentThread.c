#include "CurrentThread.h"

#include <sys/syscall.h>
#include <unistd.h>

__thread pid_t t_cachedTid = 0;

void CurrentThread_cacheTid(void) { t_cachedTid = (pid_t)syscall(SYS_gettid); }

bool CurrentThread_isMainThread(void) { return CurrentThread_tid() == getpid(); }
