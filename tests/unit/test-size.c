/* test-size.c: the one size parser and formatter (lib/util/size.c). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../lib/util/size.h"
#include "../../lib/util/util.h"

static void ok(const char *s, uint64_t want)
{
        uint64_t v = 12345;
        int r = mb_size_parse(s, &v);

        if (r != 0 || v != want)
                fail_msg("mb_size_parse(\"%s\") = %d, %llu; want 0, %llu", s, r,
                         (unsigned long long)v, (unsigned long long)want);
}

static void bad(const char *s, int want_err)
{
        uint64_t v = 12345;
        int r = mb_size_parse(s, &v);

        if (r != want_err)
                fail_msg("mb_size_parse(\"%s\") = %d; want %d", s, r, want_err);
        assert_int_equal(v, 12345); /* untouched on error */
}

struct ok_case {
        const char *s;
        uint64_t want;
};
struct bad_case {
        const char *s;
        int err;
};
struct fmt_case {
        int64_t b;
        const char *want;
};

static void test_parse_plain_and_units(void **state)
{
        static const struct ok_case oks[] = {
            {"0", 0},
            {"1048576", 1048576},
            {"500M", 500ull << 20},
            {"3.5G", 3758096384ull},
            {"3500MiB", 3500ull << 20},
            {"1B", 1},
            {"1b", 1},
            {"1k", 1024},
            {"1K", 1024},
            {"1KB", 1024},
            {"1kib", 1024},
            {"1KiB", 1024},
            {"2m", 2ull << 20},
            {"2MB", 2ull << 20},
            {"7g", 7ull << 30},
            {"7GB", 7ull << 30},
            {"7GiB", 7ull << 30},
            {"2T", 2ull << 40},
            {"2tb", 2ull << 40},
            {"2TiB", 2ull << 40},
        };

        (void)state;
        for (size_t i = 0; i < MB_ARRAY_SIZE(oks); i++)
                ok(oks[i].s, oks[i].want);
}

static void test_parse_fractions_and_blanks(void **state)
{
        static const struct ok_case oks[] = {
            {"1.5K", 1536},
            {"0.5G", 512ull << 20},
            {".5G", 512ull << 20},
            {"5.", 5},
            {"1.25M", 1310720},
            {"  42", 42},          /* leading blanks */
            {"10 G", 10ull << 30}, /* a space before the unit */
            {"7 ", 7},             /* blanks before an empty unit */
            /* More fraction digits than kept: truncated, no overflow. */
            {"1.0000000000000000000001G", 1ull << 30},
            {"0.000000000000000001T", 0},
        };

        (void)state;
        for (size_t i = 0; i < MB_ARRAY_SIZE(oks); i++)
                ok(oks[i].s, oks[i].want);
}

static void test_parse_limits(void **state)
{
        static const struct ok_case oks[] = {
            {"9223372036854775807", INT64_MAX},
            {"8388607T", 8388607ull << 40},
        };
        static const struct bad_case bads[] = {
            {"9223372036854775808", -ERANGE},
            {"8388608T", -ERANGE}, /* exactly 2^63 */
            {"99999999999999999999999", -ERANGE},
            {"99999999999999999999999999999999999999999999999999G", -ERANGE},
            {"18446744073709551616", -ERANGE},
            {"8589934592G", -ERANGE},
        };

        (void)state;
        for (size_t i = 0; i < MB_ARRAY_SIZE(oks); i++)
                ok(oks[i].s, oks[i].want);
        for (size_t i = 0; i < MB_ARRAY_SIZE(bads); i++)
                bad(bads[i].s, bads[i].err);
}

static void test_parse_errors(void **state)
{
        static const struct bad_case bads[] = {
            {"", -EINVAL},      {" ", -EINVAL},     {"3.5X", -EINVAL}, {"-1G", -EINVAL},
            {"-0", -EINVAL},    {"+5", -EINVAL},    {"G", -EINVAL},    {"M5", -EINVAL},
            {".", -EINVAL},     {"1e3", -EINVAL},   {"0x10", -EINVAL}, {"1,5G", -EINVAL},
            {"1GiBx", -EINVAL}, {"1 G B", -EINVAL}, {"1P", -EINVAL}, /* no peta: above the
                                                                        documented units */
            {"1E", -EINVAL},    {"0.5", -EINVAL},                    /* a fraction of a byte */
            {"1.5B", -EINVAL},  {"1..5G", -EINVAL}, {"1\n", -EINVAL},
        };
        uint64_t v;

        (void)state;
        for (size_t i = 0; i < MB_ARRAY_SIZE(bads); i++)
                bad(bads[i].s, bads[i].err);
        assert_int_equal(mb_size_parse(NULL, &v), -EINVAL);
}

static void fmt(int64_t b, const char *want)
{
        char buf[MB_SIZE_STRLEN];

        assert_string_equal(mb_size_format(b, buf, sizeof(buf)), want);
}

static void test_format(void **state)
{
        static const struct fmt_case fmts[] = {
            {0, "0 B"},
            {1, "1 B"},
            {512, "512 B"},
            {1023, "1023 B"},
            {1024, "1 KiB"},
            {1536, "1.5 KiB"},
            {100ll << 20, "100 MiB"},
            {3758096384ll, "3.5 GiB"},
            {1ll << 30, "1 GiB"},
            {5ll << 40, "5 TiB"},
            {3ll << 50, "3 PiB"},
            {INT64_MAX, "8 EiB"},
            {-1024, "-1 KiB"},
            {-1536, "-1.5 KiB"},
            {MB_UNKNOWN, "-"},
            /* 4194300 KiB (a real swap partition size): 3.99998 GiB. */
            {4194300ll * 1024, "4.0 GiB"},
            {150ll << 20, "150 MiB"},
            {(int64_t)(12.3 * 1048576), "12.3 MiB"},
        };

        (void)state;
        for (size_t i = 0; i < MB_ARRAY_SIZE(fmts); i++)
                fmt(fmts[i].b, fmts[i].want);
}

