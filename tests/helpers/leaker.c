/*
 * leaker: a test child whose memory grows (or stays put).
 *
 *   leaker GROW_MIB TICK_MS [INITIAL_MIB [MAX_MIB]]
 *
 * Allocates INITIAL_MIB (default 0) and touches every page, then every
 * TICK_MS milliseconds allocates and touches GROW_MIB more, up to MAX_MIB
 * (default 1024) in all; then sleeps until killed.  `leaker 0 100 64` is
 * the steady child: 64 MiB, no growth.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static void grab(long mib)
{
        size_t len = (size_t)mib << 20;
        char *p;

        if (mib <= 0)
                return;
        p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
                perror("leaker: mmap");
                exit(1);
        }
        memset(p, 0x5a, len);
}

int main(int argc, char **argv)
{
        long grow, tick_ms, initial = 0, max = 1024, total;
        struct timespec ts;

        if (argc < 3) {
                fprintf(stderr, "usage: leaker GROW_MIB TICK_MS [INITIAL_MIB [MAX_MIB]]\n");
                return 2;
        }
        grow = atol(argv[1]);
        tick_ms = atol(argv[2]);
        if (argc > 3)
                initial = atol(argv[3]);
        if (argc > 4)
                max = atol(argv[4]);
        grab(initial);
        total = initial;
        ts.tv_sec = tick_ms / 1000;
        ts.tv_nsec = (tick_ms % 1000) * 1000000L;
        for (;;) {
                nanosleep(&ts, NULL);
                if (grow > 0 && total + grow <= max) {
                        grab(grow);
                        total += grow;
                }
        }
}
