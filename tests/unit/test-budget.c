/* test-budget.c: target marking, the problems engine on hand-built
 * snapshots, budget metrics and the baseline store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/analyze/budget.h"
#include "../../lib/analyze/problems.h"
#include "../../lib/analyze/target.h"
#include "../../lib/store/baseline.h"

#define MIB (1024ll * 1024)
#define GIB (1024ll * MIB)

static struct mb_proc *add(struct mb_proctab *t, int pid, int ppid, const char *name, int64_t rss,
                           int64_t swap)
{
        struct mb_proc *p;

        if (t->n == t->cap) {
                t->cap = t->cap ? t->cap * 2 : 16;
                t->p = realloc(t->p, t->cap * sizeof(*t->p));
        }
        p = &t->p[t->n++];
        memset(p, 0, sizeof(*p));
        p->pid = pid;
        p->ppid = ppid;
        snprintf(p->name, sizeof(p->name), "%s", name);
        p->rss = rss;
        p->swap = swap;
        p->vsz = rss * 2;
        p->pss = p->uss = p->swappss = p->gpu = MB_UNKNOWN;
        return p;
}

static void snap_init(struct mb_snapshot *s, int64_t total, int64_t avail, int64_t swap_used)
{
        mb_snapshot_init(s);
        s->mem.total = (uint64_t)total;
        s->mem.available = (uint64_t)avail;
        s->mem.used = (uint64_t)(total - avail);
        s->mem.swap_total = 8ull * GIB;
        s->mem.swap_used = (uint64_t)swap_used;
        s->have_swappiness = true;
        s->swappiness = 10;
        s->have_psi = true;
}

static bool has(const struct mb_findings *fs, const char *id, enum mb_severity *sev)
{
        for (size_t i = 0; i < fs->n; i++)
                if (!strcmp(fs->f[i].id, id)) {
                        if (sev)
                                *sev = fs->f[i].severity;
                        return true;
                }
        return false;
}

static void run(struct mb_snapshot *s, struct mb_config *c, struct mb_target *tg,
                struct mb_findings *fs)
{
        struct mb_problem_input in = {
            .snap = s, .cfg = c, .target = tg, .persisted_swappiness = 10, .persisted_known = true};
        assert_true(mb_problems_run(&in, fs) >= 0);
}

static void test_target_descendants(void **state)
{
        struct mb_proctab t;
        struct mb_target tg;
        regex_t re;

        (void)state;
        mb_proctab_init(&t);
        add(&t, 1, 0, "init", 10 * MIB, 0);
        add(&t, 100, 1, "server", 100 * MIB, 0);
        add(&t, 101, 100, "worker", 200 * MIB, 5 * MIB)->pss = 150 * MIB;
        add(&t, 102, 101, "grandchild", 50 * MIB, 0);
        add(&t, 200, 1, "other", 500 * MIB, 0);
        assert_int_equal(regcomp(&re, "^server$", REG_EXTENDED | REG_NOSUB), 0);
        /* no cmdline read: the name is matched (like pgrep -f on a kernel thread) */
        assert_int_equal(mb_target_mark(&t, &re, NULL, 999999), 3);
        mb_target_sum(&t, true, &tg);
        assert_int_equal(tg.nprocs, 3);
        assert_int_equal(tg.ram, 100 * MIB + 150 * MIB + 50 * MIB); /* PSS where known */
        assert_int_equal(tg.rss_fallback, 2);
        assert_int_equal(tg.swap, 5 * MIB);
        /* workers: the children of the target's parent (server 100), RSS+swap,
         * the parent left out (issue 15 item 23) */
        assert_int_equal(tg.nworkers, 1);
        assert_int_equal(tg.worker_median, 200 * MIB + 5 * MIB);
        assert_true(tg.vram == MB_UNKNOWN);
        /* membudget itself is never part of the target */
        assert_int_equal(mb_target_mark(&t, &re, NULL, 100), 0);
        regfree(&re);
        mb_proctab_release(&t);
}

static void test_healthy_is_silent(void **state)
{
        struct mb_snapshot s;
        struct mb_config c;
        struct mb_findings fs = {0};

        (void)state;
        mb_config_defaults(&c);
        snap_init(&s, 16 * GIB, 14 * GIB, 0);
        add(&s.procs, 1, 0, "init", 10 * MIB, 0);
        run(&s, &c, NULL, &fs);
        assert_int_equal(fs.n, 0);
        mb_findings_release(&fs);
        mb_snapshot_release(&s);
}

