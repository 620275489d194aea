// twoloops: a second EventLoop in the same thread is a programming error: it aborts with a
// FATAL line naming the loop that already exists. Works against every stage's EventLoop.
#include "EventLoop.h"

#include <stdio.h>

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  EventLoop first;
  EventLoop_init(&first);
  printf("first loop %p\n", (void *)&first);
  EventLoop second;
  EventLoop_init(&second);
  printf("unreachable: a second loop was created\n");
  return 0;
}