static void test_format_truncates_safely(void **state)
{
        char small[4];

        (void)state;
        mb_size_format(3758096384ll, small, sizeof(small));
        assert_int_equal(small[3], '\0');
        assert_string_equal(small, "3.5");
}

/* The formatter's reference: printf of the double, as it was first written. */
static void ref_format(int64_t bytes, char *buf, size_t len)
{
        static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        bool neg = bytes < 0;
        double v = neg ? -(double)bytes : (double)bytes;
        unsigned u = 0;

        while (v >= 1024.0 && u + 1 < 7) {
                v /= 1024.0;
                u++;
        }
        if (u == 0)
                snprintf(buf, len, "%s%.0f B", neg ? "-" : "", v);
        else if (v >= 100.0 || v == (double)(long long)v)
                snprintf(buf, len, "%s%.0f %s", neg ? "-" : "", v, names[u]);
        else
                snprintf(buf, len, "%s%.1f %s", neg ? "-" : "", v, names[u]);
}

/* The integer fast path prints exactly what printf would, ties included. */
static void test_format_matches_printf(void **state)
{
        char got[MB_SIZE_STRLEN], want[MB_SIZE_STRLEN];
        uint64_t x = 88172645463325252ull;

        (void)state;
        for (long i = 0; i < 400000; i++) {
                int64_t b;
                unsigned shift;
                x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
                shift = (unsigned)(x % 56);
                b = (int64_t)((x >> 8) & ((1ull << shift) - 1));
                switch (i % 4) {
                case 1: /* near a unit or a tenth boundary */
                        b = (int64_t)(((x >> 8) % 2000) << (10 * (1 + i % 5))) +
                            (int64_t)((x >> 40) % 64) - 32;
                        break;
                case 2: /* exact ties of the tenths (1.25 KiB, 3.75 MiB, ...):
                         * bytes = 2^s * m / 20 with m an odd multiple of 5 */
                        b = (int64_t)(((5 * (2 * ((x >> 8) % 400) + 1)) << (10 * (1 + i % 5))) /
                                      20);
                        break;
                case 3:
                        b = -b;
                        break;
                }
                if (b == INT64_MIN)
                        continue;
                mb_size_format(b, got, sizeof(got));
                ref_format(b, want, sizeof(want));
                if (strcmp(got, want) != 0)
                        fail_msg("format(%lld) = \"%s\", printf gives \"%s\"", (long long)b, got,
                                 want);
        }
        fmt(1280, "1.2 KiB"); /* 1.25: a tie, to even */
        fmt(1331, "1.3 KiB");
        fmt(3ll << 51, "6 PiB");
        fmt((1ll << 53) + 1, "8 PiB");
}

/* What the formatter prints, the parser reads back (within the rounding). */
static void test_roundtrip(void **state)
{
        static const int64_t vals[] = {0,         1,         1000,        1024,
                                       1536,      1ll << 20, 500ll << 20, 3758096384ll,
                                       7ll << 30, 2ll << 40, 123456789,   987654321012ll};
        char buf[MB_SIZE_STRLEN];

        (void)state;
        for (size_t i = 0; i < MB_ARRAY_SIZE(vals); i++) {
                uint64_t back;
                double err;

                mb_size_format(vals[i], buf, sizeof(buf));
                if (mb_size_parse(buf, &back) != 0)
                        fail_msg("format(%lld) = \"%s\" does not parse", (long long)vals[i], buf);
                err = vals[i] ? ((double)back - (double)vals[i]) / (double)vals[i] : (double)back;
                if (err < -0.05 || err > 0.05)
                        fail_msg("format(%lld) = \"%s\" reads back as %llu", (long long)vals[i],
                                 buf, (unsigned long long)back);
        }
}

static void test_duration(void **state)
{
        static const struct {
                const char *s;
                bool ok;
                double want;
        } cases[] = {
            {"5", true, 5},      {"5s", true, 5},     {"500ms", true, 0.5}, {"1m", true, 60},
            {"2min", true, 120}, {"1h", true, 3600},  {"0.1", true, 0.1},   {"86400", true, 86400},
            {"0.05", false, 0},  {"86401", false, 0}, {"5x", false, 0},     {"", false, 0},
            {"s", false, 0},     {"nan", false, 0},   {"inf", false, 0},    {"-1", false, 0},
            {"1e999", false, 0},
        };

        (void)state;
        for (size_t i = 0; i < MB_ARRAY_SIZE(cases); i++) {
                double v = -1;
                bool ok = mb_duration_parse(cases[i].s, &v);
                if (ok != cases[i].ok || (ok && fabs(v - cases[i].want) > 1e-9))
                        fail_msg("mb_duration_parse(\"%s\") = %d, %g", cases[i].s, ok, v);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse_plain_and_units),
            cmocka_unit_test(test_parse_fractions_and_blanks),
            cmocka_unit_test(test_parse_limits),
            cmocka_unit_test(test_parse_errors),
            cmocka_unit_test(test_format),
            cmocka_unit_test(test_duration),
            cmocka_unit_test(test_format_truncates_safely),
            cmocka_unit_test(test_format_matches_printf),
            cmocka_unit_test(test_roundtrip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
