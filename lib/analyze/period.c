/* period.c: see period.h. */
#define _GNU_SOURCE
#include "period.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/size.h"
#include "../util/util.h"

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

/* Statistics of the known (finite) values; `scratch` holds n doubles. */
static void stat_of(const double *v, size_t n, double *scratch, struct mb_report_stat *ret)
{
        size_t m = 0;
        double sum = 0;

        memset(ret, 0, sizeof(*ret));
        for (size_t i = 0; i < n; i++)
                if (isfinite(v[i])) {
                        scratch[m++] = v[i];
                        sum += v[i];
                }
        if (!m)
                return;
        qsort(scratch, m, sizeof(double), cmp_double);
        ret->have = true;
        ret->min = scratch[0];
        ret->peak = scratch[m - 1];
        ret->mean = sum / (double)m;
        /* Nearest rank. */
        ret->p95 = scratch[(size_t)ceil(0.95 * (double)m) - 1];
}

static double size_or_nan(int64_t v)
{
        return v == MB_UNKNOWN ? NAN : (double)v;
}

void mb_report_period_compute(const struct mb_history_host *rows, size_t n, double since,
                              double until, const struct mb_report_limits *lim,
                              struct mb_report_period *ret)
{
        double *v = NULL, *scratch = NULL, *w = NULL, med = 0, sin_sum = 0, sin_w = 0;
        size_t nsin = 0;

        memset(ret, 0, sizeof(*ret));
        ret->since = since;
        ret->until = until;
        ret->nsamples = n;
        for (int b = 0; b < MB_RB_COUNT; b++)
                ret->budget[b].limit = 0;
        ret->budget[MB_RB_RAM_MAX].limit = lim->ram_max;
        ret->budget[MB_RB_SWAP_MAX].limit = lim->swap_max;
        ret->budget[MB_RB_VRAM_MAX].limit = lim->vram_max;
        ret->budget[MB_RB_AVAILABLE_MIN].limit = lim->available_min;
        if (!n)
                return;
        ret->first = rows[0].t;
        ret->last = rows[n - 1].t;
        v = calloc(n, sizeof(double));
        scratch = calloc(n, sizeof(double));
        w = calloc(n, sizeof(double));
        if (!v || !scratch || !w)
                goto out;

        /* Weights: the median gap, and each sample's gap to the next one
         * unless the recorder stopped in between. */
        for (size_t i = 0; i + 1 < n; i++)
                scratch[i] = rows[i + 1].t - rows[i].t;
        if (n > 1) {
                qsort(scratch, n - 1, sizeof(double), cmp_double);
                med = scratch[(n - 1) / 2];
        }
        ret->interval_s = med;
        for (size_t i = 0; i < n; i++) {
                double gap = i + 1 < n ? rows[i + 1].t - rows[i].t : med;
                w[i] = gap > 3 * med ? med : gap;
                ret->covered_s += w[i];
        }

#define STAT(field, expr)                                                                          \
        do {                                                                                       \
                for (size_t i = 0; i < n; i++)                                                     \
                        v[i] = (expr);                                                             \
                stat_of(v, n, scratch, &ret->field);                                               \
        } while (0)

        STAT(ram_used, size_or_nan(rows[i].ram_used));
        STAT(swap_used, size_or_nan(rows[i].swap_used));
        STAT(vram_used, size_or_nan(rows[i].vram_used));
        STAT(available, size_or_nan(rows[i].ram_available));
        STAT(target_ram, rows[i].target_nprocs >= 0 ? size_or_nan(rows[i].target_ram) : NAN);
#undef STAT
        ret->target_recorded = ret->target_ram.have;

