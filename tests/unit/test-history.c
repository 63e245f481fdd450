/*
 * test-history.c: the history store (lib/store/history.c): write and read
 * back, PID reuse kept apart, retention pruning, one writer at a time,
 * schema version checks, and the report statistics on a known history.
 *
 * `test-history --mkfixture FILE` writes the deterministic fixture history
 * that tests/live/report.sh renders and compares with
 * tests/fixtures/history/report.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/analyze/leaks.h"
#include "../../lib/diag/report.h"
#include "../../lib/out/report.h"
#include "../../lib/store/history.h"
#include "../../lib/store/history-leaks.h"

#define MiB       ((int64_t)1 << 20)
#define GiB       ((int64_t)1 << 30)
#define FIX_T0    1796083200.0 /* 2026-12-01 00:00:00 UTC */
#define FIX_TICKS 720          /* 2 h every 10 s */

static char dir[256];

static const char *tmp_path(const char *name)
{
        static char buf[4][512];
        static unsigned next;
        char *b = buf[next++ % 4];

        snprintf(b, 512, "%s/%s", dir, name);
        return b;
}

static int setup(void **state)
{
        (void)state;
        snprintf(dir, sizeof(dir), "/tmp/history-unit-XXXXXX");
        assert_non_null(mkdtemp(dir));
        return 0;
}

static int teardown(void **state)
{
        char cmd[300];

        (void)state;
        /* Only our own mkdtemp directory. */
        snprintf(cmd, sizeof(cmd), "%s", dir);
        if (strncmp(cmd, "/tmp/history-unit-", 18) == 0) {
                static const char *const sfx[] = {"", "-wal", "-shm", ".lock"};
                static const char *const names[] = {"a.db", "b.db", "c.db",  "d.db",
                                                    "e.db", "f.db", "new.db"};
                for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                        for (size_t j = 0; j < 4; j++) {
                                char p[512];
                                snprintf(p, sizeof(p), "%s/%s%s", dir, names[i], sfx[j]);
                                unlink(p);
                        }
                rmdir(dir);
        }
        return 0;
}

static struct mb_history_host host_at(double t)
{
        struct mb_history_host h = {
            .t = t,
            .ram_total = 24 * GiB,
            .ram_used = 4 * GiB,
            .ram_available = 20 * GiB,
            .swap_total = 8 * GiB,
            .swap_used = 0,
            .vram_total = MB_UNKNOWN,
            .vram_used = MB_UNKNOWN,
            .swapin_ps = NAN,
            .swapout_ps = NAN,
            .psi_some10 = 0.5,
            .psi_full10 = NAN,
            .target_nprocs = -1,
            .target_ram = MB_UNKNOWN,
            .target_swap = MB_UNKNOWN,
            .target_vram = MB_UNKNOWN,
        };
        return h;
}

