/* test-breakdown.c: where the RAM goes (lib/analyze/breakdown.c): the rows
 * always add up exactly to MemTotal, with the rest named, never hidden. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../lib/analyze/breakdown.h"
#include "fixture-path.h"

#define KB(x) ((int64_t)(x)*1024)

static size_t compute_checked(const struct mb_meminfo *m, struct mb_breakdown_row *rows)
{
        size_t n = mb_breakdown_compute(m, rows);
        int64_t sum = 0;

        assert_true(n > 1 && n <= MB_BREAKDOWN_MAX);
        for (size_t i = 0; i < n; i++) {
                assert_non_null(rows[i].id);
                assert_non_null(rows[i].label);
                for (size_t j = 0; j < i; j++)
                        if (!strcmp(rows[i].id, rows[j].id))
                                fail_msg("row id '%s' twice", rows[i].id);
                /* Only the rest may be negative. */
                if (i + 1 < n && rows[i].bytes < 0)
                        fail_msg("row '%s' negative: %lld", rows[i].id, (long long)rows[i].bytes);
                sum += rows[i].bytes;
        }
        assert_string_equal(rows[n - 1].id, "unexplained");
        assert_non_null(strstr(rows[n - 1].label, "unexplained"));
        if (sum != (int64_t)m->v[MB_MI_MEMTOTAL])
                fail_msg("rows sum to %lld, MemTotal is %llu", (long long)sum,
                         (unsigned long long)m->v[MB_MI_MEMTOTAL]);
        return n;
}

static int64_t row(const struct mb_breakdown_row *rows, size_t n, const char *id)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(rows[i].id, id))
                        return rows[i].bytes;
        fail_msg("no row '%s'", id);
        return 0;
}

static void read_fixture(const char *scenario, struct mb_meminfo *m)
{
        struct mb_root root;
        struct mb_error err = {0};
        char proc[128];

        snprintf(proc, sizeof(proc), "%s/proc", scenario);
        assert_int_equal(mb_root_open(&root, fixture(proc), NULL), 0);
        if (mb_meminfo_read(&root, m, &err) != 0)
                fail_msg("%s: %s", scenario, err.msg);
        mb_root_close(&root);
}

static void test_normal_rows(void **state)
{
        struct mb_meminfo m;
        struct mb_breakdown_row rows[MB_BREAKDOWN_MAX];
        size_t n;

        (void)state;
        read_fixture("normal", &m);
        n = compute_checked(&m, rows);
        assert_int_equal(row(rows, n, "process_anon"), KB(5012340));
        /* Buffers + Cached - Shmem: shmem/tmpfs has its own row. */
        assert_int_equal(row(rows, n, "page_cache"), KB(402112 + 8123456 - 612340));
        assert_int_equal(row(rows, n, "shmem"), KB(612340));
        assert_int_equal(row(rows, n, "swap_cache"), KB(51200));
        assert_int_equal(row(rows, n, "slab_reclaimable"), KB(523456));
        assert_int_equal(row(rows, n, "slab_unreclaimable"), KB(288889));
        assert_int_equal(row(rows, n, "page_tables"), KB(61234));
        assert_int_equal(row(rows, n, "kernel_stack"), KB(18432));
        assert_int_equal(row(rows, n, "vmalloc"), KB(45678));
        assert_int_equal(row(rows, n, "percpu"), KB(9856));
        assert_int_equal(row(rows, n, "hugetlb"), 0);
        assert_int_equal(row(rows, n, "free"), KB(1203452));
        /* 16314336 - 15740105 kB explained above. */
        assert_int_equal(row(rows, n, "unexplained"), KB(574231));
}

static void test_every_fixture_adds_up(void **state)
{
        static const char *const sc[] = {"normal", "no-psi", "empty-swaps", "zram"};
        struct mb_meminfo m;
        struct mb_breakdown_row rows[MB_BREAKDOWN_MAX];

        (void)state;
        for (size_t i = 0; i < MB_ARRAY_SIZE(sc); i++) {
                read_fixture(sc[i], &m);
                compute_checked(&m, rows);
        }
        /* zram fixture: the zswap pool is its own row. */
        read_fixture("zram", &m);
        assert_int_equal(row(rows, compute_checked(&m, rows), "zswap"), KB(65536));
}

