/*
 * test-proc.c: the per-process collectors (lib/collect/proc.c): the status,
 * stat and smaps_rollup buffer parsers, and mb_proc_scan over the fixture
 * trees, a temporary tree with unreadable files, and the live /proc.
 *
 * PIDs of tests/fixtures/normal/proc:
 *   1     init, a normal process (status, stat, cmdline, smaps_rollup, cgroup)
 *   2     kthreadd: "Kthread: 1", no Vm lines, empty cmdline
 *   15    kworker from a kernel without the Kthread line (no Vm lines)
 *   1234  postgres, uid 65534, 1 GiB RSS, 256 MiB swap
 *   2345  python3 whose comm is "evil) Z (x y"
 *   3456  node without smaps_rollup (PSS unknown)
 *   4567  a zombie
 *   5678  bash with status truncated in the middle of "RssAnon:"
 *   6789  empty status (vanished): dropped
 *   7890  status with garbled numbers, garbage stat/smaps_rollup/cgroup
 *   7891  binary garbage as status: dropped
 *   0123, 1234x  not PIDs: skipped
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../lib/collect/proc.h"
#include "../../lib/util/util.h"
#include "fixture-path.h"

#define KB(x)     ((int64_t)(x)*1024)
#define ALL_FILES (MB_SCAN_CMDLINE | MB_SCAN_STAT | MB_SCAN_ROLLUP | MB_SCAN_CGROUP)

static void proc_init(struct mb_proc *p)
{
        memset(p, 0, sizeof(*p));
        p->vsz = p->rss = p->hwm = p->rss_anon = p->rss_file = p->rss_shmem = p->swap = MB_UNKNOWN;
        p->pss = p->uss = p->swappss = p->rollup_swap = p->anon_huge = MB_UNKNOWN;
        p->gpu = MB_UNKNOWN;
}

/* Read tests/fixtures/<rel> into b; returns its length. */
static size_t load(const char *rel, struct mb_buf *b)
{
        ssize_t n = mb_read_file_at(AT_FDCWD, fixture(rel), b, 0);

        if (n < 0)
                fail_msg("cannot read %s: %s", fixture(rel), mb_strerror((int)n));
        return (size_t)n;
}

static int status_of(const char *rel, struct mb_proc *p)
{
        struct mb_buf b = MB_BUF_INIT;
        size_t n = load(rel, &b);
        int r;

        proc_init(p);
        r = mb_status_parse(b.data ? b.data : "", n, p);
        mb_buf_release(&b);
        return r;
}

/* ----------------------------------------------------------------- status */

static void test_status_normal(void **state)
{
        struct mb_proc p;

        (void)state;
        assert_int_equal(status_of("normal/proc/1234/status", &p), 0);
        assert_string_equal(p.name, "postgres");
        assert_int_equal(p.state, 'S');
        assert_int_equal(p.ppid, 1);
        assert_int_equal(p.uid, 65534);
        assert_int_equal(p.threads, 1);
        assert_int_equal(p.vsz, KB(2245632));
        assert_int_equal(p.rss, KB(1048576));
        assert_int_equal(p.hwm, KB(1048576));
        assert_int_equal(p.rss_anon, KB(786432));
        assert_int_equal(p.rss_file, KB(65536));
        assert_int_equal(p.rss_shmem, KB(196608));
        assert_int_equal(p.swap, KB(262144));
        assert_int_equal(p.flags, 0);
        /* RssAnon + RssFile + RssShmem = VmRSS, as the kernel keeps it. */
        assert_int_equal(p.rss_anon + p.rss_file + p.rss_shmem, p.rss);
}

static void test_status_kernel_threads(void **state)
{
        struct mb_proc p;

        (void)state;
        assert_int_equal(status_of("normal/proc/2/status", &p), 0);
        assert_string_equal(p.name, "kthreadd");
        assert_true(p.flags & MB_P_KTHREAD);
        assert_false(p.flags & MB_P_ZOMBIE);
        assert_true(p.rss == MB_UNKNOWN);
        assert_true(p.vsz == MB_UNKNOWN);
        assert_true(p.swap == MB_UNKNOWN);
        /* An older kernel: no Kthread line; no Vm lines tell it apart. */
        assert_int_equal(status_of("normal/proc/15/status", &p), 0);
        assert_string_equal(p.name, "kworker/0:1-events");
        assert_int_equal(p.state, 'I');
        assert_int_equal(p.ppid, 2);
        assert_true(p.flags & MB_P_KTHREAD);
}

