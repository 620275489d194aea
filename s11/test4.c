// test4: timers. Prints a line from each one-shot and repeating timer as it fires; the 20th
// line quits the loop. every2 is cancelled at 10 s and cancelSelf cancels itself when it first
// runs, so the 20th line comes at about 27 or 30 s.
#include "EventLoop.h"

#include "CurrentThread.h"

#include <stdio.h>
#include <unistd.h>

static int cnt = 0;
static EventLoop *g_loop;
static TimerId toCancel;

static void printTid(void) {
  char buf[32];
  printf("pid = %d, tid = %d\n", getpid(), CurrentThread_tid());
  printf("now %s\n", Timestamp_toString(Timestamp_now(), buf, sizeof buf));
}

static void print(void *arg) {
  const char *msg = arg;
  char buf[32];
  printf("msg %s %s\n", Timestamp_toString(Timestamp_now(), buf, sizeof buf), msg);
  if (++cnt == 20)
    EventLoop_quit(g_loop);
}

static void cancel(void *arg) {
  TimerId *timer = arg;
  EventLoop_cancel(g_loop, *timer);
}

static void cancelSelf(void *arg) {
  (void)arg;
  print("cancelSelf()");
  EventLoop_cancel(g_loop, toCancel);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  printTid();
  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;

  print("main");
  EventLoop_runAfter(&loop, 1, print, "once1");
  EventLoop_runAfter(&loop, 1.5, print, "once1.5");
  EventLoop_runAfter(&loop, 2.5, print, "once2.5");
  EventLoop_runAfter(&loop, 3.5, print, "once3.5");
  TimerId every2 = EventLoop_runEvery(&loop, 2, print, "every2");
  EventLoop_runAfter(&loop, 10, cancel, &every2);
  EventLoop_runEvery(&loop, 3, print, "every3");
  toCancel = EventLoop_runEvery(&loop, 5, cancelSelf, NULL);

  EventLoop_loop(&loop);
  print("main loop exits");
  EventLoop_destroy(&loop);
  return 0;
}
