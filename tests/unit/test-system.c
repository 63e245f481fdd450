/*
 * test-system.c: host-wide collectors (lib/collect/system.c, snapshot.c):
 * meminfo, the procps-ng 4 free(1) summary, swaps (octal escapes, zram),
 * vmstat, PSI, swappiness, rates, and snapshots of the fixture trees.
 *
 * The expected free(1) figures were checked against procps-ng 4.0.2 `free -b`
 * on Debian 12 by bind-mounting each fixture meminfo over /proc/meminfo in a
 * private mount namespace (unshare -m).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../lib/collect/snapshot.h"
#include "../../lib/collect/system.h"
#include "fixture-path.h"

#define KB(x) ((uint64_t)(x)*1024u)

static void open_root(struct mb_root *root, const char *scenario)
{
        char proc[256], sys[256];

        snprintf(proc, sizeof(proc), "%s/proc", scenario);
        snprintf(sys, sizeof(sys), "%s/sys", scenario);
        if (mb_root_open(root, fixture(proc), fixture(sys)) != 0)
                fail_msg("cannot open fixture %s", fixture(proc));
}

static int parse_mi(const char *s, struct mb_meminfo *m, struct mb_error *err)
{
        return mb_meminfo_parse(s, strlen(s), m, err);
}

/* ---------------------------------------------------------------- meminfo */

static void test_meminfo_fixture(void **state)
{
        struct mb_root root;
        struct mb_meminfo m;
        struct mb_error err = {0};

        (void)state;
        open_root(&root, "normal");
        assert_int_equal(mb_meminfo_read(&root, &m, &err), 0);
        assert_int_equal(m.v[MB_MI_MEMTOTAL], KB(16314336));
        assert_int_equal(m.v[MB_MI_MEMFREE], KB(1203452));
        assert_int_equal(m.v[MB_MI_MEMAVAILABLE], KB(9876544));
        assert_int_equal(m.v[MB_MI_BUFFERS], KB(402112));
        assert_int_equal(m.v[MB_MI_CACHED], KB(8123456));
        assert_int_equal(m.v[MB_MI_SWAPCACHED], KB(51200));
        assert_int_equal(m.v[MB_MI_ANONPAGES], KB(5012340));
        assert_int_equal(m.v[MB_MI_SHMEM], KB(612340));
        assert_int_equal(m.v[MB_MI_SRECLAIMABLE], KB(523456));
        assert_int_equal(m.v[MB_MI_SUNRECLAIM], KB(288889));
        assert_int_equal(m.v[MB_MI_SWAPTOTAL], KB(8388604));
        assert_int_equal(m.v[MB_MI_SWAPFREE], KB(7864316));
        assert_int_equal(m.v[MB_MI_VMALLOCUSED], KB(45678));
        assert_int_equal(m.v[MB_MI_COMMITTED_AS], KB(9123456));
        /* Unitless count vs a kB size. */
        assert_int_equal(m.v[MB_MI_HUGEPAGES_TOTAL], 0);
        assert_int_equal(m.v[MB_MI_HUGEPAGESIZE], KB(2048));
        for (int i = 0; i < MB_MI_COUNT; i++)
                if (!mb_mi_has(&m, (enum mb_mi)i))
                        fail_msg("field %d missing from the normal fixture", i);
        mb_root_close(&root);
}

static void test_meminfo_optional_fields(void **state)
{
        struct mb_meminfo m;
        struct mb_error err = {0};

        (void)state;
        /* Only the two required fields, no trailing newline, unknown and
         * colon-less lines ignored, prefixes of known names not matched. */
        assert_int_equal(parse_mi("Bogus: 5 kB\nno colon here\nMemTotalX: 7 kB\n"
                                  "MemTotal:  1000 kB\nMemFree: 10 kB",
                                  &m, &err),
                         0);
        assert_int_equal(m.v[MB_MI_MEMTOTAL], KB(1000));
        assert_int_equal(m.v[MB_MI_MEMFREE], KB(10));
        assert_false(mb_mi_has(&m, MB_MI_MEMAVAILABLE));
        assert_false(mb_mi_has(&m, MB_MI_ZSWAP));
        assert_int_equal(m.v[MB_MI_MEMAVAILABLE], 0);
        /* HugePages_Total is a count: not multiplied. */
        assert_int_equal(
            parse_mi("MemTotal: 8 kB\nMemFree: 1 kB\nHugePages_Total:      16\n", &m, &err), 0);
        assert_int_equal(m.v[MB_MI_HUGEPAGES_TOTAL], 16);
}