static void test_status_zombie(void **state)
{
        struct mb_proc p;
        const char *old = "Name:\tdefunct\nState:\tZ (zombie)\nPPid:\t5\nUid:\t0\t0\t0\t0\n";

        (void)state;
        assert_int_equal(status_of("normal/proc/4567/status", &p), 0);
        assert_int_equal(p.state, 'Z');
        assert_int_equal(p.ppid, 1234);
        assert_true(p.flags & MB_P_ZOMBIE);
        assert_false(p.flags & MB_P_KTHREAD);
        assert_true(p.rss == MB_UNKNOWN);
        /* Without the Kthread line a zombie (no Vm lines either) is still
         * a zombie, not a kernel thread. */
        proc_init(&p);
        assert_int_equal(mb_status_parse(old, strlen(old), &p), 0);
        assert_true(p.flags & MB_P_ZOMBIE);
        assert_false(p.flags & MB_P_KTHREAD);
}

static void test_status_truncated(void **state)
{
        struct mb_proc p;

        (void)state;
        /* Cut after "RssAn": what was read is kept, the rest is unknown. */
        assert_int_equal(status_of("normal/proc/5678/status", &p), 0);
        assert_string_equal(p.name, "bash");
        assert_int_equal(p.rss, KB(5120));
        assert_int_equal(p.vsz, KB(9012));
        assert_true(p.rss_anon == MB_UNKNOWN);
        assert_true(p.rss_file == MB_UNKNOWN);
        assert_true(p.swap == MB_UNKNOWN);
        assert_false(p.flags & MB_P_KTHREAD);
}

static void test_status_garbled(void **state)
{
        struct mb_proc p;
        struct mb_buf b = MB_BUF_INIT;
        const char *noname = "State:\tR\nVmRSS:\t5 kB\n";
        size_t n;

        (void)state;
        /* Name fine, numbers garbage: unknown (never 0 or a wrapped value). */
        assert_int_equal(status_of("normal/proc/7890/status", &p), 0);
        assert_string_equal(p.name, "garbled");
        assert_true(p.vsz == MB_UNKNOWN);  /* "XYZ kB" */
        assert_true(p.rss == MB_UNKNOWN);  /* "-5 kB" */
        assert_true(p.swap == MB_UNKNOWN); /* 99999999999999999999999 kB */
        assert_true(p.rss_anon == MB_UNKNOWN);
        assert_int_equal(p.rss_file, KB(4));
        assert_int_equal(p.ppid, 0); /* "abc" */
        assert_false(p.flags & MB_P_KTHREAD);

        /* Binary garbage, an empty file, no Name line: rejected. */
        n = load("normal/proc/7891/status", &b);
        proc_init(&p);
        assert_int_equal(mb_status_parse(b.data, n, &p), -EINVAL);
        proc_init(&p);
        assert_int_equal(mb_status_parse("", 0, &p), -EINVAL);
        assert_int_equal(mb_status_parse(noname, strlen(noname), &p), -EINVAL);
        mb_buf_release(&b);
}

static void test_status_edge_values(void **state)
{
        struct mb_proc p;
        char buf[512];
        int n;

        (void)state;
        /* A name longer than the field is cut, NUL-terminated. */
        n = snprintf(buf, sizeof(buf), "Name:\t%0100d\nVmSize:\t1 kB\n", 7);
        proc_init(&p);
        assert_int_equal(mb_status_parse(buf, (size_t)n, &p), 0);
        assert_int_equal(strlen(p.name), sizeof(p.name) - 1);
        /* Escaped name kept as printed; no trailing newline; kB overflow. */
        n = snprintf(buf, sizeof(buf),
                     "Name:\ta\\nb\nKthread:\t0\nVmRSS:\t9007199254740992 kB\nVmSwap:\t7 kB");
        proc_init(&p);
        assert_int_equal(mb_status_parse(buf, (size_t)n, &p), 0);
        assert_string_equal(p.name, "a\\nb");
        assert_true(p.rss == MB_UNKNOWN); /* 2^53 kB > INT64_MAX bytes */
        assert_int_equal(p.swap, KB(7));
        assert_false(p.flags & MB_P_KTHREAD); /* Kthread: 0 */
        /* Kthread: 1 wins over Vm lines. */
        n = snprintf(buf, sizeof(buf), "Name:\tx\nKthread:\t1\nVmRSS:\t8 kB\n");
        proc_init(&p);
        assert_int_equal(mb_status_parse(buf, (size_t)n, &p), 0);
        assert_true(p.flags & MB_P_KTHREAD);
        /* Keys must match whole: "VmRSSx:" is not VmRSS, a key with no
         * value is ignored. */
        n = snprintf(buf, sizeof(buf), "Name:\tx\nVmRSSx:\t8 kB\nVmSize:\nPPid:\t-4\nUid:\t");
        proc_init(&p);
        assert_int_equal(mb_status_parse(buf, (size_t)n, &p), 0);
        assert_true(p.rss == MB_UNKNOWN);
        assert_int_equal(p.ppid, 0);
}

/* ------------------------------------------------------------------- stat */

