/* leaks.c: see leaks.h. */
#include "leaks.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TS_MAXPTS 64

int mb_linfit(const double *t, const double *v, size_t n, struct mb_fit *ret)
{
        double mt = 0, mv = 0, stt = 0, stv = 0, svv = 0;

        if (n < 2)
                return -EINVAL;
        /* Centre first: t is seconds since the epoch, and squaring 1.7e9
         * loses the digits that matter. */
        for (size_t i = 0; i < n; i++) {
                mt += t[i];
                mv += v[i];
        }
        mt /= (double)n;
        mv /= (double)n;
        for (size_t i = 0; i < n; i++) {
                double dt = t[i] - mt, dv = v[i] - mv;
                stt += dt * dt;
                stv += dt * dv;
                svv += dv * dv;
        }
        if (stt <= 0)
                return -EINVAL;
        ret->n = n;
        ret->slope = stv / stt;
        ret->intercept = mv - ret->slope * mt;
        ret->r2 = svv > 0 ? (stv * stv) / (stt * svv) : 0;
        return 0;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

double mb_theil_sen(const double *t, const double *v, size_t n)
{
        double slopes[TS_MAXPTS * (TS_MAXPTS - 1) / 2];
        size_t idx[TS_MAXPTS], m, ns = 0;

        if (n < 2)
                return 0;
        m = n < TS_MAXPTS ? n : TS_MAXPTS;
        for (size_t i = 0; i < m; i++)
                idx[i] = m == n ? i : (size_t)((double)i * (double)(n - 1) / (double)(m - 1));
        for (size_t i = 0; i < m; i++)
                for (size_t j = i + 1; j < m; j++) {
                        double dt = t[idx[j]] - t[idx[i]];
                        if (dt > 0)
                                slopes[ns++] = (v[idx[j]] - v[idx[i]]) / dt;
                }
        if (!ns)
                return 0;
        qsort(slopes, ns, sizeof(slopes[0]), cmp_double);
        return ns % 2 ? slopes[ns / 2] : (slopes[ns / 2 - 1] + slopes[ns / 2]) / 2;
}

void mb_leak_params_default(struct mb_leak_params *p)
{
        p->window_s = 1800;
        p->rate = 50.0 * 1024 * 1024 / 3600;
        p->r2_min = 0.8;
        p->min_samples = 10;
        p->max_step_share = 0.5;
}

bool mb_leak_window(const double *t, const double *v, size_t n, const struct mb_leak_params *p,
                    struct mb_fit *ret_fit)
{
        struct mb_fit fit;
        double rise, maxinc = 0;

        memset(ret_fit, 0, sizeof(*ret_fit));
        if (n < p->min_samples || n < 2 || mb_linfit(t, v, n, &fit) < 0)
                return false;
        *ret_fit = fit;
        if (fit.slope <= p->rate || fit.r2 < p->r2_min)
                return false;
        rise = fit.slope * (t[n - 1] - t[0]);
        for (size_t i = 1; i < n; i++)
                if (v[i] - v[i - 1] > maxinc)
                        maxinc = v[i] - v[i - 1];
        if (rise <= 0 || maxinc > p->max_step_share * rise)
                return false;
        return mb_theil_sen(t, v, n) > p->rate / 2;
}

int mb_leak_check(const double *t, const double *v, size_t n, const struct mb_leak_params *p,
                  struct mb_leak *ret)
{
        size_t i = 0, best_a = 0, best_b = 0, cur_a = 0, cur_b = 0;
        bool in_stretch = false, any = false;
        double step;
        struct mb_fit fit;

        memset(ret, 0, sizeof(*ret));
        if (!n || !(p->window_s > 0) || !(p->rate > 0) || p->min_samples < 2)
                return -EINVAL;
        step = p->window_s / 8;
        while (i < n) {
                size_t j = i;
                bool hit;

                while (j + 1 < n && t[j + 1] <= t[i] + p->window_s)
                        j++;
                hit = mb_leak_window(t + i, v + i, j - i + 1, p, &fit);
                if (fit.n && fit.slope > ret->best_window_slope)
                        ret->best_window_slope = fit.slope;
                if (hit) {
                        if (in_stretch && i <= cur_b) {
                                cur_b = j;
                        } else {
                                cur_a = i;
                                cur_b = j;
                                in_stretch = true;
                        }
                        if (!any || t[cur_b] - t[cur_a] >= t[best_b] - t[best_a]) {
                                best_a = cur_a;
                                best_b = cur_b;
                        }
                        any = true;
                } else if (in_stretch && i > cur_b) {
                        in_stretch = false;
                }
                if (j + 1 >= n)
                        break;
                /* Next window start: `step` seconds on, at least one sample. */
                {
                        size_t k = i + 1;
                        while (k < n && t[k] < t[i] + step)
                                k++;
                        i = k;
                }
        }
        if (!any)
                return 0;
        if (mb_linfit(t + best_a, v + best_a, best_b - best_a + 1, &fit) < 0)
                return 0;
        ret->flagged = true;
        ret->slope = fit.slope;
        ret->r2 = fit.r2;
        ret->t_start = t[best_a];
        ret->t_end = t[best_b];
        ret->v_start = fit.intercept + fit.slope * t[best_a];
        ret->v_end = v[best_b];
        ret->nsamples = best_b - best_a + 1;
        return 0;
}
