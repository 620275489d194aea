// functor_storm: several threads each post many functors to one loop, half with runInLoop and
// half with queueInLoop; some are posted before loop() starts, most while it runs. Every functor
// must run exactly once, in the loop thread, and each producer's functors in the order it posted
// them. Prints the facts; the counts of wrong things are 0 when the loop is correct.
//
// usage: functor_storm [threads [functors-per-thread]]   (default 4 x 10000)
#include "EventLoop.h"

#include "CurrentThread.h"
#include "Thread.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { kMaxProducers = 16 };

static EventLoop *g_loop;
static int g_producers = 4;
static long g_perProducer = 10000;

// loop thread only
static long g_next[kMaxProducers]; // the sequence number expected next from each producer
static long g_ran = 0;
static long g_outOfOrder = 0;
static long g_wrongThread = 0;

static void work(void *arg) {
  uintptr_t v = (uintptr_t)arg;
  int producer = (int)(v % kMaxProducers);
  long seq = (long)(v / kMaxProducers);
  if (!EventLoop_isInLoopThread(g_loop))
    ++g_wrongThread;
  if (seq != g_next[producer])
    ++g_outOfOrder;
  g_next[producer] = seq + 1;
  if (++g_ran == (long)g_producers * g_perProducer)
    EventLoop_quit(g_loop);
}

static void produce(void *arg) {
  int producer = (int)(intptr_t)arg;
  for (long seq = 0; seq < g_perProducer; ++seq) {
    void *item = (void *)(uintptr_t)(seq * kMaxProducers + producer);
    if (seq % 2)
      EventLoop_runInLoop(g_loop, work, item);
    else
      EventLoop_queueInLoop(g_loop, work, item);
  }
}

static void give_up(void *arg) {
  (void)arg;
  printf("gave up waiting after 20 s\n");
  EventLoop_quit(g_loop);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 1)
    g_producers = atoi(argv[1]);
  if (argc > 2)
    g_perProducer = atol(argv[2]);
  if (g_producers < 1 || g_producers > kMaxProducers || g_perProducer < 1) {
    fprintf(stderr, "usage: functor_storm [threads (1-%d) [functors-per-thread]]\n", kMaxProducers);
    return 1;
  }
  EventLoop loop;
  EventLoop_init(&loop);
  g_loop = &loop;
  EventLoop_runAfter(&loop, 20, give_up, NULL);

  Thread threads[kMaxProducers];
  for (int i = 0; i < g_producers; ++i) {
    Thread_init(&threads[i], produce, (void *)(intptr_t)i, "producer");
    Thread_start(&threads[i]);
  }
  EventLoop_loop(&loop);
  for (int i = 0; i < g_producers; ++i) {
    Thread_join(&threads[i]);
    Thread_destroy(&threads[i]);
  }

  long lastMissing = 0;
  for (int i = 0; i < g_producers; ++i)
    lastMissing += g_perProducer - g_next[i];
  printf("producers %d, functors each %ld\n", g_producers, g_perProducer);
  printf("ran %ld of %ld\n", g_ran, (long)g_producers * g_perProducer);
  printf("out of order %ld\n", g_outOfOrder);
  printf("not in the loop thread %ld\n", g_wrongThread);
  printf("missing at the end %ld\n", lastMissing);
  EventLoop_destroy(&loop);
  return 0;
}