static void test_stat_comm_with_paren(void **state)
{
        struct mb_proc p;
        struct mb_buf b = MB_BUF_INIT;
        size_t n;

        (void)state;
        /* "2345 (evil) Z (x y) S 1 ...": split at the last ')'. */
        n = load("normal/proc/2345/stat", &b);
        assert_non_null(strstr(b.data, "(evil) Z (x y) S "));
        proc_init(&p);
        assert_int_equal(mb_stat_parse(b.data, n, &p), 0);
        assert_int_equal(p.state, 'S');
        assert_int_equal(p.starttime, 123456);
        mb_buf_release(&b);
}

static void stat_ok(const char *s, char state, uint64_t start)
{
        struct mb_proc p;

        proc_init(&p);
        if (mb_stat_parse(s, strlen(s), &p) != 0)
                fail_msg("rejected: %s", s);
        if (p.state != state || p.starttime != start)
                fail_msg("%s: state %c start %llu; want %c %llu", s, p.state,
                         (unsigned long long)p.starttime, state, (unsigned long long)start);
}

static void stat_bad(const char *s)
{
        struct mb_proc p;

        proc_init(&p);
        if (mb_stat_parse(s, strlen(s), &p) != -EINVAL)
                fail_msg("accepted: %s", s);
}

/* mb_stat_field: numbered as proc(5), counted from the last ')'. */
static void test_stat_field(void **state)
{
        static const struct {
                const char *line;
                int field;
                int rc;
                uint64_t want;
        } cases[] = {
            {"42 (a) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 4242\n", 12, 0, 9},
            {"42 (a) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 4242\n", 22, 0, 4242},
            {"42 (a ) 1 2) S 1 2 3 4 5 6 77 8 9\n", 10, 0, 77},
            {"42 (a) R 1 2 3\n", 12, -EINVAL, 0},           /* too short */
            {"42 (a) R 1 2 3 4 5 x 7\n", 9, -EINVAL, 0},    /* not a number */
            {"42 a R 1 2 3 4 5 6 7 8 9\n", 12, -EINVAL, 0}, /* no ')' */
            {"42 (a) R 1\n", 2, -EINVAL, 0},                /* comm is not numeric */
        };

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint64_t v = 0;
                int r = mb_stat_field(cases[i].line, strlen(cases[i].line), cases[i].field, &v);
                if (r != cases[i].rc || (r == 0 && v != cases[i].want))
                        fail_msg("case %zu: rc %d value %llu", i, r, (unsigned long long)v);
        }
}

static void test_stat_variants(void **state)
{
        struct mb_proc p;
        const char *preset = "1 (a) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 3";

        (void)state;
        /* Fields are counted from the last ')': the state is field 3 and
         * the start time field 22. */
        stat_ok("42 (a) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 4242 x\n", 'R', 4242);
        stat_ok("42 ()) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 4242\n", 'R', 4242);
        stat_ok("42 (a) R 1 (b) S 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21) D 1 2 3 4 5 "
                "6 7 8 9 10 11 12 13 14 15 16 17 18 99",
                'D', 99);
        stat_ok("42 (x\ny) Z 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 5\n", 'Z', 5);
        stat_ok("42 (  ) S  1  2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 6", 'S', 6);
        /* The live format: field 22 of /proc/1/stat on this machine was 24. */
        stat_ok("1 (process_api) S 0 0 0 0 -1 4194560 39360 1138641 0 728 63 229 1653 1080 20 0 "
                "13 0 24 48463872 4130 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 1 0 "
                "0 0 0 0 0 0 0 0 0 0 0 0\n",
                'S', 24);
        stat_bad("");
        stat_bad("42 no paren R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 4242");
        stat_bad("42 (short) R 1 2 3\n");
        stat_bad("42 (a) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\n");
        stat_bad("42 (a) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 x\n");
        stat_bad("42 (a) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 99999999999999999999999\n");
        stat_bad("7890 (garbled S 1 7890\n");
        /* A state already known from status is not overwritten. */
        proc_init(&p);
        p.state = 'Z';
        assert_int_equal(mb_stat_parse(preset, strlen(preset), &p), 0);
        assert_int_equal(p.state, 'Z');
        assert_int_equal(p.starttime, 3);
}

/* ----------------------------------------------------------- smaps_rollup */

static void test_rollup_fixture(void **state)
{
        struct mb_proc p;
        struct mb_buf b = MB_BUF_INIT;
        size_t n;

        (void)state;
        n = load("normal/proc/1234/smaps_rollup", &b);
        proc_init(&p);
        assert_int_equal(mb_rollup_parse(b.data, n, &p), 0);
        assert_int_equal(p.pss, KB(901120));
        assert_int_equal(p.uss, KB(16384 + 770048)); /* Private_Clean + Private_Dirty */
        assert_int_equal(p.rollup_swap, KB(262144));
        assert_int_equal(p.swappss, KB(262144));
        assert_int_equal(p.anon_huge, 0);
        /* "Pss_Dirty:", "Pss_Anon:", "SwapPss:" are not "Pss:" / "Swap:". */
        n = load("normal/proc/2345/smaps_rollup", &b);
        proc_init(&p);
        assert_int_equal(mb_rollup_parse(b.data, n, &p), 0);
        assert_int_equal(p.pss, KB(480000));
        assert_int_equal(p.uss, KB(8192 + 401408));
        assert_int_equal(p.rollup_swap, KB(102400));
        assert_int_equal(p.swappss, KB(98304));
        mb_buf_release(&b);
}