static void test_meminfo_errors(void **state)
{
        /* Each text is refused with -EINVAL; where known, the line and a word
         * of the message (0 / NULL: not checked). */
        static const struct {
                const char *text;
                int line;
                const char *msg;
        } cases[] = {
            {"MemTotal:       lots kB\nMemFree: 1 kB\n", 1, "MemTotal"},
            {"MemTotal: 5 kB\nMemFree: -1 kB\n", 2, "MemFree"},
            {"MemFree: 5 kB\n", 0, "missing"},
            {"MemTotal: 5 kB\n", 0, NULL},
            {"MemTotal: 0 kB\nMemFree: 0 kB\n", 0, NULL},
            {"", 0, NULL},
            /* kB value that overflows when multiplied by 1024, and one above 2^64. */
            {"MemTotal: 18446744073709551615 kB\nMemFree: 1 kB\n", 0, NULL},
            {"MemTotal: 99999999999999999999999 kB\nMemFree: 1 kB\n", 0, NULL},
        };
        struct mb_meminfo m;
        struct mb_error err;

        (void)state;
        for (size_t i = 0; i < MB_ARRAY_SIZE(cases); i++) {
                memset(&err, 0, sizeof(err));
                if (parse_mi(cases[i].text, &m, &err) != -EINVAL)
                        fail_msg("case %zu accepted", i);
                assert_string_equal(err.where, "meminfo");
                if (cases[i].line)
                        assert_int_equal(err.line, cases[i].line);
                if (cases[i].msg && !strstr(err.msg, cases[i].msg))
                        fail_msg("case %zu: message '%s' lacks '%s'", i, err.msg, cases[i].msg);
        }
        /* A NULL error struct is allowed. */
        assert_int_equal(parse_mi("MemFree: 5 kB\n", &m, NULL), -EINVAL);
}

static void test_meminfo_garbled_fixture(void **state)
{
        struct mb_root root;
        struct mb_meminfo m;
        struct mb_error err = {0};

        (void)state;
        open_root(&root, "garbled");
        assert_int_equal(mb_meminfo_read(&root, &m, &err), -EINVAL);
        assert_string_equal(err.where, "meminfo");
        assert_int_equal(err.line, 1);
        mb_root_close(&root);
}

/* ------------------------------------------------------- free(1) summary */

static void test_memsummary_normal(void **state)
{
        struct mb_root root;
        struct mb_meminfo m;
        struct mb_memsummary s;

        (void)state;
        open_root(&root, "normal");
        assert_int_equal(mb_meminfo_read(&root, &m, NULL), 0);
        mb_memsummary_compute(&m, &s);
        /* free -b (procps-ng 4.0.2) on this meminfo:
         * Mem:  16705880064 6592299008 1232334848 627036160 9266200576 10113581056
         * Swap:  8589930496  536870912 8053059584 */
        assert_int_equal(s.total, 16705880064ull);
        assert_int_equal(s.used, 6592299008ull);
        assert_int_equal(s.free, 1232334848ull);
        assert_int_equal(s.shared, 627036160ull);
        assert_int_equal(s.buff_cache, 9266200576ull);
        assert_int_equal(s.available, 10113581056ull);
        assert_int_equal(s.swap_total, 8589930496ull);
        assert_int_equal(s.swap_used, 536870912ull);
        assert_int_equal(s.swap_free, 8053059584ull);
        assert_int_equal(s.swap_cached, KB(51200));
        /* The formulas, spelled out. */
        assert_int_equal(s.used, m.v[MB_MI_MEMTOTAL] - m.v[MB_MI_MEMAVAILABLE]);
        assert_int_equal(s.buff_cache,
                         m.v[MB_MI_BUFFERS] + m.v[MB_MI_CACHED] + m.v[MB_MI_SRECLAIMABLE]);
        mb_root_close(&root);
}