static void test_swap_judged_by_activity(void **state)
{
        struct mb_snapshot s;
        struct mb_config c;
        struct mb_findings fs = {0};
        enum mb_severity sev;

        (void)state;
        mb_config_defaults(&c);
        snap_init(&s, 23 * GIB, 17 * GIB, 7 * GIB); /* 6 GiB used, 7 GiB swap */
        add(&s.procs, 4242, 1, "python", 900 * MIB, 1100 * MIB);
        /* cold: no rates, no pressure */
        run(&s, &c, NULL, &fs);
        assert_true(has(&fs, "swap-cold", &sev));
        assert_int_equal(sev, MB_SEV_INFO);
        assert_true(has(&fs, "swap-exceeds-ram", &sev));
        assert_int_equal(sev, MB_SEV_INFO);
        assert_false(has(&fs, "swap-thrashing", NULL));
        assert_true(has(&fs, "process-in-swap", &sev));
        assert_int_equal(sev, MB_SEV_INFO);

        /* swap-in above the threshold: thrashing, critical */
        s.rates.valid = true;
        s.rates.interval_s = 1;
        s.rates.swapin_pages_per_s = 5000;
        run(&s, &c, NULL, &fs);
        assert_true(has(&fs, "swap-thrashing", &sev));
        assert_int_equal(sev, MB_SEV_CRITICAL);
        assert_int_equal(fs.f[0].severity, MB_SEV_CRITICAL); /* sorted */
        assert_false(has(&fs, "swap-cold", NULL));

        /* no rates: PSI full alone decides */
        s.rates.valid = false;
        s.psi.have_full = true;
        s.psi.full.avg10 = 30;
        run(&s, &c, NULL, &fs);
        assert_true(has(&fs, "swap-thrashing", NULL));
        mb_findings_release(&fs);
        mb_snapshot_release(&s);
}

static void test_vsz_is_info_never_ulimit(void **state)
{
        struct mb_snapshot s;
        struct mb_config c;
        struct mb_findings fs = {0};
        enum mb_severity sev;

        (void)state;
        mb_config_defaults(&c);
        snap_init(&s, 16 * GIB, 14 * GIB, 0);
        add(&s.procs, 10, 1, "python", 800 * MIB, 0)->vsz = 18 * GIB;
        run(&s, &c, NULL, &fs);
        assert_true(has(&fs, "large-vsz", &sev));
        assert_int_equal(sev, MB_SEV_INFO);
        for (size_t i = 0; i < fs.n; i++)
                assert_null(strstr(fs.f[i].action, "ulimit -v 3"));
        mb_findings_release(&fs);
        mb_snapshot_release(&s);
}

static void test_target_and_config_rules(void **state)
{
        struct mb_snapshot s;
        struct mb_config c;
        struct mb_findings fs = {0};
        struct mb_target tg = {.configured = true,
                               .nprocs = 3,
                               .ram = 4 * GIB,
                               .swap = 0,
                               .vram = 3584 * MIB,
                               .worker_median = 1500 * MIB};

        (void)state;
        mb_config_defaults(&c);
        c.worker_processes = 2;
        c.cache_size_mb = 256;
        snap_init(&s, 16 * GIB, 8 * GIB, 0);
        s.swappiness = 60;
        run(&s, &c, &tg, &fs);
        assert_true(has(&fs, "target-ram-over", NULL));
        assert_true(has(&fs, "target-total-over", NULL)); /* 4096 + 3584 MiB > 7500 MiB */
        assert_false(has(&fs, "config-workers", NULL));   /* 2 x 1500 + 256 < 3500 */
        assert_true(has(&fs, "swappiness-high", NULL));
        tg.worker_median = 1700 * MIB;
        run(&s, &c, &tg, &fs);
        assert_true(has(&fs, "config-workers", NULL));
        /* set at runtime, not persisted */
        s.swappiness = 10;
        {
                struct mb_problem_input in = {.snap = &s,
                                              .cfg = &c,
                                              .target = &tg,
                                              .persisted_swappiness = -1,
                                              .persisted_known = true};
                assert_true(mb_problems_run(&in, &fs) >= 0);
                assert_true(has(&fs, "swappiness-not-persisted", NULL));
        }
        mb_findings_release(&fs);
        mb_snapshot_release(&s);
}

static void test_available_low(void **state)
{
        struct mb_snapshot s;
        struct mb_config c;
        struct mb_findings fs = {0};
        enum mb_severity sev;

        (void)state;
        mb_config_defaults(&c);
        snap_init(&s, 16 * GIB, 1500 * MIB, 0);
        run(&s, &c, NULL, &fs);
        assert_true(has(&fs, "available-low", &sev));
        assert_int_equal(sev, MB_SEV_HIGH);
        s.mem.available = 500 * MIB;
        run(&s, &c, NULL, &fs);
        assert_true(has(&fs, "available-low", &sev));
        assert_int_equal(sev, MB_SEV_CRITICAL);
        mb_findings_release(&fs);
        mb_snapshot_release(&s);
}

