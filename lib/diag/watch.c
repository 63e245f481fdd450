/* watch.c: see watch.h. */
#define _GNU_SOURCE
#include "watch.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "../util/util.h"

void mb_ticker_init(struct mb_ticker *t, double interval_s, volatile sig_atomic_t *stop)
{
        *t = (struct mb_ticker){.start = mb_now_mono(), .interval_s = interval_s, .stop = stop};
}

double mb_ticker_due(const struct mb_ticker *t)
{
        return t->start + (double)t->k * t->interval_s;
}

bool mb_ticker_sleep(const struct mb_ticker *t)
{
        return mb_sleep_until_stop(mb_ticker_due(t), t->stop);
}

bool mb_sleep_until_stop(double deadline, volatile sig_atomic_t *stop)
{
        struct timespec ts;

        ts.tv_sec = (time_t)deadline;
        ts.tv_nsec = (long)((deadline - floor(deadline)) * 1e9);
        if (ts.tv_nsec >= 1000000000L)
                ts.tv_nsec = 999999999L;
        while (!*stop) {
                int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
                if (r != EINTR)
                        return true;
        }
        return false;
}

long mb_ticker_advance(struct mb_ticker *t)
{
        double now, due;
        long missed;

        t->k++;
        now = mb_now_mono();
        due = mb_ticker_due(t);
        if (now <= due)
                return 0;
        missed = (long)floor((now - due) / t->interval_s);
        if (missed <= 0)
                return 0;
        t->k += missed;
        t->missed += (unsigned long)missed;
        return missed;
}

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
        stop_flag = sig;
}

volatile sig_atomic_t *mb_stop_catch(struct mb_stop *s)
{
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_stop;
        sigemptyset(&sa.sa_mask);
        stop_flag = 0;
        sigaction(SIGINT, &sa, &s->old_int);
        sigaction(SIGTERM, &sa, &s->old_term);
        return &stop_flag;
}

void mb_stop_restore(const struct mb_stop *s)
{
        sigaction(SIGINT, &s->old_int, NULL);
        sigaction(SIGTERM, &s->old_term, NULL);
}

void mb_diag_watch_setup(struct mb_diag *d, const struct mb_config *cfg, const regex_t *target,
                         size_t top_n)
{
        d->cfg = cfg;
        d->target_match = target;
        d->rates = true; /* from one tick to the next */
        d->lazy_gpu_procs = true;
        /* command lines for what is shown or recorded (and the target's) */
        d->cmdlines = top_n + 1 > MB_DIAG_CMDLINES ? top_n + 1 : MB_DIAG_CMDLINES;
}