static void test_memsummary_no_memavailable(void **state)
{
        struct mb_root root;
        struct mb_meminfo m;
        struct mb_memsummary s;

        (void)state;
        /* Kernel < 3.14: no MemAvailable; free -b printed
         * Mem: 16705880064 15473545216 1232334848 627036160 9266200576 1232334848 */
        open_root(&root, "empty-swaps");
        assert_int_equal(mb_meminfo_read(&root, &m, NULL), 0);
        assert_false(mb_mi_has(&m, MB_MI_MEMAVAILABLE));
        mb_memsummary_compute(&m, &s);
        assert_int_equal(s.available, 1232334848ull);
        assert_int_equal(s.used, 15473545216ull);
        assert_int_equal(s.swap_total, 0);
        assert_int_equal(s.swap_used, 0);
        mb_root_close(&root);
}

static void test_memsummary_fallbacks(void **state)
{
        struct mb_meminfo m;
        struct mb_memsummary s;

        (void)state;
        /* MemAvailable > MemTotal (lxc distortion): available = MemFree.
         * free -k printed: Mem: 1000 700 300 0 35 300 */
        assert_int_equal(parse_mi("MemTotal: 1000 kB\nMemFree: 300 kB\nMemAvailable: 5000 kB\n"
                                  "Buffers: 10 kB\nCached: 20 kB\nSReclaimable: 5 kB\n",
                                  &m, NULL),
                         0);
        mb_memsummary_compute(&m, &s);
        assert_int_equal(s.available, KB(300));
        assert_int_equal(s.used, KB(700));
        assert_int_equal(s.buff_cache, KB(35));

        /* MemAvailable present but 0: treated as absent. */
        assert_int_equal(
            parse_mi("MemTotal: 1000 kB\nMemFree: 400 kB\nMemAvailable: 0 kB\n", &m, NULL), 0);
        mb_memsummary_compute(&m, &s);
        assert_int_equal(s.available, KB(400));
        assert_int_equal(s.used, KB(600));

        /* MemFree > MemTotal and no MemAvailable: both used formulas are
         * negative.  procps-ng 4.0.2 prints "-200" here; membudget's used is
         * unsigned and clamps to 0 (a deliberate difference). */
        assert_int_equal(parse_mi("MemTotal: 1000 kB\nMemFree: 1200 kB\n", &m, NULL), 0);
        mb_memsummary_compute(&m, &s);
        assert_int_equal(s.used, 0);
        assert_int_equal(s.available, KB(1200));

        /* MemAvailable < MemTotal but used via MemAvailable fine, MemFree
         * bigger than available (possible transiently): no fallback. */
        assert_int_equal(
            parse_mi("MemTotal: 1000 kB\nMemFree: 500 kB\nMemAvailable: 450 kB\n", &m, NULL), 0);
        mb_memsummary_compute(&m, &s);
        assert_int_equal(s.used, KB(550));

        /* SwapFree > SwapTotal: used 0, not a wrap-around. */
        assert_int_equal(parse_mi("MemTotal: 1000 kB\nMemFree: 500 kB\nSwapTotal: 100 kB\n"
                                  "SwapFree: 200 kB\n",
                                  &m, NULL),
                         0);
        mb_memsummary_compute(&m, &s);
        assert_int_equal(s.swap_used, 0);
        assert_int_equal(s.swap_free, KB(200));
}

/* ------------------------------------------------------------------ swaps */

static void test_swaps_fixture_escaped_path(void **state)
{
        struct mb_root root;
        struct mb_swaps sw = {0};
        struct mb_error err = {0};

        (void)state;
        open_root(&root, "normal");
        assert_int_equal(mb_swaps_read(&root, &sw, &err), 0);
        assert_int_equal(sw.n, 2);
        assert_string_equal(sw.dev[0].path, "/dev/sda2");
        assert_string_equal(sw.dev[0].type, "partition");
        assert_int_equal(sw.dev[0].kind, MB_SWAP_DISK);
        assert_int_equal(sw.dev[0].size, KB(4194300));
        assert_int_equal(sw.dev[0].used, KB(262144));
        assert_int_equal(sw.dev[0].priority, -2);
        assert_true(sw.dev[0].zram_orig == MB_UNKNOWN);
        /* "/var/lib/swap\040file" in the file. */
        assert_string_equal(sw.dev[1].path, "/var/lib/swap file");
        assert_string_equal(sw.dev[1].type, "file");
        assert_int_equal(sw.dev[1].size, KB(4194304));
        assert_int_equal(sw.dev[1].priority, -3);
        /* The per-device sum agrees with meminfo's SwapTotal - SwapFree. */
        assert_int_equal(sw.dev[0].used + sw.dev[1].used, KB(8388604 - 7864316));
        mb_swaps_release(&sw);
        mb_root_close(&root);
}