        for (size_t i = 0; i < n; i++) {
                const struct mb_history_host *x = &rows[i];
                int64_t ram = ret->target_recorded
                                  ? (x->target_nprocs >= 0 ? x->target_ram : MB_UNKNOWN)
                                  : x->ram_used;
                struct {
                        int64_t v;
                        bool below;
                } q[MB_RB_COUNT] = {
                    [MB_RB_RAM_MAX] = {ram, false},
                    [MB_RB_SWAP_MAX] = {x->swap_used, false},
                    [MB_RB_VRAM_MAX] = {x->vram_used, false},
                    [MB_RB_AVAILABLE_MIN] = {x->ram_available, true},
                };
                for (int b = 0; b < MB_RB_COUNT; b++) {
                        struct mb_report_budget *bu = &ret->budget[b];
                        if (q[b].v == MB_UNKNOWN)
                                continue;
                        bu->have = true;
                        if (bu->limit > 0 && (q[b].below ? q[b].v < bu->limit : q[b].v > bu->limit))
                                bu->seconds_over += w[i];
                }
                if (!isnan(x->swapin_ps)) {
                        nsin++;
                        ret->have_swapin = true;
                        if (x->swapin_ps > ret->swapin_peak_ps)
                                ret->swapin_peak_ps = x->swapin_ps;
                        sin_sum += x->swapin_ps * w[i];
                        sin_w += w[i];
                        if (lim->thrash_swapin_ps > 0 && x->swapin_ps > lim->thrash_swapin_ps)
                                ret->swapin_heavy_s += w[i];
                }
        }
        for (int b = 0; b < MB_RB_COUNT; b++)
                if (ret->covered_s > 0)
                        ret->budget[b].share = ret->budget[b].seconds_over / ret->covered_s;
        ret->swapin_pages = sin_sum;
        ret->swapin_mean_ps = sin_w > 0 ? sin_sum / sin_w : 0;
out:
        free(v);
        free(scratch);
        free(w);
}

double mb_report_eta(double value, double rate, int64_t limit)
{
        if (limit <= 0 || !(rate > 0))
                return NAN;
        if (value >= (double)limit)
                return 0;
        return ((double)limit - value) / rate;
}

char *mb_report_duration(double s, char *buf, size_t len)
{
        long t = lround(s);

        if (!isfinite(s) || s < 0)
                snprintf(buf, len, "-");
        else if (s < 10 && fabs(s - (double)t) >= 0.05)
                snprintf(buf, len, "%.1f s", s); /* sub-second sampling: 0.5 s, not 1 s */
        else if (t < 60)
                snprintf(buf, len, "%ld s", t);
        else if (t < 3600)
                snprintf(buf, len, "%ld min", t / 60);
        else if (t < 86400)
                snprintf(buf, len, t % 3600 >= 60 ? "%ld h %ld min" : "%ld h", t / 3600,
                         (t % 3600) / 60);
        else
                snprintf(buf, len, t % 86400 >= 3600 ? "%ld d %ld h" : "%ld d", t / 86400,
                         (t % 86400) / 3600);
        return buf;
}

char *mb_report_rate(double bytes_per_s, char *buf, size_t len)
{
        char s[MB_SIZE_STRLEN];

        snprintf(buf, len, "%s%s/h", bytes_per_s >= 0 ? "+" : "",
                 mb_size_format((int64_t)llround(bytes_per_s * 3600), s, sizeof(s)));
        return buf;
}

static char *fmt_eta(double eta, const char *who, char *buf, size_t len)
{
        if (eta == 0)
                snprintf(buf, len, "%salready above ram_max", who);
        else if (eta < 3600)
                snprintf(buf, len, "%sreaches ram_max in %.0f min", who, eta / 60);
        else if (eta < 86400 * 3)
                snprintf(buf, len, "%sreaches ram_max in %.1f h", who, eta / 3600);
        else
                snprintf(buf, len, "%sreaches ram_max in %.1f d", who, eta / 86400);
        return buf;
}

void mb_report_leak_text(const struct mb_report_leak *l, char *buf, size_t len)
{
        char rate[48], dur[32], eta[64] = "";
        const struct mb_leak *k = &l->leak;

        mb_report_rate(k->slope, rate, sizeof(rate));
        mb_report_duration(k->t_end - k->t_start, dur, sizeof(dur));
        if (!isnan(l->eta_s)) {
                eta[0] = ',';
                eta[1] = ' ';
                /* a target process counts with the others: the target's total
                 * is what is over (or reaches) ram_max, not this pid */
                fmt_eta(l->eta_s, l->eta_of_target ? "the target's total " : "", eta + 2,
                        sizeof(eta) - 2);
        }
        switch (l->kind) {
        case MB_RL_PROCESS: {
                char who[80];
                const char *cl = l->id.cmdline[0] ? l->id.cmdline : l->id.name;
                snprintf(who, sizeof(who), "%.60s", cl);
                for (char *p = who; *p; p++)
                        if ((unsigned char)*p < 0x20 || *p == '|')
                                *p = '?';
                snprintf(buf, len, "pid %d %s: %s over %s%s", l->id.pid, who, rate, dur, eta);
                break;
        }
        case MB_RL_TARGET_TOTAL:
                snprintf(buf, len, "target total RAM: %s over %s%s", rate, dur, eta);
                break;
        case MB_RL_TARGET_NPROCS:
                snprintf(buf, len, "target process count: %.0f to %.0f over %s (+%.1f/h)",
                         round(k->v_start), round(k->v_end), dur, k->slope * 3600);
                break;
        }
}
