// EventLoopThreadPool: N EventLoopThreads for a TcpServer's connections.
//
// The base loop (the server's own, where the Acceptor runs) hands each new connection to the
// next IO loop, round-robin. With zero threads every connection stays on the base loop.
// Owned by a TcpServer or client program; used from the base loop's thread.
#ifndef REACTOR_EVENTLOOPTHREADPOOL_H
#define REACTOR_EVENTLOOPTHREADPOOL_H

#include "EventLoopThread.h"

#include <stdbool.h>

struct EventLoop;

typedef struct EventLoopThreadPool {
  // set at creation
  struct EventLoop *baseLoop;
  // base loop thread only
  bool started;
  int numThreads;
  int next;
  EventLoopThread *threads;
  struct EventLoop **loops;
} EventLoopThreadPool;

EventLoopThreadPool *EventLoopThreadPool_new(struct EventLoop *baseLoop);
/// Quits every IO loop and joins its thread (each loop runs its pending work first).
void EventLoopThreadPool_free(EventLoopThreadPool *self);
/// How many IO threads start() creates. Before start only.
void EventLoopThreadPool_setThreadNum(EventLoopThreadPool *self, int numThreads);
/// Starts the threads; returns when every IO loop is running. Base loop thread, once.
void EventLoopThreadPool_start(EventLoopThreadPool *self);
/// The loop for the next connection: round-robin over the IO loops, or the base loop when
/// there are none. Base loop thread only.
struct EventLoop *EventLoopThreadPool_getNextLoop(EventLoopThreadPool *self);

#endif
