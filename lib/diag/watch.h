/*
 * watch.h: the watch ticker.  Ticks follow the monotonic clock without
 * drift (tick k is due at start + k * interval); ticks whose time passed
 * entirely are skipped and counted, never silently dropped.
 */
#ifndef MB_DIAG_WATCH_H
#define MB_DIAG_WATCH_H

#include <signal.h>
#include <stdbool.h>

#include "diag.h"

struct mb_ticker {
        double start, interval_s;
        long k;                      /* the tick due next */
        unsigned long missed;        /* ticks skipped so far */
        volatile sig_atomic_t *stop; /* set (by a signal handler) to stop waiting */
};

/* Tick 0 is due now. */
void mb_ticker_init(struct mb_ticker *t, double interval_s, volatile sig_atomic_t *stop);
/* When the next tick is due (monotonic clock). */
double mb_ticker_due(const struct mb_ticker *t);
/* Sleep until deadline (monotonic clock); false when *stop was set meanwhile. */
bool mb_sleep_until_stop(double deadline, volatile sig_atomic_t *stop);
/* Sleep until the next tick is due; false when *stop was set meanwhile. */
bool mb_ticker_sleep(const struct mb_ticker *t);
/* Move to the next tick, skipping those already entirely past: returns how
 * many were skipped (0 when on time). */
long mb_ticker_advance(struct mb_ticker *t);

/* The sampler for watch: rates from one tick to the next, the target
 * (target overrides target.match), command lines for top_n processes. */
void mb_diag_watch_setup(struct mb_diag *d, const struct mb_config *cfg, const regex_t *target,
                         size_t top_n);

/* SIGINT and SIGTERM set a flag instead of ending the program (watch loops):
 * mb_stop_catch installs the handler, clears the flag and returns it;
 * mb_stop_restore puts the previous handlers back. */
struct mb_stop {
        struct sigaction old_int, old_term;
};
volatile sig_atomic_t *mb_stop_catch(struct mb_stop *s);
void mb_stop_restore(const struct mb_stop *s);

#endif
