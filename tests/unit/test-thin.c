/* test-thin.c: what moved out of the CLI into the library for a thin CLI:
 * the /etc root comes from the root struct, never from the environment
 * (lib/collect/root.c), and the watch ticker (lib/diag/watch.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../lib/collect/root.h"
#include "../../lib/diag/watch.h"
#include "fixture-path.h"

/* The library never reads MEMBUDGET_ETC_ROOT: the CLI sets it once. */
static void test_root_ignores_env(void **state)
{
        struct mb_root r;

        (void)state;
        setenv("MEMBUDGET_ETC_ROOT", "/nonexistent-thin", 1);
        assert_int_equal(mb_root_open(&r, fixture("normal/proc"), NULL), 0);
        assert_false(r.etc_set);
        assert_string_equal(r.etc_path, "");
        mb_root_close(&r);
        unsetenv("MEMBUDGET_ETC_ROOT");
}

static void test_root_set_etc_table(void **state)
{
        static const struct {
                const char *in, *path;
                bool set;
        } cases[] = {
            {NULL, "", false},
            {"", "", false},
            {"/", "", true},
            {"/tmp/x", "/tmp/x", true},
        };
        struct mb_root r;

        (void)state;
        memset(&r, 0, sizeof(r));
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                mb_root_set_etc(&r, "/before");
                mb_root_set_etc(&r, cases[i].in);
                assert_string_equal(r.etc_path, cases[i].path);
                assert_int_equal(r.etc_set, cases[i].set);
        }
}

/* Ticks follow the clock: a tick whose time passed entirely is skipped and
 * counted, one on time is not. */
static void test_ticker_skips_missed(void **state)
{
        volatile sig_atomic_t stop = 0;
        struct mb_ticker t;

        (void)state;
        mb_ticker_init(&t, 10.0, &stop);
        assert_int_equal(mb_ticker_advance(&t), 0);
        assert_int_equal(t.k, 1);
        t.start -= 35.0; /* as if 35 s passed since the first tick */
        /* tick 2 (due at 20 s) passed entirely; tick 3 (30 s) runs now, late */
        assert_int_equal(mb_ticker_advance(&t), 1);
        assert_int_equal(t.k, 3);
        assert_int_equal(t.missed, 1);
        assert_true(mb_ticker_due(&t) <= t.start + 35.0 && mb_ticker_due(&t) > t.start + 25.0);
        assert_true(mb_ticker_sleep(
            &(struct mb_ticker){.start = 0, .interval_s = 1, .stop = &stop})); /* already due */
        stop = 1;
        assert_false(mb_ticker_sleep(&t));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_root_ignores_env),
            cmocka_unit_test(test_root_set_etc_table),
            cmocka_unit_test(test_ticker_skips_missed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