static void test_growth_kind(void **state)
{
        struct mb_snapshot s;
        struct mb_config c;
        struct mb_findings fs = {0};
        struct mb_inspect_finding g = {.kind = MB_MK_ANON,
                                       .delta_bytes = 240 * MIB,
                                       .rate_bytes_per_min = 24.0 * MIB,
                                       .share = 0.95,
                                       .total_growth_bytes = 250 * MIB};
        struct mb_problem_input in = {.persisted_swappiness = 10,
                                      .persisted_known = true,
                                      .growth = &g,
                                      .growth_pid = 4242,
                                      .growth_name = "python",
                                      .growth_seconds = 600};

        (void)state;
        mb_config_defaults(&c);
        snap_init(&s, 16 * GIB, 14 * GIB, 0);
        in.snap = &s;
        in.cfg = &c;
        assert_true(mb_problems_run(&in, &fs) >= 0);
        assert_true(has(&fs, "target-growth-kind", NULL));
        assert_non_null(strstr(fs.f[0].value, "pid 4242 python"));
        in.growth = NULL;
        assert_true(mb_problems_run(&in, &fs) >= 0);
        assert_false(has(&fs, "target-growth-kind", NULL));
        mb_findings_release(&fs);
        mb_snapshot_release(&s);
}

static void test_metrics_and_baseline(void **state)
{
        char dir[] = "/tmp/mb-test-baseline-XXXXXX", tmp[256];
        struct mb_snapshot s;
        struct mb_config c;
        struct mb_metrics m, b;
        struct mb_error err = {0};
        struct stat st;
        FILE *f;

        (void)state;
        assert_non_null(mkdtemp(dir));
        mb_config_defaults(&c);
        snap_init(&s, 16 * GIB, 14 * GIB, 100 * MIB);
        mb_metrics_compute(&s, NULL, &c, &m);
        assert_int_equal(m.m[MB_M_SWAP_USED].status, MB_MS_OK);
        assert_int_equal(m.m[MB_M_RAM_HOST].status, MB_MS_OK); /* 2 GiB < 3500 MiB */
        assert_int_equal(m.m[MB_M_RAM_TARGET].status, MB_MS_NA);
        assert_int_equal(m.m[MB_M_VRAM].status, MB_MS_NA);
        assert_true(mb_metrics_all_met(&m));
        s.mem.swap_used = 600 * MIB;
        mb_metrics_compute(&s, NULL, &c, &m);
        assert_int_equal(m.m[MB_M_SWAP_USED].status, MB_MS_FAIL);
        assert_false(mb_metrics_all_met(&m));

        /* round trip, mode 0600 */
        b = m;
        assert_int_equal(mb_baseline_load(dir, &b, &err), -ENOENT);
        assert_int_equal(mb_baseline_save(dir, &m), 0);
        snprintf(tmp, sizeof(tmp), "%s/baseline.json", dir);
        assert_int_equal(stat(tmp, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        memset(&b.m[MB_M_SWAP_USED].now, 0, sizeof(double));
        assert_int_equal(mb_baseline_load(dir, &b, &err), 0);
        assert_true(b.m[MB_M_SWAP_USED].now == (double)(600 * MIB));

        /* a write interrupted between temp file and rename: a half-written temp
         * file is left behind; the old baseline still loads, the next save works */
        snprintf(tmp, sizeof(tmp), "%s/baseline.json.tmp.ABC123", dir);
        f = fopen(tmp, "w");
        fputs("{\"version\": 1, \"metr", f);
        fclose(f);
        assert_int_equal(mb_baseline_load(dir, &b, &err), 0);
        assert_true(b.m[MB_M_SWAP_USED].now == (double)(600 * MIB));
        s.mem.swap_used = 10 * MIB;
        mb_metrics_compute(&s, NULL, &c, &m);
        assert_int_equal(mb_baseline_save(dir, &m), 0);
        assert_int_equal(mb_baseline_load(dir, &b, &err), 0);
        assert_true(b.m[MB_M_SWAP_USED].now == (double)(10 * MIB));

        /* garbled: an error with a position, not a crash */
        snprintf(tmp, sizeof(tmp), "%s/baseline.json", dir);
        f = fopen(tmp, "w");
        fputs("{\"version\": 1,\n  \"metrics\": [", f);
        fclose(f);
        assert_int_equal(mb_baseline_load(dir, &b, &err), -EINVAL);
        assert_int_equal(err.line, 2);

        assert_int_equal(mb_baseline_clear(dir), 0);
        assert_int_equal(mb_baseline_clear(dir), -ENOENT);
        snprintf(tmp, sizeof(tmp), "%s/baseline.json.tmp.ABC123", dir);
        unlink(tmp);
        rmdir(dir);
        mb_snapshot_release(&s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_target_descendants),
            cmocka_unit_test(test_healthy_is_silent),
            cmocka_unit_test(test_swap_judged_by_activity),
            cmocka_unit_test(test_vsz_is_info_never_ulimit),
            cmocka_unit_test(test_target_and_config_rules),
            cmocka_unit_test(test_available_low),
            cmocka_unit_test(test_growth_kind),
            cmocka_unit_test(test_metrics_and_baseline),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
