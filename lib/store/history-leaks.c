/* history-leaks.c: see history-leaks.h. */
#include "history-leaks.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/size.h"

struct leak_list {
        struct mb_report_leak *a;
        size_t n, cap;
};

static int leak_push(struct leak_list *l, const struct mb_report_leak *x)
{
        if (MB_GROW(l->a, l->n, l->cap, 8) < 0)
                return -ENOMEM;
        l->a[l->n++] = *x;
        return 0;
}

static int cmp_leak(const void *a, const void *b)
{
        const struct mb_report_leak *x = a, *y = b;

        if (x->kind != y->kind)
                return (int)x->kind - (int)y->kind;
        if (x->leak.slope != y->leak.slope)
                return x->leak.slope < y->leak.slope ? 1 : -1;
        if (x->id.pid != y->id.pid)
                return x->id.pid - y->id.pid;
        return (x->id.starttime > y->id.starttime) - (x->id.starttime < y->id.starttime);
}

/* The target's total RAM, and its process count (at least two more
 * processes per window). */
static int target_leaks(const struct mb_history_host *rows, size_t n,
                        const struct mb_leak_params *p, int64_t ram_max, double target_last,
                        struct leak_list *out)
{
        struct mb_report_leak lk = {.kind = MB_RL_TARGET_TOTAL};
        struct mb_leak_params np = *p;
        double *tt = calloc(n ? n : 1, sizeof(double)), *vv = calloc(n ? n : 1, sizeof(double)),
               *cc = calloc(n ? n : 1, sizeof(double));
        size_t k = 0;
        int r = 0;

        if (!tt || !vv || !cc) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < n; i++)
                if (rows[i].target_nprocs >= 0 && rows[i].target_ram != MB_UNKNOWN) {
                        tt[k] = rows[i].t;
                        vv[k] = (double)rows[i].target_ram;
                        cc[k] = rows[i].target_nprocs;
                        k++;
                }
        if (!k)
                goto out;
        if (mb_leak_check(tt, vv, k, p, &lk.leak) == 0 && lk.leak.flagged) {
                lk.eta_s = mb_report_eta(target_last, lk.leak.slope, ram_max);
                if ((r = leak_push(out, &lk)) < 0)
                        goto out;
        }
        np.rate = 2 / np.window_s;
        memset(&lk, 0, sizeof(lk));
        lk.kind = MB_RL_TARGET_NPROCS;
        lk.eta_s = NAN;
        if (mb_leak_check(tt, cc, k, &np, &lk.leak) == 0 && lk.leak.flagged)
                r = leak_push(out, &lk);
out:
        free(tt);
        free(vv);
        free(cc);
        return r;
}

int mb_history_find_leaks(struct mb_history *h, const struct mb_history_host *rows, size_t n,
                          double since, double until, const struct mb_leak_params *p,
                          int64_t ram_max, struct mb_report_leak **ret, size_t *ret_n,
                          struct mb_error *err)
{
        struct mb_history_ident *ids = NULL;
        struct leak_list out = {0};
        size_t nids = 0, cap = 0, m;
        double *t = NULL, *v = NULL, target_last = NAN;
        int r;

        *ret = NULL;
        *ret_n = 0;
        for (size_t i = 0; i < n; i++)
                if (rows[i].target_nprocs >= 0 && rows[i].target_ram != MB_UNKNOWN)
                        target_last = (double)rows[i].target_ram;
        r = mb_history_idents(h, since, until, false, 0, &ids, &nids, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < nids; i++) {
                struct mb_report_leak lk = {.kind = MB_RL_PROCESS, .id = ids[i]};
                if (ids[i].nsamples < p->min_samples)
                        continue;
                r = mb_history_series(h, ids[i].id, since, until, &t, &v, &cap, &m, err);
                if (r < 0)
                        goto out;
                if (!m || mb_leak_check(t, v, m, p, &lk.leak) < 0 || !lk.leak.flagged)
                        continue;
                /* A target process counts against ram_max with the others. */
                lk.eta_of_target = ids[i].target && isfinite(target_last);
                lk.eta_s = mb_report_eta(lk.eta_of_target ? target_last : (double)ids[i].last_v,
                                         lk.leak.slope, ram_max);
                if ((r = leak_push(&out, &lk)) < 0)
                        goto out;
        }
        if ((r = target_leaks(rows, n, p, ram_max, target_last, &out)) < 0)
                goto out;
        qsort(out.a, out.n, sizeof(*out.a), cmp_leak);
        *ret = out.a;
        *ret_n = out.n;
        out.a = NULL;
        r = 0;
out:
        free(out.a);
        free(ids);
        free(t);
        free(v);
        return r;
}

int mb_history_recent_leaks(struct mb_history *h, double now, int64_t ram_max,
                            struct mb_report_leak **ret, size_t *ret_n, struct mb_error *err)
{
        struct mb_history_host *rows = NULL;
        struct mb_leak_params p;
        size_t n = 0;
        int r;

        *ret = NULL;
        *ret_n = 0;
        mb_leak_params_default(&p);
        r = mb_history_read_host(h, now - p.window_s, now + 1, &rows, &n, err);
        if (r >= 0 && n)
                r = mb_history_find_leaks(h, rows, n, now - p.window_s, now + 1, &p, ram_max, ret,
                                          ret_n, err);
        free(rows);
        return r < 0 ? r : 0;
}

int mb_leaks_to_findings(const struct mb_report_leak *lk, size_t nl, struct mb_findings *fs)
{
        int added = 0;

        for (size_t i = 0; i < nl; i++) {
                bool soon = isfinite(lk[i].eta_s) && lk[i].eta_s < 3600;
                struct mb_finding *f = mb_findings_add(
                    fs, lk[i].kind == MB_RL_PROCESS ? MB_FK_MEMORY_LEAK : MB_FK_TARGET_GROWTH);
                char rate[MB_SIZE_STRLEN];
                if (!f)
                        return -ENOMEM;
                if (soon)
                        f->severity = MB_SEV_HIGH;
                f->pid = lk[i].kind == MB_RL_PROCESS ? lk[i].id.pid : 0;
                if (lk[i].kind == MB_RL_TARGET_NPROCS)
                        snprintf(f->value, sizeof(f->value), "+%.1f processes/h",
                                 lk[i].leak.slope * 3600);
                else
                        snprintf(f->value, sizeof(f->value), "+%s/h",
                                 mb_size_format((int64_t)llround(lk[i].leak.slope * 3600), rate,
                                                sizeof(rate)));
                mb_report_leak_text(&lk[i], f->evidence, sizeof(f->evidence));
                snprintf(f->cause, sizeof(f->cause),
                         "steady growth over the recorded history (least-squares R^2 %.2f over "
                         "%zu samples): a leak or an unbounded cache",
                         lk[i].leak.r2, lk[i].leak.nsamples);
                added++;
        }
        return added;
}

int mb_history_leak_findings(const char *path, double now, int64_t ram_max, struct mb_findings *fs,
                             struct mb_error *err)
{
        struct mb_history *h = NULL;
        struct mb_report_leak *lk = NULL;
        size_t nl = 0;
        int r;

        r = mb_history_open(path, false, &h, err);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = mb_history_recent_leaks(h, now, ram_max, &lk, &nl, err);
        if (r >= 0)
                r = mb_leaks_to_findings(lk, nl, fs);
        free(lk);
        mb_history_close(h);
        return r;
}
