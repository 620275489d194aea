// test5: runInLoop runs at once in the loop thread; queueInLoop runs after the current work.
#include "EventLoop.h"

#include <stdio.h>
#include <unistd.h>

static EventLoop *g_loop;
static int g_flag = 0;

static void run4(void *arg) {
  (void)arg;
  printf("run4(): pid = %d, flag = %d\n", getpid(), g_flag);
  EventLoop_quit(g_loop);
}

static void run3(void *arg) {
  (void)arg;
  printf("run3(): pid = %d, flag = %d\n", getpid(), g_flag);
  EventLoop_runAfter(g_loop, 3, run4, NULL);
  g_flag = 3;
}

static void run2(void *arg) {
  (void)arg;
  printf("run2(): pid = %d, flag = %d\n", getpid(), g_flag);
  EventLoop_queueInLoop(g_loop, run3, NULL);
}

static void run1(void *arg) {
  (void)arg;
  g_flag = 1;
  printf("run1(): pid = %d, flag = %d\n", getpid(), g_flag);
  EventLoop_runInLoop(g_loop, run2, NULL);
  g_flag = 2;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("main(): pid = %d, flag = %d\n", getpid(), g_flag);

  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;

  EventLoop_runAfter(&loop, 2, run1, NULL);
  EventLoop_loop(&loop);
  printf("main(): pid = %d, flag = %d\n", getpid(), g_flag);
  EventLoop_destroy(&loop);
  return 0;
}