static void test_rollup_variants(void **state)
{
        struct mb_proc p;
        const char *huge = "Pss: 10 kB\nPrivate_Clean: 1 kB\nPrivate_Dirty: 2 kB\n"
                           "Private_Hugetlb: 2048 kB\nAnonHugePages: 4096 kB";
        const char *nopriv = "Rss: 5 kB\nPss: 5 kB\nSwap: 0 kB\n";
        const char *nopss = "Rss: 5 kB\nPrivate_Dirty: 5 kB\n";
        const char *badpss = "Pss: ??? kB\nPrivate_Dirty: 5 kB\n";
        const char *junk = "Rss: lots\nPss: ???\n";

        (void)state;
        proc_init(&p);
        assert_int_equal(mb_rollup_parse(huge, strlen(huge), &p), 0);
        assert_int_equal(p.uss, KB(1 + 2 + 2048));
        assert_int_equal(p.anon_huge, KB(4096));
        assert_true(p.swappss == MB_UNKNOWN); /* absent: kernel < 4.14 */
        proc_init(&p);
        assert_int_equal(mb_rollup_parse(nopriv, strlen(nopriv), &p), -EINVAL);
        assert_true(p.uss == MB_UNKNOWN);
        proc_init(&p);
        assert_int_equal(mb_rollup_parse(nopss, strlen(nopss), &p), -EINVAL);
        assert_true(p.pss == MB_UNKNOWN);
        proc_init(&p);
        assert_int_equal(mb_rollup_parse(badpss, strlen(badpss), &p), -EINVAL);
        assert_true(p.pss == MB_UNKNOWN);
        proc_init(&p);
        assert_int_equal(mb_rollup_parse("", 0, &p), -EINVAL);
        assert_int_equal(mb_rollup_parse(junk, strlen(junk), &p), -EINVAL);
}

/* ------------------------------------------------------------------- scan */

static const struct mb_proc *find(const struct mb_proctab *t, int pid)
{
        for (size_t i = 0; i < t->n; i++)
                if (t->p[i].pid == pid)
                        return &t->p[i];
        return NULL;
}

static void scan_normal(struct mb_root *root, struct mb_proctab *t, unsigned flags,
                        const struct mb_scan_filter *f)
{
        if (mb_root_open(root, fixture("normal/proc"), fixture("normal/sys")) != 0)
                fail_msg("cannot open %s", fixture("normal/proc"));
        mb_proctab_init(t);
        assert_true(mb_proc_scan(root, flags, f, t) >= 0);
}