static void test_write_read(void **state)
{
        struct mb_history *h;
        struct mb_error err = {0};
        struct mb_history_host *rows;
        struct mb_history_proc p = {.pid = 42,
                                    .starttime = 1000,
                                    .name = "worker",
                                    .cmdline = "python worker.py",
                                    .target = true,
                                    .rss = 100 * MiB,
                                    .swap = 5 * MiB,
                                    .gpu = MB_UNKNOWN};
        struct stat sb;
        size_t n;

        (void)state;
        assert_int_equal(mb_history_open(tmp_path("a.db"), true, &h, &err), 0);
        assert_int_equal(mb_history_schema(h), MB_HISTORY_SCHEMA);
        for (int i = 0; i < 20; i++) {
                struct mb_history_host x = host_at(FIX_T0 + i);
                x.swapin_ps = i;
                p.rss = (100 + i) * MiB;
                assert_int_equal(mb_history_write_tick(h, &x, &p, 1, &err), 0);
        }
        mb_history_close(h);
        assert_int_equal(stat(tmp_path("a.db"), &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0600);

        assert_int_equal(mb_history_open(tmp_path("a.db"), false, &h, &err), 0);
        assert_int_equal(mb_history_read_host(h, FIX_T0 + 5, FIX_T0 + 10, &rows, &n, &err), 0);
        assert_int_equal(n, 5);
        assert_true(rows[0].t == FIX_T0 + 5 && rows[0].swapin_ps == 5);
        assert_true(rows[0].vram_used == MB_UNKNOWN && isnan(rows[0].psi_full10));
        assert_int_equal(rows[0].target_nprocs, -1);
        free(rows);
        assert_int_equal(mb_history_count(h, "proc"), 20);
        assert_int_equal(mb_history_count(h, "proc_id"), 1);
        {
                struct mb_history_ident *ids;
                double *t = NULL, *v = NULL;
                size_t cap = 0, m;
                assert_int_equal(
                    mb_history_idents(h, FIX_T0, FIX_T0 + 100, false, 0, &ids, &n, &err), 0);
                assert_int_equal(n, 1);
                assert_int_equal(ids[0].pid, 42);
                assert_true(ids[0].target);
                assert_string_equal(ids[0].cmdline, "python worker.py");
                assert_int_equal(ids[0].peak, 124 * MiB);
                assert_int_equal(ids[0].last_v, 124 * MiB);
                assert_int_equal(
                    mb_history_series(h, ids[0].id, FIX_T0, FIX_T0 + 100, &t, &v, &cap, &m, &err),
                    0);
                assert_int_equal(m, 20);
                assert_true(v[19] == (double)(124 * MiB));
                free(ids);
                free(t);
                free(v);
        }
        /* A reader cannot write. */
        {
                struct mb_history_host x = host_at(FIX_T0 + 100);
                assert_int_equal(mb_history_write_tick(h, &x, NULL, 0, &err), -EBADF);
        }
        mb_history_close(h);
}

static void test_missing_and_foreign(void **state)
{
        struct mb_history *h;
        struct mb_error err = {0};
        FILE *f;

        (void)state;
        assert_int_equal(mb_history_open(tmp_path("new.db"), false, &h, &err), -ENOENT);
        assert_null(h);
        f = fopen(tmp_path("b.db"), "w");
        assert_non_null(f);
        fputs("not a database, just text that is long enough to look like a header......\n", f);
        fclose(f);
        assert_true(mb_history_open(tmp_path("b.db"), false, &h, &err) < 0);
        assert_non_null(strstr(err.msg, "not a database"));
}

static void test_pid_reuse(void **state)
{
        struct mb_history *h;
        struct mb_error err = {0};
        struct mb_history_ident *ids;
        size_t n;

        (void)state;
        assert_int_equal(mb_history_open(tmp_path("c.db"), true, &h, &err), 0);
        for (int i = 0; i < 10; i++) {
                struct mb_history_host x = host_at(FIX_T0 + i);
                /* Same pid 500: an old process, then a new one started later. */
                struct mb_history_proc p = {.pid = 500,
                                            .starttime = i < 5 ? 111 : 999,
                                            .name = i < 5 ? "old" : "new",
                                            .rss = i * MiB,
                                            .swap = MB_UNKNOWN,
                                            .gpu = MB_UNKNOWN};
                assert_int_equal(mb_history_write_tick(h, &x, &p, 1, &err), 0);
        }
        assert_int_equal(mb_history_count(h, "proc_id"), 2);
        assert_int_equal(mb_history_idents(h, FIX_T0, FIX_T0 + 10, false, 0, &ids, &n, &err), 0);
        assert_int_equal(n, 2);
        /* By peak: the new one (9 MiB) first, then the old one (4 MiB). */
        assert_string_equal(ids[0].name, "new");
        assert_int_equal(ids[0].starttime, 999);
        assert_int_equal(ids[0].nsamples, 5);
        assert_int_equal(ids[0].peak, 9 * MiB);
        assert_string_equal(ids[1].name, "old");
        assert_int_equal(ids[1].starttime, 111);
        assert_int_equal(ids[1].peak, 4 * MiB);
        free(ids);
        mb_history_close(h);
}

static void test_retention(void **state)
{
        struct mb_history *h;
        struct mb_error err = {0};
        struct mb_history_proc p = {
            .pid = 7, .starttime = 1, .name = "x", .rss = MiB, .swap = 0, .gpu = MB_UNKNOWN};

        (void)state;
        assert_int_equal(mb_history_open(tmp_path("d.db"), true, &h, &err), 0);
        mb_history_set_retention(h, 0); /* keep everything while writing */
        for (int i = 0; i < 10; i++) {
                struct mb_history_host x = host_at(FIX_T0 + i * 86400.0);
                p.pid = i < 5 ? 7 : 8; /* the old identity goes away with its samples */
                assert_int_equal(mb_history_write_tick(h, &x, &p, 1, &err), 0);
        }
        assert_int_equal(mb_history_count(h, "host"), 10);
        assert_int_equal(mb_history_prune(h, FIX_T0 + 5 * 86400.0, &err), 5);
        assert_int_equal(mb_history_count(h, "host"), 5);
        assert_int_equal(mb_history_count(h, "proc"), 5);
        assert_int_equal(mb_history_count(h, "proc_id"), 1);
        mb_history_close(h);

        /* Automatic: a 3-day retention prunes at the first tick. */
        assert_int_equal(mb_history_open(tmp_path("d.db"), true, &h, &err), 0);
        mb_history_set_retention(h, 3 * 86400.0);
        {
                struct mb_history_host x = host_at(FIX_T0 + 10 * 86400.0);
                assert_int_equal(mb_history_write_tick(h, &x, NULL, 0, &err), 0);
        }
        /* Days 7, 8, 9 and the new day 10 stay. */
        assert_int_equal(mb_history_count(h, "host"), 4);
        mb_history_close(h);
}

static void test_second_writer(void **state)
{
        struct mb_history *h, *h2 = NULL, *r;
        struct mb_error err = {0};
        char want[600];

        (void)state;
        assert_int_equal(mb_history_open(tmp_path("e.db"), true, &h, &err), 0);
        memset(&err, 0, sizeof(err));
        assert_int_equal(mb_history_open(tmp_path("e.db"), true, &h2, &err), -EBUSY);
        assert_null(h2);
        snprintf(want, sizeof(want), "history %s is being written by pid %d", tmp_path("e.db"),
                 (int)getpid());
        assert_string_equal(err.msg, want);
        /* A reader is fine meanwhile. */
        assert_int_equal(mb_history_open(tmp_path("e.db"), false, &r, &err), 0);
        mb_history_close(r);
        mb_history_close(h);
        /* Once closed, the next writer gets it. */
        assert_int_equal(mb_history_open(tmp_path("e.db"), true, &h2, &err), 0);
        mb_history_close(h2);
}

static void test_schema_newer(void **state)
{
        struct mb_history *h;
        struct mb_error err = {0};
        sqlite3 *db;

        (void)state;
        assert_int_equal(mb_history_open(tmp_path("f.db"), true, &h, &err), 0);
        mb_history_close(h);
        assert_int_equal(sqlite3_open(tmp_path("f.db"), &db), SQLITE_OK);
        assert_int_equal(
            sqlite3_exec(db, "INSERT INTO schema_version VALUES (99, 0)", NULL, NULL, NULL),
            SQLITE_OK);
        sqlite3_close(db);
        assert_int_equal(mb_history_open(tmp_path("f.db"), false, &h, &err), -EPROTO);
        assert_non_null(strstr(err.msg, "schema version 99 is newer"));
        assert_int_equal(mb_history_open(tmp_path("f.db"), true, &h, &err), -EPROTO);
}

static void test_period_stats(void **state)
{
        struct mb_history_host rows[100];
        struct mb_report_limits lim = {.ram_max = 3500 * MiB,
                                       .swap_max = 500 * MiB,
                                       .vram_max = 4000 * MiB,
                                       .available_min = 2048 * MiB,
                                       .thrash_swapin_ps = 100};
        struct mb_report_period p;

        (void)state;
        for (int i = 0; i < 100; i++) {
                rows[i] = host_at(FIX_T0 + i * 10.0);
                rows[i].ram_used = (i + 1) * MiB; /* 1..100 MiB */
                rows[i].swap_used = i < 25 ? 600 * MiB : 0;
                rows[i].swapin_ps = i < 10 ? 200 : 0;
        }
        /* A gap: the recorder stopped for an hour between sample 49 and 50. */
        for (int i = 50; i < 100; i++)
                rows[i].t += 3600;
        mb_report_period_compute(rows, 100, FIX_T0, FIX_T0 + 7200, &lim, &p);
        assert_true(p.ram_used.have);
        assert_true(p.ram_used.min == 1 * MiB && p.ram_used.peak == 100 * MiB);
        assert_true(p.ram_used.p95 == 95 * MiB);
        assert_true(fabs(p.ram_used.mean - 50.5 * MiB) < 1);
        assert_false(p.vram_used.have);
        assert_false(p.target_recorded);
        assert_true(p.interval_s == 10);
        assert_true(p.covered_s == 1000); /* the gap counts as one interval */
        assert_true(p.budget[MB_RB_SWAP_MAX].seconds_over == 250);
        assert_true(fabs(p.budget[MB_RB_SWAP_MAX].share - 0.25) < 1e-9);
        assert_true(p.budget[MB_RB_RAM_MAX].seconds_over == 0);
        assert_false(p.budget[MB_RB_VRAM_MAX].have);
        assert_true(p.swapin_heavy_s == 100);
        assert_true(p.swapin_pages == 200 * 100);
        assert_true(mb_report_eta(1000, 10, 2000) == 100);
        assert_true(mb_report_eta(3000, 10, 2000) == 0);
        assert_true(isnan(mb_report_eta(1000, 10, 0)));
}

static void test_leak_text(void **state)
{
        struct mb_report_leak l = {.kind = MB_RL_PROCESS};
        char buf[256];

        (void)state;
        l.id.pid = 4242;
        snprintf(l.id.cmdline, sizeof(l.id.cmdline), "python worker");
        l.leak.slope = 310.0 * MiB / 3600;
        l.leak.t_start = 0;
        l.leak.t_end = 45 * 60;
        l.eta_s = 3.2 * 3600;
        mb_report_leak_text(&l, buf, sizeof(buf));
        assert_string_equal(buf, "pid 4242 python worker: +310 MiB/h over 45 min, reaches ram_max "
                                 "in 3.2 h");
}

/* ---- the fixture history ------------------------------------------------ */

static uint32_t seed = 12345;
static int mkfixture(const char *path);

static double noise(void)
{
        seed = seed * 1664525u + 1013904223u;
        return (double)(seed >> 8) / (double)(1u << 23) - 1.0;
}

static int mkfixture(const char *path)
{
        struct mb_history *h;
        struct mb_error err = {0};
        int r;

        unlink(path);
        r = mb_history_open(path, true, &h, &err);
        if (r < 0) {
                fprintf(stderr, "mkfixture: %s\n", err.msg);
                return 1;
        }
        mb_history_set_retention(h, 0);
        for (int i = 0; i < FIX_TICKS; i++) {
                double t = FIX_T0 + i * 10.0, hour = i * 10.0 / 3600;
                struct mb_history_host x = host_at(t);
                struct mb_history_proc p[6];
                int64_t leak = 1536 * MiB + (int64_t)(310.0 * MiB * hour); /* +310 MiB/h */
                int64_t steady = 800 * MiB + (int64_t)(20 * MiB * noise());
                int64_t saw = 1200 * MiB + (int64_t)(300 * MiB * (double)(i % 30) / 30);
                int64_t step = (i >= 360 ? 700 : 200) * MiB;
                int np = 0;

                x.ram_used = 3 * GiB + leak / 2 + (int64_t)(100 * MiB * noise());
                x.ram_available = x.ram_total - x.ram_used - GiB;
                if (i >= 600 && i < 660)
                        x.ram_available = 1900 * MiB; /* 10 min below available_min */
                x.swap_used = (i < 360 ? 300 : 700) * MiB;
                x.vram_total = 4 * GiB;
                x.vram_used = (i >= 100 && i < 160 ? 4000 : 3500) * MiB + (i % 7) * MiB;
                x.swapin_ps = i == 0 ? NAN : (i >= 360 && i < 372 ? 250 : (i % 10) * 1.0);
                x.swapout_ps = i == 0 ? NAN : 0;
                x.psi_some10 = 0.25 * (i % 5);
                x.target_nprocs = 3;
                x.target_ram = leak + steady + step;
                x.target_swap = 50 * MiB;
                x.target_vram = MB_UNKNOWN;
                p[np++] = (struct mb_history_proc){4242, 90001, "python", "python worker",
                                                   true, leak,  0,        MB_UNKNOWN};
                p[np++] = (struct mb_history_proc){4243, 90002,  "python", "python worker",
                                                   true, steady, 0,        MB_UNKNOWN};
                p[np++] = (struct mb_history_proc){4244, 90003, "python", "python loader",
                                                   true, step,  0,        MB_UNKNOWN};
                p[np++] =
                    (struct mb_history_proc){100,   5000, "firefox", "/usr/lib/firefox/firefox",
                                             false, saw,  40 * MiB,  MB_UNKNOWN};
                /* PID reuse: pid 5000 is one job for 30 min, then another. */
                if (i < 180)
                        p[np++] = (struct mb_history_proc){5000,  111,       "job", "job --old",
                                                           false, 300 * MiB, 0,     MB_UNKNOWN};
                else
                        p[np++] = (struct mb_history_proc){5000,  777,       "job", "job --new",
                                                           false, 150 * MiB, 0,     MB_UNKNOWN};
                if (mb_history_write_tick(h, &x, p, (size_t)np, &err) < 0) {
                        fprintf(stderr, "mkfixture: %s\n", err.msg);
                        mb_history_close(h);
                        return 1;
                }
        }
        mb_history_close(h);
        {
                char lock[600];
                snprintf(lock, sizeof(lock), "%s.lock", path);
                unlink(lock);
        }
        return 0;
}

/* The last 30 min of the fixture as problem findings: the leaking worker
 * (and the target's total), not the step, the sawtooth or the steady one. */
static void test_leak_findings(void **state)
{
        struct mb_findings fs = {0};
        struct mb_error err = {0};
        int n;

        (void)state;
        assert_int_equal(mkfixture(tmp_path("a.db")), 0);
        n = mb_history_leak_findings(tmp_path("a.db"), FIX_T0 + 7200, 3500 * MiB, &fs, &err);
        assert_int_equal(n, 2);
        assert_string_equal(fs.f[0].id, "memory-leak");
        assert_int_equal(fs.f[0].pid, 4242);
        assert_non_null(strstr(fs.f[0].evidence, "pid 4242 python worker: +310 MiB/h over 29 min"));
        assert_string_equal(fs.f[1].id, "target-growth");
        mb_findings_release(&fs);
        assert_int_equal(mb_history_leak_findings(tmp_path("new.db"), FIX_T0, 0, &fs, &err), 0);
        assert_int_equal(fs.n, 0);
}

/* Durations in reports: sub-second sampling intervals keep their tenths. */
static void test_duration_text(void **state)
{
        char b[32];
        (void)state;
        assert_string_equal(mb_report_duration(0.5, b, sizeof(b)), "0.5 s");
        assert_string_equal(mb_report_duration(2.5, b, sizeof(b)), "2.5 s");
        assert_string_equal(mb_report_duration(1.0, b, sizeof(b)), "1 s");
        assert_string_equal(mb_report_duration(10.4, b, sizeof(b)), "10 s");
        assert_string_equal(mb_report_duration(3660, b, sizeof(b)), "1 h 1 min");
        assert_string_equal(mb_report_duration(-1, b, sizeof(b)), "-");
}

/* --compare SINCE..UNTIL: each part a time, the end after the start. */
static void test_parse_range(void **state)
{
        static const struct {
                const char *s;
                int r;
                double since, until;
        } cases[] = {
            {"14d..7d", 0, 1e6 - 14 * 86400, 1e6 - 7 * 86400},
            {"@100..@200", 0, 100, 200},
            {"2h..now", 0, 1e6 - 7200, 1e6},
            {"7d..14d", -ERANGE, 0, 0},
            {"@5..@5", -ERANGE, 0, 0},
            {"7d", -EINVAL, 0, 0},
            {"..7d", -EINVAL, 0, 0},
            {"7d..", -EINVAL, 0, 0},
            {"7d..soon", -EINVAL, 0, 0},
            {"90..7d", -EINVAL, 0, 0}, /* a bare number needs a unit */
        };

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                double a = -1, b = -1;
                assert_int_equal(mb_report_parse_range(cases[i].s, 1e6, &a, &b), cases[i].r);
                if (cases[i].r == 0) {
                        assert_true(fabs(a - cases[i].since) < 1e-6);
                        assert_true(fabs(b - cases[i].until) < 1e-6);
                }
        }
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_write_read),    cmocka_unit_test(test_missing_and_foreign),
            cmocka_unit_test(test_pid_reuse),     cmocka_unit_test(test_retention),
            cmocka_unit_test(test_second_writer), cmocka_unit_test(test_schema_newer),
            cmocka_unit_test(test_period_stats),  cmocka_unit_test(test_leak_text),
            cmocka_unit_test(test_leak_findings), cmocka_unit_test(test_duration_text),
            cmocka_unit_test(test_parse_range),
        };

        if (argc == 3 && !strcmp(argv[1], "--mkfixture"))
                return mkfixture(argv[2]);
        return cmocka_run_group_tests(tests, setup, teardown);
}
