// quit_before_loop: a quit() asked before loop() starts must not be lost (muduo once reset the
// flag at the top of loop(), so the loop then ran until the next quit). Prints how long loop()
// ran; the test expects well under the 10 s poll timeout.
#include "EventLoop.h"

#include "Timestamp.h"

#include <stdio.h>

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  EventLoop loop;
  EventLoop_init(&loop);
  EventLoop_quit(&loop);
  Timestamp start = Timestamp_now();
  EventLoop_loop(&loop);
  double ms = Timestamp_timeDifference(Timestamp_now(), start) * 1000;
  printf("loop returned after %.0f ms\n", ms);
  EventLoop_destroy(&loop);
  return 0;
}