static void test_swaps_octal_escapes(void **state)
{
        static const char buf[] = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
                                  "/swap\\011tab\\012nl\\134bs\\040sp file\t1024\t\t0\t\t-2\n"
                                  "/not\\8escape\\09\\4000 file 8 4 5\n"
                                  "/trailing\\ file 8 4 -1\n"
                                  "/dev/zram12 partition 2048 1024 100\n"
                                  "/dev/zramx partition 2048 1024 100\n";
        struct mb_swaps sw = {0};

        (void)state;
        assert_int_equal(mb_swaps_parse(buf, sizeof(buf) - 1, &sw, NULL), 0);
        assert_int_equal(sw.n, 5);
        assert_string_equal(sw.dev[0].path, "/swap\ttab\nnl\\bs sp");
        assert_int_equal(sw.dev[0].size, 1024 * 1024);
        /* Not an escape: a digit 8/9, or a first digit above 3. */
        assert_string_equal(sw.dev[1].path, "/not\\8escape\\09\\4000");
        assert_int_equal(sw.dev[1].priority, 5);
        assert_string_equal(sw.dev[2].path, "/trailing\\");
        assert_int_equal(sw.dev[2].priority, -1);
        assert_int_equal(sw.dev[3].kind, MB_SWAP_ZRAM);
        assert_string_equal(sw.dev[3].path, "/dev/zram12");
        /* Only the prefix is checked: a /dev/zram* path is zram. */
        assert_int_equal(sw.dev[4].kind, MB_SWAP_ZRAM);
        mb_swaps_release(&sw);
}

static void test_swaps_empty_and_header_only(void **state)
{
        struct mb_root root;
        struct mb_swaps sw = {0};

        (void)state;
        open_root(&root, "empty-swaps");
        assert_int_equal(mb_swaps_read(&root, &sw, NULL), 0);
        assert_int_equal(sw.n, 0);
        mb_root_close(&root);
        assert_int_equal(mb_swaps_parse("", 0, &sw, NULL), 0);
        assert_int_equal(sw.n, 0);
        assert_int_equal(mb_swaps_parse("Filename Type\n\n\n", 16, &sw, NULL), 0);
        assert_int_equal(sw.n, 0);
        mb_swaps_release(&sw);
}

static void test_swaps_malformed(void **state)
{
        struct mb_swaps sw = {0};
        struct mb_error err;
        const char *cases[] = {
            "H\n/dev/sda2 partition\n",
            "H\n/dev/sda2 partition x 0 -2\n",
            "H\n/dev/sda2 partition 100 y -2\n",
            "H\n/dev/sda2 partition 100 0 prio\n",
            "H\n/dev/sda2\n",
            "H\n/dev/sda2 averyveryverylongtype 100 0 -2\n",
            "H\n/dev/sda2 partition 18446744073709551615 0 -2\n",
        };

        (void)state;
        for (size_t i = 0; i < MB_ARRAY_SIZE(cases); i++) {
                memset(&err, 0, sizeof(err));
                if (mb_swaps_parse(cases[i], strlen(cases[i]), &sw, &err) != -EINVAL)
                        fail_msg("accepted: %s", cases[i]);
                assert_string_equal(err.where, "swaps");
                assert_int_equal(err.line, 2);
        }
        mb_swaps_release(&sw);
}