static void test_scan_normal_all_files(void **state)
{
        struct mb_root root;
        struct mb_proctab t;
        const struct mb_proc *p;

        (void)state;
        scan_normal(&root, &t, ALL_FILES, NULL);
        assert_int_equal(t.n, 9);
        assert_int_equal(t.n_seen, 11); /* 0123 and 1234x are not PIDs */
        assert_int_equal(t.n_kthreads, 2);
        assert_int_equal(t.n_zombies, 1);
        assert_int_equal(t.n_vanished, 2); /* 6789 empty, 7891 garbage */
        assert_int_equal(t.n_denied, 0);
        assert_int_equal(t.n_pss_denied, 0);
        assert_int_equal(t.n_filtered, 0);
        assert_null(find(&t, 6789));
        assert_null(find(&t, 7891));
        assert_null(find(&t, 123));

        p = find(&t, 1);
        assert_non_null(p);
        assert_string_equal(p->name, "init");
        assert_string_equal(mb_proc_cmdline(&t, p), "/sbin/init splash");
        assert_int_equal(p->starttime, 24);
        assert_int_equal(p->rss, KB(12800));
        assert_int_equal(p->swap, KB(1024));
        assert_int_equal(p->pss, KB(6200));
        assert_int_equal(p->uss, KB(5000));
        assert_string_equal(mb_proc_str(&t, p->cg_v2), "/init.scope");
        assert_string_equal(mb_proc_str(&t, p->cg_mem), "/init.scope");
        assert_string_equal(mb_proc_str(&t, p->cg_sd), "/init.scope");

        p = find(&t, 1234);
        assert_non_null(p);
        assert_string_equal(mb_proc_cmdline(&t, p),
                            "/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main "
                            "-c config_file=/etc/postgresql/15/main/postgresql.conf");
        assert_int_equal(p->uid, 65534);
        assert_int_equal(p->starttime, 4512);
        assert_int_equal(p->pss, KB(901120));
        assert_int_equal(p->swappss, KB(262144));
        assert_string_equal(mb_proc_str(&t, p->cg_mem), "/system.slice/postgresql.service");

        p = find(&t, 2345);
        assert_non_null(p);
        assert_string_equal(p->name, "evil) Z (x y");
        assert_int_equal(p->state, 'S');
        assert_int_equal(p->threads, 4);
        assert_int_equal(p->starttime, 123456);
        assert_string_equal(mb_proc_cmdline(&t, p), "python3 /opt/app/serve.py --port 8080");
        assert_false(p->flags & (MB_P_ZOMBIE | MB_P_KTHREAD));

        /* No smaps_rollup: PSS unknown, but not "denied". */
        p = find(&t, 3456);
        assert_non_null(p);
        assert_true(p->pss == MB_UNKNOWN);
        assert_true(p->uss == MB_UNKNOWN);
        assert_false(p->flags & MB_P_PSS_DENIED);
        assert_int_equal(p->rss, KB(204800));

        /* Kernel threads: no cmdline, smaps_rollup not read. */
        p = find(&t, 2);
        assert_non_null(p);
        assert_true(p->flags & MB_P_KTHREAD);
        assert_int_equal(p->cmdline, 0);
        assert_string_equal(mb_proc_cmdline(&t, p), "");
        assert_true(p->pss == MB_UNKNOWN);
        assert_string_equal(mb_proc_str(&t, p->cg_v2), "/");
        assert_int_equal(p->cg_mem, 0);
        assert_true(find(&t, 15)->flags & MB_P_KTHREAD);

        p = find(&t, 4567);
        assert_non_null(p);
        assert_true(p->flags & MB_P_ZOMBIE);
        assert_true(p->pss == MB_UNKNOWN);
        assert_int_equal(p->cmdline, 0);

        p = find(&t, 5678);
        assert_non_null(p);
        assert_int_equal(p->rss, KB(5120));
        assert_int_equal(p->pss, KB(2100));
        assert_string_equal(mb_proc_cmdline(&t, p), "-bash");

        /* Garbage stat, smaps_rollup and cgroup: kept, those values unknown. */
        p = find(&t, 7890);
        assert_non_null(p);
        assert_int_equal(p->starttime, 0);
        assert_true(p->pss == MB_UNKNOWN);
        assert_int_equal(p->cg_v2, 0);
        assert_int_equal(p->cg_mem, 0);
        assert_string_equal(mb_proc_cmdline(&t, p), "garbled --x");

        mb_proctab_release(&t);
        mb_root_close(&root);
}

static void test_scan_status_only(void **state)
{
        struct mb_root root;
        struct mb_proctab t;
        const struct mb_proc *p;

        (void)state;
        scan_normal(&root, &t, 0, NULL);
        assert_int_equal(t.n, 9);
        p = find(&t, 1234);
        assert_non_null(p);
        assert_int_equal(p->rss, KB(1048576));
        /* Nothing but status was read. */
        assert_int_equal(p->cmdline, 0);
        assert_int_equal(p->starttime, 0);
        assert_true(p->pss == MB_UNKNOWN);
        assert_int_equal(p->cg_v2, 0);
        /* A second scan into the same table gives the same result. */
        assert_int_equal(mb_proc_scan(&root, MB_SCAN_CMDLINE, NULL, &t), 9);
        assert_int_equal(t.n_seen, 11);
        assert_string_equal(mb_proc_cmdline(&t, find(&t, 1)), "/sbin/init splash");
        mb_proctab_release(&t);
        mb_root_close(&root);
}

static void test_scan_filters(void **state)
{
        struct mb_root root;
        struct mb_proctab t;
        struct mb_scan_filter f = {.skip_kthreads = true};
        regex_t re;

        (void)state;
        scan_normal(&root, &t, 0, &f);
        assert_int_equal(t.n, 7);
        assert_int_equal(t.n_filtered, 2);
        assert_null(find(&t, 2));
        assert_null(find(&t, 15));
        assert_non_null(find(&t, 4567)); /* a zombie is not a kernel thread */

        /* --match on the whole command line, like pgrep -f. */
        assert_int_equal(regcomp(&re, "config_file=.*postgresql", REG_EXTENDED | REG_NOSUB), 0);
        f.match = &re;
        assert_int_equal(mb_proc_scan(&root, 0, &f, &t), 1);
        assert_non_null(find(&t, 1234));
        regfree(&re);
        /* Without a cmdline, the name is matched. */
        assert_int_equal(regcomp(&re, "^defunct-child$", REG_EXTENDED | REG_NOSUB), 0);
        assert_int_equal(mb_proc_scan(&root, 0, &f, &t), 1);
        assert_non_null(find(&t, 4567));
        regfree(&re);
        f.match = NULL;

        f.min_swap = 100 << 20;
        assert_int_equal(mb_proc_scan(&root, 0, &f, &t), 2);
        assert_non_null(find(&t, 1234));
        assert_non_null(find(&t, 2345));
        f.min_swap = 0;
        f.min_rss = 300 << 20;
        assert_int_equal(mb_proc_scan(&root, 0, &f, &t), 2);
        f.min_rss = 0;
        f.has_uid = true;
        f.uid = 65534;
        assert_int_equal(mb_proc_scan(&root, 0, &f, &t), 3); /* 1234, 3456, 4567 */
        assert_non_null(find(&t, 3456));
        f.has_uid = false;
        f.skip_kthreads = false;
        assert_int_equal(mb_proc_scan(&root, 0, &f, &t), 9);
        mb_proctab_release(&t);
        mb_root_close(&root);
}

