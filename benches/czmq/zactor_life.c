// CZMQ's zactor life cycle, measured the way benches/actor.rs measures
// zactor's: zactor_new (which returns once the actor signalled ready),
// then zactor_destroy (sends $TERM, waits for the actor's signal, joins),
// serially, N times; prints microseconds per actor.
//
// Built and run by run.sh in this directory against the system libczmq.

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

// The minimal actor: ready, then wait for $TERM.
static void minimal(zsock_t *pipe, void *args) {
    (void) args;
    zsock_signal(pipe, 0);
    char *command = zstr_recv(pipe);
    zstr_free(&command);
}

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
    int count = argc > 1 ? atoi(argv[1]) : 10000;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    // Warm-up: the first actor creates CZMQ's global context.
    for (int i = 0; i < 100; i++) {
        zactor_t *actor = zactor_new(minimal, NULL);
        zactor_destroy(&actor);
    }
    for (int round = 0; round < rounds; round++) {
        double start = now_us();
        for (int i = 0; i < count; i++) {
            zactor_t *actor = zactor_new(minimal, NULL);
            zactor_destroy(&actor);
        }
        double per = (now_us() - start) / count;
        printf("czmq zactor life: %d actors, %.1f us each\n", count, per);
    }
    return 0;
}