static void test_swaps_long_path_and_reuse(void **state)
{
        char buf[1200];
        struct mb_swaps sw = {0};
        size_t n;

        (void)state;
        n = (size_t)snprintf(buf, sizeof(buf), "H\n/");
        memset(buf + n, 'a', 600);
        n += 600;
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, " file 8 4 -1\n");
        assert_int_equal(mb_swaps_parse(buf, n, &sw, NULL), 0);
        assert_int_equal(sw.n, 1);
        assert_int_equal(strlen(sw.dev[0].path), sizeof(sw.dev[0].path) - 1);
        /* A second parse into the same struct replaces the first. */
        for (int i = 0; i < 3; i++) {
                const char *two = "H\n/a file 1 0 -1\n/b file 2 1 -2\n";
                assert_int_equal(mb_swaps_parse(two, strlen(two), &sw, NULL), 0);
                assert_int_equal(sw.n, 2);
                assert_string_equal(sw.dev[1].path, "/b");
        }
        mb_swaps_release(&sw);
        assert_null(sw.dev);
        mb_swaps_release(NULL);
}

static void test_swaps_zram_fixture(void **state)
{
        struct mb_root root;
        struct mb_swaps sw = {0};

        (void)state;
        open_root(&root, "zram");
        assert_int_equal(mb_swaps_read(&root, &sw, NULL), 0);
        assert_int_equal(sw.n, 1);
        assert_string_equal(sw.dev[0].path, "/dev/zram0");
        assert_int_equal(sw.dev[0].kind, MB_SWAP_ZRAM);
        assert_int_equal(sw.dev[0].used, KB(1048576));
        assert_int_equal(sw.dev[0].priority, 100);
        assert_int_equal(sw.dev[0].zram_orig, 1073741824);
        assert_int_equal(sw.dev[0].zram_compr, 268435456);
        assert_int_equal(sw.dev[0].zram_mem_used, 281018368);
        mb_swaps_release(&sw);
        mb_root_close(&root);

        /* Without its sys tree the compressed sizes are unknown, not 0. */
        assert_int_equal(mb_root_open(&root, fixture("zram/proc"), fixture("no-such-sys")), 0);
        assert_int_equal(root.sys_fd, -1);
        assert_int_equal(mb_swaps_read(&root, &sw, NULL), 0);
        assert_int_equal(sw.n, 1);
        assert_true(sw.dev[0].zram_orig == MB_UNKNOWN);
        assert_true(sw.dev[0].zram_mem_used == MB_UNKNOWN);
        mb_swaps_release(&sw);
        mb_root_close(&root);
}

static void test_zram_mmstat_parse(void **state)
{
        const char *live = "    4096       74    12288        0    12288        0        0        "
                           "0        0\n";
        int64_t a = 1, b = 2, c = 3;

        (void)state;
        assert_int_equal(mb_zram_mmstat_parse(live, strlen(live), &a, &b, &c), 0);
        assert_int_equal(a, 4096);
        assert_int_equal(b, 74);
        assert_int_equal(c, 12288);
        a = b = c = 7;
        assert_int_equal(mb_zram_mmstat_parse("1 2", 3, &a, &b, &c), -EINVAL);
        assert_int_equal(mb_zram_mmstat_parse("", 0, &a, &b, &c), -EINVAL);
        assert_int_equal(mb_zram_mmstat_parse("x y z", 5, &a, &b, &c), -EINVAL);
        assert_int_equal(mb_zram_mmstat_parse("9223372036854775808 1 1", 23, &a, &b, &c), -EINVAL);
        assert_int_equal(a, 7); /* untouched on error */
}

/* ----------------------------------------------------------------- vmstat */

