/* test-leaks.c: the leak detector (lib/analyze/leaks.c) on synthetic series
 * with known slopes: a steady leak is found at the right rate; noise, a
 * sawtooth, a one-off step and a slow drift are not. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "../../lib/analyze/leaks.h"

#define MiB (1024.0 * 1024.0)
#define T0  1790000000.0 /* an epoch time: the fit must cope with large t */
#define N   270          /* 45 min every 10 s */

static uint32_t seed;

/* Deterministic noise in [-1, 1). */
static double noise(void)
{
        seed = seed * 1664525u + 1013904223u;
        return (double)(seed >> 8) / (double)(1u << 23) - 1.0;
}

static void params(struct mb_leak_params *p)
{
        mb_leak_params_default(p);
        assert_true(fabs(p->rate * 3600 - 50 * MiB) < 1);
        assert_int_equal(p->min_samples, 10);
}

static void test_linfit(void **state)
{
        double t[5], v[5];
        struct mb_fit f;

        (void)state;
        for (int i = 0; i < 5; i++) {
                t[i] = T0 + i * 10;
                v[i] = 3 * (t[i] - T0) + 5;
        }
        assert_int_equal(mb_linfit(t, v, 5, &f), 0);
        assert_true(fabs(f.slope - 3) < 1e-9);
        assert_true(fabs(f.r2 - 1) < 1e-9);
        assert_int_equal(mb_linfit(t, v, 1, &f), -EINVAL);
        for (int i = 0; i < 5; i++)
                t[i] = T0;
        assert_int_equal(mb_linfit(t, v, 5, &f), -EINVAL);
        /* A flat series: slope 0, R^2 0 (nothing to explain). */
        for (int i = 0; i < 5; i++) {
                t[i] = T0 + i;
                v[i] = 7;
        }
        assert_int_equal(mb_linfit(t, v, 5, &f), 0);
        assert_true(f.slope == 0 && f.r2 == 0);
}

static void test_steady_leak(void **state)
{
        double t[N], v[N], rate = 310 * MiB / 3600;
        struct mb_leak_params p;
        struct mb_leak r;

        (void)state;
        params(&p);
        seed = 1;
        for (int i = 0; i < N; i++) {
                t[i] = T0 + i * 10;
                v[i] = 1024 * MiB + rate * (t[i] - T0) + 2 * MiB * noise();
        }
        assert_int_equal(mb_leak_check(t, v, N, &p, &r), 0);
        assert_true(r.flagged);
        assert_true(fabs(r.slope - rate) / rate < 0.02);
        assert_true(r.r2 > 0.99);
        /* The stretch covers the whole series. */
        assert_true(r.t_end - r.t_start > 44 * 60);
}

static void test_noisy_leak(void **state)
{
        double t[N], v[N], rate = 200 * MiB / 3600;
        struct mb_leak_params p;
        struct mb_leak r;

        (void)state;
        params(&p);
        seed = 7;
        for (int i = 0; i < N; i++) {
                t[i] = T0 + i * 10;
                v[i] = 800 * MiB + rate * (t[i] - T0) + 8 * MiB * noise();
        }
        assert_int_equal(mb_leak_check(t, v, N, &p, &r), 0);
        assert_true(r.flagged);
        assert_true(fabs(r.slope - rate) / rate < 0.05);
}

static void test_noise(void **state)
{
        double t[N], v[N];
        struct mb_leak_params p;
        struct mb_leak r;

        (void)state;
        params(&p);
        seed = 42;
        for (int i = 0; i < N; i++) {
                t[i] = T0 + i * 10;
                v[i] = 1024 * MiB + 100 * MiB * noise();
        }
        assert_int_equal(mb_leak_check(t, v, N, &p, &r), 0);
        assert_false(r.flagged);
}

static void test_sawtooth(void **state)
{
        double t[N], v[N];
        struct mb_leak_params p;
        struct mb_leak r;

        (void)state;
        params(&p);
        /* Allocate 500 MiB over 5 min, free it, again. */
        for (int i = 0; i < N; i++) {
                t[i] = T0 + i * 10;
                v[i] = 512 * MiB + 500 * MiB * (double)(i % 30) / 30;
        }
        assert_int_equal(mb_leak_check(t, v, N, &p, &r), 0);
        assert_false(r.flagged);
}

static void test_step(void **state)
{
        double t[N], v[N];
        struct mb_leak_params p;
        struct mb_leak r;

        (void)state;
        params(&p);
        /* A one-off allocation of 500 MiB that stays, at several places,
         * with a little noise. */
        for (int at = 5; at < N; at += 37) {
                seed = (uint32_t)at;
                for (int i = 0; i < N; i++) {
                        t[i] = T0 + i * 10;
                        v[i] = 1024 * MiB + (i >= at ? 500 * MiB : 0) + 1 * MiB * noise();
                }
                assert_int_equal(mb_leak_check(t, v, N, &p, &r), 0);
                if (r.flagged)
                        fail_msg("step at sample %d flagged: slope %.0f MiB/h r2 %.2f", at,
                                 r.slope * 3600 / MiB, r.r2);
        }
}