static void test_scan_garbled_tree(void **state)
{
        struct mb_root root;
        struct mb_proctab t;

        (void)state;
        assert_int_equal(mb_root_open(&root, fixture("garbled/proc"), NULL), 0);
        mb_proctab_init(&t);
        assert_int_equal(mb_proc_scan(&root, ALL_FILES, NULL, &t), 3); /* 1, 101, 102 */
        assert_null(find(&t, 100));
        assert_int_equal(find(&t, 101)->starttime, 0);
        assert_true(find(&t, 101)->pss == MB_UNKNOWN);
        assert_true(find(&t, 102)->pss == MB_UNKNOWN);
        assert_int_equal(find(&t, 102)->starttime, 99);
        mb_proctab_release(&t);
        mb_root_close(&root);
}

static void test_proc_str_bounds(void **state)
{
        struct mb_proctab t;
        struct mb_proc p;

        (void)state;
        mb_proctab_init(&t);
        proc_init(&p);
        assert_string_equal(mb_proc_str(&t, 0), "");
        assert_string_equal(mb_proc_str(&t, 12345), "");
        assert_string_equal(mb_proc_cmdline(&t, &p), "");
        assert_int_equal(mb_proc_rss_swap(&p), -1);
        p.rss = 10;
        assert_int_equal(mb_proc_rss_swap(&p), 10);
        p.swap = 5;
        assert_int_equal(mb_proc_rss_swap(&p), 15);
        mb_proctab_release(&t);
        mb_proctab_release(NULL);
}

/* ----------------------------------------- unreadable files (EACCES path) */

static char tmpdir[64];

static int write_file(const char *dir, const char *name, const char *data, mode_t mode)
{
        char path[256];
        int fd;
        ssize_t n;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return -1;
        n = write(fd, data, strlen(data));
        close(fd);
        if (n != (ssize_t)strlen(data) || chmod(path, mode) < 0)
                return -1;
        return 0;
}

static int remove_tree(void **state)
{
        static const char *const files[] = {"4242/status", "4242/smaps_rollup", "4242/cmdline",
                                            "4243/status"};
        char path[256];

        (void)state;
        if (!tmpdir[0])
                return 0;
        snprintf(path, sizeof(path), "%s/4243", tmpdir);
        chmod(path, 0700);
        for (size_t i = 0; i < MB_ARRAY_SIZE(files); i++) {
                snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
                unlink(path);
        }
        snprintf(path, sizeof(path), "%s/4242", tmpdir);
        rmdir(path);
        snprintf(path, sizeof(path), "%s/4243", tmpdir);
        rmdir(path);
        rmdir(tmpdir);
        tmpdir[0] = '\0';
        return 0;
}

/* Scan the temporary tree; returns a bit per failed expectation (0 = ok).
 * Runs in a child that is not root (or in the test when it is not root). */
static int scan_unreadable(void)
{
        struct mb_root root;
        struct mb_proctab t;
        const struct mb_proc *p;
        int bad = 0;

        if (mb_root_open(&root, tmpdir, NULL) != 0)
                return 1;
        mb_proctab_init(&t);
        if (mb_proc_scan(&root, MB_SCAN_ROLLUP | MB_SCAN_CMDLINE, NULL, &t) != 1)
                bad |= 2;
        p = find(&t, 4242);
        if (!p || !(p->flags & MB_P_PSS_DENIED) || p->pss != MB_UNKNOWN || p->rss != KB(2048))
                bad |= 4;
        if (t.n_pss_denied != 1)
                bad |= 8;
        if (t.n_denied != 1) /* 4243: the directory itself is unreadable */
                bad |= 16;
        /* Status only, read through "PID/status" paths: same outcome. */
        if (mb_proc_scan(&root, 0, NULL, &t) != 1 || t.n_denied != 1 || t.n_pss_denied != 0)
                bad |= 32;
        mb_proctab_release(&t);
        mb_root_close(&root);
        return bad;
}

