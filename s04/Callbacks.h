// Callbacks: the user-facing callback types. Each is a function plus the void *arg it was
// registered with (the C face of std::function + bind); the library never owns arg.
#ifndef REACTOR_CALLBACKS_H
#define REACTOR_CALLBACKS_H

typedef void (*TimerCallback)(void *arg);

#endif
