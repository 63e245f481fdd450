/* report.c: see report.h. */
#define _GNU_SOURCE
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../store/history-leaks.h"

static void fmt_local(double t, char *buf, size_t len)
{
        time_t tt = (time_t)t;
        struct tm tm;

        if (!localtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
                snprintf(buf, len, "%.0f", t);
}

/* No sample in [since, until): say what the history holds. */
static int no_data(struct mb_history *h, const struct mb_report_req *q, struct mb_error *err)
{
        char a[32], b[32], c[32], d[32];
        double first, last;
        size_t total;

        fmt_local(q->since, a, sizeof(a));
        fmt_local(q->until, b, sizeof(b));
        if (mb_history_range(h, &first, &last, &total, err) == 0 && total) {
                fmt_local(first, c, sizeof(c));
                fmt_local(last, d, sizeof(d));
                mb_error_set(err, "", 0, 0, "between %s and %s (it holds %zu from %s to %s)", a, b,
                             total, c, d);
        } else {
                mb_error_set(err, "", 0, 0, "%s", ""); /* none at all */
        }
        return -ENODATA;
}

int mb_report_build(struct mb_history *h, const struct mb_config *cfg,
                    const struct mb_report_req *q, struct mb_report_data *d, struct mb_error *err)
{
        struct mb_report *rep = &d->rep;
        int r;

        memset(d, 0, sizeof(*d));
        rep->limits.ram_max = cfg->ram_max_mb > 0 ? cfg->ram_max_mb << 20 : 0;
        rep->limits.swap_max = cfg->swap_max_mb > 0 ? cfg->swap_max_mb << 20 : 0;
        rep->limits.vram_max = cfg->vram_max_mb > 0 ? cfg->vram_max_mb << 20 : 0;
        rep->limits.available_min = cfg->available_min_mb > 0 ? cfg->available_min_mb << 20 : 0;
        rep->limits.thrash_swapin_ps = cfg->thrash_swapin_pages_per_s;
        mb_leak_params_default(&rep->leak_params);
        if (q->leak_window_s > 0)
                rep->leak_params.window_s = q->leak_window_s;
        if (q->leak_rate > 0)
                rep->leak_params.rate = q->leak_rate;

        if ((r = mb_history_read_host(h, q->since, q->until, &d->rows, &d->n, err)) < 0)
                return r;
        if (!d->n)
                return no_data(h, q, err);
        mb_report_period_compute(d->rows, d->n, q->since, q->until, &rep->limits, &rep->cur);
        if (q->compare) {
                if ((r = mb_history_read_host(h, q->bsince, q->buntil, &d->brows, &d->bn, err)) < 0)
                        return r;
                mb_report_period_compute(d->brows, d->bn, q->bsince, q->buntil, &rep->limits,
                                         &rep->before);
                rep->have_before = true;
        }
        if ((r = mb_history_idents(h, q->since, q->until, false, q->top, &d->by_peak, &rep->npeak,
                                   err)) < 0 ||
            (r = mb_history_idents(h, q->since, q->until, true, q->top, &d->by_mean, &rep->nmean,
                                   err)) < 0 ||
            (r = mb_history_find_leaks(h, d->rows, d->n, q->since, q->until, &rep->leak_params,
                                       rep->limits.ram_max, &d->leaks, &rep->nleaks, err)) < 0)
                return r;
        rep->by_peak = d->by_peak;
        rep->by_mean = d->by_mean;
        rep->leaks = d->leaks;
        return 0;
}

void mb_report_data_release(struct mb_report_data *d)
{
        free(d->rows);
        free(d->brows);
        free(d->by_peak);
        free(d->by_mean);
        free(d->leaks);
        memset(d, 0, sizeof(*d));
}