static void test_scan_unreadable_files(void **state)
{
        const char *status = "Name:\tsecret\nState:\tS (sleeping)\nPPid:\t1\n"
                             "Uid:\t0\t0\t0\t0\nKthread:\t0\nVmSize:\t4096 kB\nVmRSS:\t2048 kB\n"
                             "VmSwap:\t0 kB\n";
        const char *rollup = "Rss: 2048 kB\nPss: 1024 kB\nPrivate_Dirty: 512 kB\n";
        char d1[128], d2[128];
        int bad;

        (void)state;
        strcpy(tmpdir, "/tmp/fixtures-proc-XXXXXX");
        assert_non_null(mkdtemp(tmpdir));
        assert_int_equal(chmod(tmpdir, 0755), 0);
        snprintf(d1, sizeof(d1), "%s/4242", tmpdir);
        snprintf(d2, sizeof(d2), "%s/4243", tmpdir);
        assert_int_equal(mkdir(d1, 0755), 0);
        assert_int_equal(mkdir(d2, 0755), 0);
        assert_int_equal(write_file(d1, "status", status, 0644), 0);
        assert_int_equal(write_file(d1, "cmdline", "secret\0", 0644), 0);
        assert_int_equal(write_file(d1, "smaps_rollup", rollup, 0000), 0);
        assert_int_equal(write_file(d2, "status", status, 0644), 0);
        assert_int_equal(chmod(d2, 0000), 0);

        if (geteuid() != 0) {
                bad = scan_unreadable();
        } else {
                /* Root reads mode-0000 files (CAP_DAC_OVERRIDE): do the scan in
                 * a child that dropped to nobody, as a real non-root user. */
                pid_t pid = fork();
                int st;

                assert_true(pid >= 0);
                if (pid == 0) {
                        if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                            setresuid(65534, 65534, 65534) < 0)
                                _exit(100);
                        _exit(scan_unreadable());
                }
                assert_int_equal(waitpid(pid, &st, 0), pid);
                assert_true(WIFEXITED(st));
                bad = WEXITSTATUS(st);
                if (bad == 100)
                        skip(); /* cannot drop privileges here (a restricted container) */
        }
        if (bad)
                fail_msg("unreadable-files scan: failed checks mask 0x%x", bad);
}

/* ------------------------------------------------------------------- live */

static void test_scan_live_self(void **state)
{
        struct mb_root root;
        struct mb_proctab t;
        const struct mb_proc *p;
        struct mb_buf b = MB_BUF_INIT;
        struct mb_proc q;
        ssize_t n;

        (void)state;
        assert_int_equal(mb_root_open(&root, NULL, NULL), 0);
        mb_proctab_init(&t);
        assert_true(mb_proc_scan(&root, ALL_FILES, NULL, &t) > 1);
        p = find(&t, getpid());
        assert_non_null(p);
        assert_string_equal(p->name, "test-proc");
        assert_non_null(strstr(mb_proc_cmdline(&t, p), "test-proc"));
        assert_true(p->rss > 0);
        assert_true(p->vsz >= p->rss);
        assert_true(p->starttime > 0);
        assert_true(p->pss > 0);
        assert_true(p->uss > 0 && p->uss <= p->rss);
        assert_int_equal(p->ppid, getppid());
        /* (No claim on kernel threads: a container's /proc shows none.) */
        /* stat agrees with the scan (same identity). */
        n = mb_read_file_at(AT_FDCWD, "/proc/self/stat", &b, 0);
        assert_true(n > 0);
        proc_init(&q);
        assert_int_equal(mb_stat_parse(b.data, (size_t)n, &q), 0);
        assert_int_equal(q.starttime, p->starttime);
        mb_buf_release(&b);
        mb_proctab_release(&t);
        mb_root_close(&root);
}

/*
 * A scan split over threads (each its own table and string arena, merged in
 * order) gives the same table as one pass: rows, order, strings, counters.
 */
static void same_tables(const struct mb_proctab *a, const struct mb_proctab *b)
{
        assert_int_equal(a->n, b->n);
        assert_int_equal(a->n_seen, b->n_seen);
        assert_int_equal(a->n_kthreads, b->n_kthreads);
        assert_int_equal(a->n_zombies, b->n_zombies);
        assert_int_equal(a->n_vanished, b->n_vanished);
        assert_int_equal(a->n_denied, b->n_denied);
        assert_int_equal(a->n_pss_denied, b->n_pss_denied);
        assert_int_equal(a->n_filtered, b->n_filtered);
        for (size_t i = 0; i < a->n; i++) {
                const struct mb_proc *x = &a->p[i], *y = &b->p[i];
                assert_int_equal(x->pid, y->pid);
                assert_string_equal(x->name, y->name);
                assert_string_equal(mb_proc_cmdline(a, x), mb_proc_cmdline(b, y));
                assert_string_equal(mb_proc_str(a, x->cg_v2), mb_proc_str(b, y->cg_v2));
                assert_string_equal(mb_proc_str(a, x->cg_mem), mb_proc_str(b, y->cg_mem));
                assert_string_equal(mb_proc_str(a, x->cg_sd), mb_proc_str(b, y->cg_sd));
                assert_int_equal(x->flags, y->flags);
                assert_int_equal(x->rss, y->rss);
                assert_int_equal(x->swap, y->swap);
                assert_int_equal(x->pss, y->pss);
                assert_int_equal(x->uss, y->uss);
                assert_int_equal(x->starttime, y->starttime);
        }
}