static void test_step_plus_drift(void **state)
{
        double t[N], v[N];
        struct mb_leak_params p;
        struct mb_leak r;

        (void)state;
        params(&p);
        /* Step near the start of the window plus a slow drift that alone is
         * below the rate: R^2 can pass 0.8, the step share must not. */
        for (int i = 0; i < N; i++) {
                t[i] = T0 + i * 10;
                v[i] = 1024 * MiB + (i >= 3 ? 400 * MiB : 0) + 20 * MiB / 3600 * (t[i] - T0);
        }
        assert_int_equal(mb_leak_check(t, v, N, &p, &r), 0);
        assert_false(r.flagged);
}

static void test_slow_drift(void **state)
{
        double t[N], v[N];
        struct mb_leak_params p;
        struct mb_leak r;

        (void)state;
        params(&p);
        for (int i = 0; i < N; i++) {
                t[i] = T0 + i * 10;
                v[i] = 1024 * MiB + 30 * MiB / 3600 * (t[i] - T0);
        }
        assert_int_equal(mb_leak_check(t, v, N, &p, &r), 0);
        assert_false(r.flagged);
        assert_true(fabs(r.best_window_slope * 3600 / MiB - 30) < 0.5);
}

static void test_too_few_samples(void **state)
{
        double t[9], v[9];
        struct mb_leak_params p;
        struct mb_leak r;

        (void)state;
        params(&p);
        for (int i = 0; i < 9; i++) {
                t[i] = T0 + i * 60;
                v[i] = 1024 * MiB + i * 100 * MiB;
        }
        assert_int_equal(mb_leak_check(t, v, 9, &p, &r), 0);
        assert_false(r.flagged);
        assert_int_equal(mb_leak_check(t, v, 0, &p, &r), -EINVAL);
}

static void test_leak_then_plateau(void **state)
{
        double t[3 * N], v[3 * N], rate = 400 * MiB / 3600;
        struct mb_leak_params p;
        struct mb_leak r;

        (void)state;
        params(&p);
        /* 45 min flat, 45 min leaking, 45 min flat: the stretch is the middle. */
        for (int i = 0; i < 3 * N; i++) {
                double x = i < N ? 0 : i < 2 * N ? (i - N) * 10.0 : N * 10.0;
                t[i] = T0 + i * 10;
                v[i] = 1024 * MiB + rate * x;
        }
        assert_int_equal(mb_leak_check(t, v, 3 * N, &p, &r), 0);
        assert_true(r.flagged);
        assert_true(r.t_start >= T0 + (N - 200) * 10.0 && r.t_end <= T0 + (2 * N + 200) * 10.0);
        assert_true(fabs(r.slope - rate) / rate < 0.25);
}

static void test_short_window(void **state)
{
        /* The live test's shape: 50 samples over 10 s, +4 MiB a sample. */
        double t[50], v[50];
        struct mb_leak_params p;
        struct mb_leak r;

        (void)state;
        params(&p);
        p.window_s = 10;
        seed = 3;
        for (int i = 0; i < 50; i++) {
                t[i] = T0 + i * 0.2 + 0.01 * noise();
                v[i] = 100 * MiB + i * 4 * MiB + (noise() > 0.5 ? 2 * MiB : 0);
        }
        assert_int_equal(mb_leak_check(t, v, 50, &p, &r), 0);
        assert_true(r.flagged);
        assert_true(fabs(r.slope - 20 * MiB) / (20 * MiB) < 0.05);
}

static void test_theil_sen(void **state)
{
        double t[200], v[200];

        (void)state;
        for (int i = 0; i < 200; i++) {
                t[i] = i;
                v[i] = 2 * i + (i == 100 ? 1e9 : 0); /* one outlier */
        }
        assert_true(fabs(mb_theil_sen(t, v, 200) - 2) < 0.1);
        assert_true(mb_theil_sen(t, v, 1) == 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_linfit),          cmocka_unit_test(test_steady_leak),
            cmocka_unit_test(test_noisy_leak),      cmocka_unit_test(test_noise),
            cmocka_unit_test(test_sawtooth),        cmocka_unit_test(test_step),
            cmocka_unit_test(test_step_plus_drift), cmocka_unit_test(test_slow_drift),
            cmocka_unit_test(test_too_few_samples), cmocka_unit_test(test_leak_then_plateau),
            cmocka_unit_test(test_short_window),    cmocka_unit_test(test_theil_sen),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