static void test_vmstat(void **state)
{
        struct mb_root root;
        struct mb_vmstat v;
        struct mb_error err = {0};
        const char *nopswp = "nr_free_pages 6068343\npgmajfault 3\n";
        const char *bad = "pswpin 1\npswpout abc\n";
        const char *prefix = "pswpin_x 5\npswpin 7\npswpout 9\n";

        (void)state;
        open_root(&root, "normal");
        assert_int_equal(mb_vmstat_read(&root, &v, &err), 0);
        assert_true(v.have_pswp);
        assert_int_equal(v.pswpin, 1200);
        assert_int_equal(v.pswpout, 34567);
        assert_int_equal(v.pgmajfault, 84213);
        assert_int_equal(v.workingset_refault_anon, 5123);
        assert_int_equal(v.oom_kill, 0);
        mb_root_close(&root);

        assert_int_equal(mb_vmstat_parse(nopswp, strlen(nopswp), &v, NULL), 0);
        assert_false(v.have_pswp);
        assert_int_equal(v.pgmajfault, 3);

        memset(&err, 0, sizeof(err));
        assert_int_equal(mb_vmstat_parse(bad, strlen(bad), &v, &err), -EINVAL);
        assert_string_equal(err.where, "vmstat");
        assert_int_equal(err.line, 2);

        assert_int_equal(mb_vmstat_parse(prefix, strlen(prefix), &v, NULL), 0);
        assert_int_equal(v.pswpin, 7);
        assert_true(v.have_pswp);
        assert_int_equal(mb_vmstat_parse("", 0, &v, NULL), 0);
        assert_false(v.have_pswp);
}

/* -------------------------------------------------------------------- PSI */

static void test_psi_fixture(void **state)
{
        struct mb_root root;
        struct mb_psi p;
        struct mb_error err = {0};

        (void)state;
        open_root(&root, "normal");
        assert_int_equal(mb_psi_read(&root, &p, &err), 0);
        assert_float_equal(p.some.avg10, 1.25, 1e-9);
        assert_float_equal(p.some.avg60, 0.80, 1e-9);
        assert_float_equal(p.some.avg300, 0.31, 1e-9);
        assert_int_equal(p.some.total_usec, 123456789);
        assert_true(p.have_full);
        assert_float_equal(p.full.avg10, 0.50, 1e-9);
        assert_int_equal(p.full.total_usec, 45678901);
        mb_root_close(&root);
}

static void test_psi_missing_file(void **state)
{
        struct mb_root root;
        struct mb_psi p;
        struct mb_error err = {0};

        (void)state;
        open_root(&root, "no-psi");
        assert_int_equal(mb_psi_read(&root, &p, &err), -ENOENT);
        assert_string_equal(err.where, "pressure/memory");
        mb_root_close(&root);
}

static void test_psi_parse_variants(void **state)
{
        struct mb_psi p;
        struct mb_error err;
        const char *some_only = "some avg10=0.00 avg60=0.01 avg300=0.03 total=269419\n";
        const char *bad[] = {
            "",
            "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",               /* no some */
            "some avg10=0.00 avg60=0.00 total=0\n",                           /* no avg300 */
            "some avg10=0.00 avg60=0.00 avg300=0.00\n",                       /* no total */
            "some avg10=abc avg60=0.00 avg300=0.00 total=0\n",                /* not a number */
            "some avg10=100.01 avg60=0.00 avg300=0.00 total=0\n",             /* above 100 % */
            "some avg10=-1 avg60=0.00 avg300=0.00 total=0\n",                 /* negative */
            "some avg10=nan avg60=0.00 avg300=0.00 total=0\n",                /* NaN */
            "some avg10=0.00 avg60=0.00 avg300=0.00 total=12x\n",             /* junk */
            "some avg10= avg60=0.00 avg300=0.00 total=0\n",                   /* empty value */
            "some avg10 avg60=0.00 avg300=0.00 total=0\n",                    /* no '=' */
            "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nbogus line\n",   /* unknown line */
            "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=1\n", /* bad full */
        };

        (void)state;
        assert_int_equal(mb_psi_parse(some_only, strlen(some_only), &p, NULL), 0);
        assert_false(p.have_full);
        assert_float_equal(p.some.avg300, 0.03, 1e-9);
        assert_int_equal(p.some.total_usec, 269419);
        for (size_t i = 0; i < MB_ARRAY_SIZE(bad); i++) {
                memset(&err, 0, sizeof(err));
                if (mb_psi_parse(bad[i], strlen(bad[i]), &p, &err) != -EINVAL)
                        fail_msg("accepted: %s", bad[i]);
                assert_string_equal(err.where, "pressure/memory");
        }
}

/* ------------------------------------------------------------- swappiness */

