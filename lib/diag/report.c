/* report.c: see report.h. */
#define _GNU_SOURCE
#include "report.h"

#include <errno.h>
#include <math.h>
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

/* "90", "45s", "30m", "24h", "7d", "2w" -> seconds.  0 or -EINVAL. */
int mb_report_parse_duration(const char *s, double *ret)
{
        char *e;
        double v, mul = 1;

        errno = 0;
        v = strtod(s, &e);
        if (e == s || errno || !isfinite(v) || v < 0)
                return -EINVAL;
        if (!strcmp(e, "") || !strcmp(e, "s"))
                mul = 1;
        else if (!strcmp(e, "m") || !strcmp(e, "min"))
                mul = 60;
        else if (!strcmp(e, "h"))
                mul = 3600;
        else if (!strcmp(e, "d"))
                mul = 86400;
        else if (!strcmp(e, "w"))
                mul = 7 * 86400;
        else
                return -EINVAL;
        *ret = v * mul;
        return 0;
}

/* A point in time: "now", a duration back from now, @EPOCH, or local time. */
int mb_report_parse_when(const char *s, double now, double *ret)
{
        static const char *const fmts[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
                                           "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"};
        double d;

        if (!strcmp(s, "now")) {
                *ret = now;
                return 0;
        }
        if (s[0] == '@') {
                char *e;
                errno = 0;
                d = strtod(s + 1, &e);
                if (e == s + 1 || *e || errno || !isfinite(d))
                        return -EINVAL;
                *ret = d;
                return 0;
        }
        if (mb_report_parse_duration(s, &d) == 0 && strchr("0123456789.", s[0]) &&
            !strchr(s, '-')) {
                /* A bare number is ambiguous with a year; require a unit. */
                const char *u = s + strspn(s, "0123456789.");
                if (!*u)
                        return -EINVAL;
                *ret = now - d;
                return 0;
        }
        for (size_t i = 0; i < MB_ARRAY_SIZE(fmts); i++) {
                struct tm tm;
                const char *e;
                time_t t;

                memset(&tm, 0, sizeof(tm));
                e = strptime(s, fmts[i], &tm);
                if (!e || *e)
                        continue;
                tm.tm_isdst = -1;
                t = mktime(&tm);
                if (t == (time_t)-1)
                        return -EINVAL;
                *ret = (double)t;
                return 0;
        }
        return -EINVAL;
}

int mb_report_parse_range(const char *s, double now, double *since, double *until)
{
        const char *dots = strstr(s, "..");
        char a[128];
        size_t la = dots ? (size_t)(dots - s) : 0;

        if (!dots || la == 0 || la >= sizeof(a) || !dots[2])
                return -EINVAL;
        memcpy(a, s, la);
        a[la] = '\0';
        if (mb_report_parse_when(a, now, since) < 0 ||
            mb_report_parse_when(dots + 2, now, until) < 0)
                return -EINVAL;
        return *until > *since ? 0 : -ERANGE;
}