static void parse(const char *s, struct mb_meminfo *m)
{
        assert_int_equal(mb_meminfo_parse(s, strlen(s), m, NULL), 0);
}

static void test_huge_pages(void **state)
{
        struct mb_meminfo m;
        struct mb_breakdown_row rows[MB_BREAKDOWN_MAX];
        size_t n;

        (void)state;
        /* No Hugetlb line (kernel < 4.14): count x size. */
        parse("MemTotal: 1048576 kB\nMemFree: 100000 kB\nHugePages_Total: 64\n"
              "Hugepagesize: 2048 kB\n",
              &m);
        n = compute_checked(&m, rows);
        assert_int_equal(row(rows, n, "hugetlb"), KB(64 * 2048));
        /* Hugetlb (all sizes, 1 GiB pages included) wins when present. */
        parse("MemTotal: 4194304 kB\nMemFree: 100000 kB\nHugePages_Total: 64\n"
              "Hugepagesize: 2048 kB\nHugetlb: 1179648 kB\n",
              &m);
        n = compute_checked(&m, rows);
        assert_int_equal(row(rows, n, "hugetlb"), KB(1179648));
}

static void test_overlapping_counters(void **state)
{
        struct mb_meminfo m;
        struct mb_breakdown_row rows[MB_BREAKDOWN_MAX];
        size_t n;

        (void)state;
        /* Shmem larger than Buffers + Cached (counters read at different
         * moments): page cache clamps to 0, the sum still holds. */
        parse("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 10 kB\nCached: 20 kB\n"
              "Shmem: 50 kB\n",
              &m);
        n = compute_checked(&m, rows);
        assert_int_equal(row(rows, n, "page_cache"), 0);
        assert_int_equal(row(rows, n, "unexplained"), KB(1000 - 100 - 50));
        /* Counters above MemTotal: the rest goes negative, visibly. */
        parse("MemTotal: 1000 kB\nMemFree: 900 kB\nAnonPages: 500 kB\n", &m);
        n = compute_checked(&m, rows);
        assert_int_equal(row(rows, n, "unexplained"), KB(-400));
        /* Only the required fields: everything is free or unexplained. */
        parse("MemTotal: 1000 kB\nMemFree: 250 kB\n", &m);
        n = compute_checked(&m, rows);
        assert_int_equal(row(rows, n, "unexplained"), KB(750));
}

/* Random meminfo contents: the identity holds for all of them. */
static void test_random_meminfo(void **state)
{
        uint64_t x = 0x9e3779b97f4a7c15ull;
        struct mb_breakdown_row rows[MB_BREAKDOWN_MAX];

        (void)state;
        for (int it = 0; it < 5000; it++) {
                struct mb_meminfo m;

                memset(&m, 0, sizeof(m));
                for (int f = 0; f < MB_MI_COUNT; f++) {
                        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                        if (x & 1) {
                                m.v[f] = (x >> 8) % (64ull << 30); /* below 64 GiB */
                                m.have |= 1ull << f;
                        }
                }
                m.v[MB_MI_HUGEPAGES_TOTAL] %= 1024;
                m.v[MB_MI_HUGEPAGESIZE] = 2 << 20;
                m.v[MB_MI_MEMTOTAL] = 1 + (m.v[MB_MI_MEMTOTAL] % (1ull << 40));
                m.have |= 1ull << MB_MI_MEMTOTAL | 1ull << MB_MI_MEMFREE;
                compute_checked(&m, rows);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_normal_rows),    cmocka_unit_test(test_every_fixture_adds_up),
            cmocka_unit_test(test_huge_pages),     cmocka_unit_test(test_overlapping_counters),
            cmocka_unit_test(test_random_meminfo),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