static void test_swappiness(void **state)
{
        struct mb_root root;
        int v = -1;

        (void)state;
        open_root(&root, "normal");
        assert_int_equal(mb_swappiness_read(&root, &v), 0);
        assert_int_equal(v, 60);
        mb_root_close(&root);
        /* A fixture root without sys/vm/swappiness. */
        assert_int_equal(mb_root_open(&root, fixture("normal/sys"), NULL), 0);
        assert_int_equal(mb_swappiness_read(&root, &v), -ENOENT);
        mb_root_close(&root);
}

/* ----------------------------------------------------------- root, rates */

static void test_root_open_errors(void **state)
{
        struct mb_root root;

        (void)state;
        assert_int_equal(mb_root_open(&root, "/nonexistent/membudget-fixtures", NULL), -ENOENT);
        mb_root_close(&root);
        assert_int_equal(mb_root_open(&root, fixture("normal/README"), NULL), -ENOTDIR);
        mb_root_close(&root);
        assert_int_equal(mb_root_open(&root, fixture("normal/proc"), fixture("normal/sys")), 0);
        assert_false(root.live);
        assert_true(root.sys_fd >= 0);
        /* Reading twice through the cached fd gives the same bytes. */
        assert_true(mb_root_read(&root, MB_F_MEMINFO) > 0);
        assert_true(mb_root_read(&root, MB_F_MEMINFO) > 0);
        assert_non_null(strstr(root.scratch.data, "MemTotal:       16314336 kB"));
        assert_string_equal(mb_sysfile_path(MB_F_PSI_MEMORY), "pressure/memory");
        mb_root_close(&root);
        mb_root_close(&root); /* idempotent */
}

static void test_rates(void **state)
{
        struct mb_vmstat a = {0}, b = {0};
        struct mb_rates r;

        (void)state;
        a.have_pswp = b.have_pswp = true;
        a.pswpin = 100, b.pswpin = 300;
        a.pswpout = 1000, b.pswpout = 1500;
        a.pgmajfault = 10, b.pgmajfault = 30;
        mb_rates_compute(&a, 10.0, &b, 12.0, &r);
        assert_true(r.valid);
        assert_float_equal(r.interval_s, 2.0, 1e-9);
        assert_float_equal(r.swapin_pages_per_s, 100.0, 1e-9);
        assert_float_equal(r.swapout_pages_per_s, 250.0, 1e-9);
        assert_float_equal(r.majfault_per_s, 10.0, 1e-9);
        /* Counter reset (b < a): 0, not a huge wrap-around. */
        b.pswpin = 5;
        mb_rates_compute(&a, 10.0, &b, 12.0, &r);
        assert_float_equal(r.swapin_pages_per_s, 0.0, 1e-9);
        /* No time passed, or no pswp counters: invalid. */
        mb_rates_compute(&a, 10.0, &b, 10.0, &r);
        assert_false(r.valid);
        b.have_pswp = false;
        mb_rates_compute(&a, 10.0, &b, 12.0, &r);
        assert_false(r.valid);
}

/* -------------------------------------------------------------- snapshots */

static void test_snapshot_fixtures(void **state)
{
        static const struct {
                const char *scenario;
                bool psi;
                size_t nswaps;
                bool vm;
        } sc[] = {
            {"normal", true, 2, true},
            {"no-psi", false, 0, true},
            {"empty-swaps", true, 0, true},
            {"zram", true, 1, true},
        };

        (void)state;
        for (size_t i = 0; i < MB_ARRAY_SIZE(sc); i++) {
                struct mb_root root;
                struct mb_snapshot s;
                struct mb_error err = {0};

                open_root(&root, sc[i].scenario);
                mb_snapshot_init(&s);
                if (mb_snapshot_take(&root, MB_SNAP_SYSTEM, 0, NULL, &s, &err) != 0)
                        fail_msg("%s: %s: %s", sc[i].scenario, err.where, err.msg);
                assert_int_equal(s.mem.total, 16705880064ull);
                assert_int_equal(s.have_psi, sc[i].psi);
                assert_int_equal(s.swaps.n, sc[i].nswaps);
                assert_int_equal(s.have_vm, sc[i].vm);
                assert_true(s.have_swappiness);
                assert_int_equal(s.swappiness, 60);
                assert_false(s.have_procs);
                mb_snapshot_release(&s);
                mb_root_close(&root);
        }
}