static void test_scan_threads_same_table(void **state)
{
        struct mb_root root1, root2;
        struct mb_proctab one, many;
        regex_t re;

        (void)state;
        for (unsigned threads = 2; threads <= 5; threads++) {
                mb_scan_set_threads(1);
                scan_normal(&root1, &one, ALL_FILES, NULL);
                mb_scan_set_threads(threads);
                scan_normal(&root2, &many, ALL_FILES, NULL);
                same_tables(&one, &many);
                mb_proctab_release(&one);
                mb_proctab_release(&many);
                mb_root_close(&root1);
                mb_root_close(&root2);
        }
        /* with a filter: the dropped rows are counted the same */
        assert_int_equal(regcomp(&re, "python|postgres", REG_EXTENDED | REG_NOSUB), 0);
        {
                struct mb_scan_filter f = {.match = &re, .skip_kthreads = true};
                mb_scan_set_threads(1);
                scan_normal(&root1, &one, ALL_FILES, &f);
                mb_scan_set_threads(3);
                scan_normal(&root2, &many, ALL_FILES, &f);
                same_tables(&one, &many);
                assert_true(one.n > 0 && one.n_filtered > 0);
                mb_proctab_release(&one);
                mb_proctab_release(&many);
                mb_root_close(&root1);
                mb_root_close(&root2);
        }
        regfree(&re);
        mb_scan_set_threads(0);
}

/* Command lines read after the scan, for the rows shown: the same text as
 * a scan with MB_SCAN_CMDLINE; a process that is gone is marked. */
static void test_read_cmdlines_later(void **state)
{
        struct mb_root root;
        struct mb_proctab a, b;
        struct mb_proc *ghost;

        (void)state;
        assert_int_equal(mb_root_open(&root, NULL, NULL), 0);
        for (unsigned threads = 1; threads <= 3; threads += 2) {
                mb_scan_set_threads(threads);
                mb_proctab_init(&a);
                mb_proctab_init(&b);
                assert_true(mb_proc_scan(&root, MB_SCAN_CMDLINE, NULL, &a) > 1);
                assert_true(mb_proc_scan(&root, 0, NULL, &b) > 1);
                ghost = mb_proctab_slot(&b, 0x3ffffff); /* above any pid_max */
                assert_non_null(ghost);
                b.n++;
                assert_int_equal(mb_proc_read_cmdlines(&root, &b, b.n), 0);
                assert_true(b.p[b.n - 1].flags & MB_P_GONE);
                for (size_t i = 0; i + 1 < b.n; i++) {
                        const struct mb_proc *p = &b.p[i], *q = find(&a, p->pid);
                        if (!q || (p->flags & MB_P_GONE))
                                continue; /* started or ended between the scans */
                        if (p->pid == getpid())
                                assert_non_null(strstr(mb_proc_cmdline(&b, p), "test-proc"));
                        if (p->pid == getpid() || p->pid == 1)
                                assert_string_equal(mb_proc_cmdline(&b, p), mb_proc_cmdline(&a, q));
                }
                mb_proctab_release(&a);
                mb_proctab_release(&b);
        }
        mb_scan_set_threads(0);
        mb_root_close(&root);
}

/* Regression (fuzz/UBSan): Private_* sums that overflow make USS unknown. */
static void test_rollup_overflow(void **state)
{
        static const char r[] = "Pss: 1 kB\nPrivate_Clean: 9007199254740991 kB\n"
                                "Private_Dirty: 9007199254740991 kB\n";
        struct mb_proc p;

        (void)state;
        memset(&p, 0, sizeof(p));
        p.pss = p.uss = MB_UNKNOWN;
        assert_int_equal(mb_rollup_parse(r, sizeof(r) - 1, &p), 0);
        assert_int_equal(p.pss, 1024);
        assert_true(p.uss == MB_UNKNOWN);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_status_normal),
            cmocka_unit_test(test_stat_field),
            cmocka_unit_test(test_status_kernel_threads),
            cmocka_unit_test(test_status_zombie),
            cmocka_unit_test(test_status_truncated),
            cmocka_unit_test(test_status_garbled),
            cmocka_unit_test(test_status_edge_values),
            cmocka_unit_test(test_stat_comm_with_paren),
            cmocka_unit_test(test_stat_variants),
            cmocka_unit_test(test_rollup_fixture),
            cmocka_unit_test(test_rollup_variants),
            cmocka_unit_test(test_scan_normal_all_files),
            cmocka_unit_test(test_scan_status_only),
            cmocka_unit_test(test_scan_filters),
            cmocka_unit_test(test_scan_garbled_tree),
            cmocka_unit_test(test_proc_str_bounds),
            cmocka_unit_test_teardown(test_scan_unreadable_files, remove_tree),
            cmocka_unit_test(test_scan_live_self),
            cmocka_unit_test(test_rollup_overflow),
            cmocka_unit_test(test_scan_threads_same_table),
            cmocka_unit_test(test_read_cmdlines_later),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
