/* test-ratelimit.c: the log rate limiter (lib/util/ratelimit.c), as a table
 * of (key, time) -> (written?, lines reported left out). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "../../lib/util/ratelimit.h"

static void test_burst_then_report(void **state)
{
        static const struct {
                const char *key;
                double now;
                bool allow;
                unsigned missed;
        } steps[] = {
            {"bad request %s", 0.0, true, 0},  {"bad request %s", 0.1, true, 0},
            {"bad request %s", 0.2, true, 0},  {"bad request %s", 0.3, false, 0},
            {"bad request %s", 0.4, false, 0}, {"history %s", 0.5, true, 0}, /* other class */
            {"bad request %s", 9.9, false, 0}, {"bad request %s", 10.0, true, 3},
            {"bad request %s", 10.1, true, 0}, {"history %s", 10.6, true, 0},
        };
        struct mb_ratelimit rl;

        (void)state;
        mb_ratelimit_init(&rl, 10.0, 3);
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
                unsigned missed = 99;
                bool ok = mb_ratelimit_allow(&rl, steps[i].key, steps[i].now, &missed);
                if (ok != steps[i].allow || missed != steps[i].missed)
                        fail_msg("step %zu: allow %d missed %u, want %d %u", i, ok, missed,
                                 steps[i].allow, steps[i].missed);
        }
        mb_ratelimit_release(&rl);
}

/* 60,000 lines of one kind in a minute: burst lines written, no more. */
static void test_flood(void **state)
{
        struct mb_ratelimit rl;
        unsigned written = 0, missed;

        (void)state;
        mb_ratelimit_init(&rl, 60.0, 5);
        for (int i = 0; i < 60000; i++)
                written += mb_ratelimit_allow(&rl, "malformed", i / 1000.0, &missed);
        assert_int_equal(written, 5);
        /* more classes than slots: still bounded, never stuck */
        for (int i = 0; i < 1000; i++) {
                char key[16];
                snprintf(key, sizeof(key), "k%d", i);
                (void)mb_ratelimit_allow(&rl, key, 61.0, &missed);
        }
        assert_true(mb_ratelimit_allow(&rl, "fresh", 62.0, &missed));
        mb_ratelimit_release(&rl);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_burst_then_report),
            cmocka_unit_test(test_flood),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
