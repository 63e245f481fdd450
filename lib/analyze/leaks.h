/*
 * leaks.h: leak detection on a memory time series (pure functions).
 *
 * A series is (t seconds, v bytes) samples in time order, such as one
 * process identity's RSS+swap from the history store.  A window of
 * `window_s` slides over it; a window is a leak candidate when
 *
 *   - it holds at least `min_samples` samples (default 10),
 *   - the least-squares slope exceeds `rate` (bytes per second),
 *   - the fit explains the data: R^2 >= `r2_min` (default 0.8), and
 *   - the growth is spread over the window: no single interval holds more
 *     than `max_step_share` (default 0.5) of the rise, and the Theil-Sen
 *     (median pairwise) slope also exceeds half the rate.
 *
 * The last two reject a one-off step (an allocation that stays): a
 * centred step fits a line with R^2 = 0.75, and a step near a window edge
 * plus a little drift can pass 0.8, but it always puts most of the rise into
 * one interval.  Noise and allocate/free cycles (sawtooth) shorter than the
 * window fit a line poorly (low R^2).
 *
 * Consecutive flagged windows are merged into one stretch; the result
 * describes the longest stretch (its own fit over all its samples).
 */
#ifndef MB_LEAKS_H
#define MB_LEAKS_H

#include <stdbool.h>
#include <stddef.h>

struct mb_fit {
        double slope;     /* dv/dt */
        double intercept; /* v at t = 0 */
        double r2;        /* coefficient of determination; 0 for a flat series */
        size_t n;
};

/* Least squares over n points.  0, or -EINVAL when n < 2 or all t equal. */
int mb_linfit(const double *t, const double *v, size_t n, struct mb_fit *ret);

struct mb_leak_params {
        double window_s;       /* default 1800 */
        double rate;           /* bytes/s; default 50 MiB/h */
        double r2_min;         /* default 0.8 */
        size_t min_samples;    /* default 10 */
        double max_step_share; /* default 0.5 */
};

void mb_leak_params_default(struct mb_leak_params *p);

struct mb_leak {
        bool flagged;
        double slope;             /* bytes/s over the stretch (least squares) */
        double r2;                /* of the stretch */
        double t_start;           /* first sample of the stretch */
        double t_end;             /* last sample of the stretch */
        double v_start;           /* fitted value at t_start */
        double v_end;             /* last sample's value */
        size_t nsamples;          /* in the stretch */
        double best_window_slope; /* steepest window examined (bytes/s), flagged or not */
};

/*
 * Examine a series.  Returns 0 with ret filled (flagged or not); -EINVAL for
 * n == 0 or invalid parameters; -ENOMEM.  t must be non-decreasing.
 */
int mb_leak_check(const double *t, const double *v, size_t n, const struct mb_leak_params *p,
                  struct mb_leak *ret);

/* Is one window (the samples t[0..n)) a leak?  Exposed for tests. */
bool mb_leak_window(const double *t, const double *v, size_t n, const struct mb_leak_params *p,
                    struct mb_fit *ret_fit);

/* Median of pairwise slopes (Theil-Sen); 0 for fewer than 2 points.  Uses
 * at most 64 evenly spread points so that the cost stays bounded. */
double mb_theil_sen(const double *t, const double *v, size_t n);

#endif