static void test_snapshot_garbled(void **state)
{
        struct mb_root root;
        struct mb_snapshot s;
        struct mb_error err = {0};

        (void)state;
        open_root(&root, "garbled");
        mb_snapshot_init(&s);
        assert_int_equal(mb_snapshot_take(&root, MB_SNAP_SYSTEM, 0, NULL, &s, &err), -EINVAL);
        assert_string_equal(err.where, "meminfo");
        assert_non_null(strstr(err.msg, "MemTotal"));
        mb_snapshot_release(&s);
        /* The per-process part alone still works on that tree. */
        mb_snapshot_init(&s);
        assert_int_equal(mb_snapshot_take(&root, MB_SNAP_PROCS, 0, NULL, &s, &err), 0);
        assert_true(s.have_procs);
        assert_true(s.procs.n >= 1);
        mb_snapshot_release(&s);
        mb_root_close(&root);
}

/* The live host: whatever it has, the parsers accept it. */
static void test_live_host(void **state)
{
        struct mb_root root;
        struct mb_meminfo m;
        struct mb_swaps sw = {0};
        struct mb_vmstat v;
        struct mb_error err = {0};

        (void)state;
        assert_int_equal(mb_root_open(&root, NULL, NULL), 0);
        assert_true(root.live);
        if (mb_meminfo_read(&root, &m, &err) != 0)
                fail_msg("live meminfo: %s", err.msg);
        assert_true(m.v[MB_MI_MEMTOTAL] > 0);
        assert_int_equal(mb_swaps_read(&root, &sw, &err), 0);
        assert_int_equal(mb_vmstat_read(&root, &v, &err), 0);
        assert_true(v.have_pswp);
        mb_swaps_release(&sw);
        mb_root_close(&root);
}

/* Regressions for inputs the fuzzers found (tests/fuzz). */
static void test_fuzz_regressions(void **state)
{
        static const char swaps[] = "Filename\n/swap\\01"; /* no NUL after the escape */
        static const char mi[] = "MemTotal: 16 kB\nMemFree: 11111111111101111 kB\n";
        struct mb_swaps sw = {0};
        struct mb_meminfo m;
        struct mb_error err = {0};
        char *copy;

        (void)state;
        /* an octal escape cut at the end of the buffer: never read past it */
        copy = malloc(sizeof(swaps) - 1);
        memcpy(copy, swaps, sizeof(swaps) - 1);
        assert_int_equal(mb_swaps_parse(copy, sizeof(swaps) - 1, &sw, &err), -EINVAL);
        free(copy);
        mb_swaps_release(&sw);
        /* a value above INT64_MAX bytes is refused, not wrapped into used > total */
        assert_int_equal(mb_meminfo_parse(mi, sizeof(mi) - 1, &m, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "MemFree"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_meminfo_fixture),
            cmocka_unit_test(test_meminfo_optional_fields),
            cmocka_unit_test(test_meminfo_errors),
            cmocka_unit_test(test_meminfo_garbled_fixture),
            cmocka_unit_test(test_memsummary_normal),
            cmocka_unit_test(test_memsummary_no_memavailable),
            cmocka_unit_test(test_memsummary_fallbacks),
            cmocka_unit_test(test_swaps_fixture_escaped_path),
            cmocka_unit_test(test_swaps_octal_escapes),
            cmocka_unit_test(test_swaps_empty_and_header_only),
            cmocka_unit_test(test_swaps_malformed),
            cmocka_unit_test(test_swaps_long_path_and_reuse),
            cmocka_unit_test(test_swaps_zram_fixture),
            cmocka_unit_test(test_zram_mmstat_parse),
            cmocka_unit_test(test_vmstat),
            cmocka_unit_test(test_psi_fixture),
            cmocka_unit_test(test_psi_missing_file),
            cmocka_unit_test(test_psi_parse_variants),
            cmocka_unit_test(test_swappiness),
            cmocka_unit_test(test_root_open_errors),
            cmocka_unit_test(test_rates),
            cmocka_unit_test(test_snapshot_fixtures),
            cmocka_unit_test(test_snapshot_garbled),
            cmocka_unit_test(test_live_host),
            cmocka_unit_test(test_fuzz_regressions),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
