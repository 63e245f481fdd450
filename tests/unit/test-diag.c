/* test-diag.c: the diagnosis sampler (lib/diag): the history tick record
 * shared by watch and serve, the target's RAM as every output counts it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/config/config.h"
#include "../../lib/diag/diag.h"
#include "fixture-path.h"

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
        p->starttime = (uint64_t)pid * 10;
        snprintf(p->name, sizeof(p->name), "%s", name);
        p->rss = rss;
        p->swap = swap;
        p->pss = p->uss = p->swappss = p->gpu = MB_UNKNOWN;
        return p;
}

/* One tick record for watch and serve: the top N, every target process,
 * no kernel thread, no process whose RSS is unknown; VRAM of the devices
 * whose total and use are both known; the target's RAM as diagnosed. */
static void test_tick_record(void **state)
{
        struct mb_snapshot s;
        struct mb_target tg;
        struct mb_history_host h;
        struct mb_history_proc recs[8];
        struct mb_gpu gpus[2];
        regex_t re;
        size_t n;

        (void)state;
        mb_snapshot_init(&s);
        s.wall = 1000;
        s.mem.total = 16 * GIB;
        s.mem.used = 10 * GIB;
        s.mem.available = 6 * GIB;
        add(&s.procs, 2, 0, "kthreadd", 0, 0)->flags |= MB_P_KTHREAD;
        add(&s.procs, 10, 1, "big", 4 * GIB, 0);
        add(&s.procs, 11, 1, "vanished", MB_UNKNOWN, MB_UNKNOWN);
        add(&s.procs, 12, 1, "medium", 2 * GIB, 0);
        add(&s.procs, 13, 1, "small", 1 * GIB, 0);
        add(&s.procs, 20, 1, "omnimind", 100 * MIB, 0)->pss = 80 * MIB;
        assert_int_equal(regcomp(&re, "omnimind", REG_EXTENDED | REG_NOSUB), 0);
        assert_int_equal(mb_target_mark(&s.procs, &re, NULL, 999999), 1);
        mb_target_sum(&s.procs, true, &tg);
        memset(gpus, 0, sizeof(gpus));
        gpus[0].total = 8 * GIB;
        gpus[0].used = 1 * GIB;
        gpus[1].total = 4 * GIB;
        gpus[1].used = MB_UNKNOWN; /* watch used to add its total alone */
        s.have_gpus = true;
        s.gpus.dev = gpus;
        s.gpus.n = 2;

        n = mb_diag_tick_record(&s, &tg, 2, &h, recs);
        assert_int_equal(n, 3); /* big, medium (top 2, "vanished" skipped), omnimind */
        assert_int_equal(recs[0].pid, 10);
        assert_int_equal(recs[1].pid, 12);
        assert_int_equal(recs[2].pid, 20);
        assert_true(recs[2].target);
        assert_true(h.vram_total == 8 * GIB && h.vram_used == 1 * GIB);
        assert_int_equal(h.target_nprocs, 1);
        assert_true(h.target_ram == 80 * MIB); /* PSS, as status counts it */
        assert_true(isnan(h.swapin_ps));       /* no rates: unknown, not 0 */
        assert_true(h.ram_used == 10 * GIB && h.ram_available == 6 * GIB);

        /* no target configured: its totals are unknown, not 0 */
        mb_target_sum(&s.procs, false, &tg);
        tg.configured = false;
        n = mb_diag_tick_record(&s, &tg, 10, &h, recs);
        assert_int_equal(h.target_nprocs, -1);
        assert_true(h.target_ram == MB_UNKNOWN);
        assert_int_equal(n, 4);
        s.gpus.dev = NULL;
        s.gpus.n = 0;
        regfree(&re);
        mb_snapshot_release(&s);
}

/* Zombies are not target processes (issue 15 item 22). */
static void test_zombie_not_target(void **state)
{
        struct mb_proctab t;
        struct mb_target tg;
        regex_t re;

        (void)state;
        mb_proctab_init(&t);
        add(&t, 100, 1, "omnimind", 100 * MIB, 0)->pss = 90 * MIB;
        struct mb_proc *z = add(&t, 101, 100, "omnimind", 0, 0);
        z->flags |= MB_P_ZOMBIE;
        z->state = 'Z';
        assert_int_equal(regcomp(&re, "omnimind", REG_EXTENDED | REG_NOSUB), 0);
        assert_int_equal(mb_target_mark(&t, &re, NULL, 999999), 1);
        mb_target_sum(&t, true, &tg);
        assert_int_equal(tg.nprocs, 1);
        assert_int_equal(tg.rss_fallback, 0); /* no "PSS needs root" because of it */
        assert_string_equal(mb_target_ram_kind(&tg), "PSS");
        regfree(&re);
        mb_proctab_release(&t);
}

/* A sample of a captured tree: the record carries the target's RAM that
 * status shows, and no rates are claimed without a previous sample. */
static void test_sample_fixture(void **state)
{
        struct mb_root root;
        struct mb_config c;
        struct mb_config_warnings w = {0};
        struct mb_error err = {0};
        struct mb_diag d;
        struct mb_history_host h;
        struct mb_history_proc *recs;
        char proc[1024], sys[1024];

        (void)state;
        snprintf(proc, sizeof(proc), "%s/proc", fixture("scenario-target-over"));
        snprintf(sys, sizeof(sys), "%s/sys", fixture("scenario-target-over"));
        assert_int_equal(mb_root_open(&root, proc, sys), 0);
        assert_int_equal(
            mb_config_load(fixture("configs/target-omnimind.json"), false, &c, &w, &err), 0);
        mb_diag_init(&d);
        d.cfg = &c;
        d.rates = true;
        assert_int_equal(mb_diag_compile(&d, &c), 0);
        assert_int_equal(mb_diag_sample(&d, &root, &err), 0);
        assert_true(d.target.configured && d.target.nprocs > 0);
        assert_false(d.snap.rates.valid);
        recs = calloc(d.snap.procs.n, sizeof(*recs));
        assert_non_null(recs);
        mb_diag_tick_record(&d.snap, &d.target, 5, &h, recs);
        assert_true(h.target_ram == d.target.ram);
        assert_int_equal(h.target_nprocs, (int)d.target.nprocs);
        /* a second sample has a previous vmstat: the rates come from it */
        assert_int_equal(mb_diag_sample(&d, &root, &err), 0);
        assert_true(d.have_prev);
        free(recs);
        mb_diag_release(&d);
        mb_config_release(&c);
        mb_config_warnings_release(&w);
        mb_root_close(&root);
}

static void snap_init(struct mb_snapshot *s, int64_t total, int64_t avail, int64_t swap_used)
{
        mb_snapshot_init(s);
        s->mem.total = (uint64_t)total;
        s->mem.available = (uint64_t)avail;
        s->mem.used = (uint64_t)(total - avail);
        s->mem.swap_total = 8ull * GIB;
        s->mem.swap_used = (uint64_t)swap_used;
        s->have_psi = true;
}

static const struct mb_finding *find(const struct mb_findings *fs, const char *id, int pid)
{
        for (size_t i = 0; i < fs->n; i++)
                if (!strcmp(fs->f[i].id, id) && (pid < 0 || fs->f[i].pid == pid))
                        return &fs->f[i];
        return NULL;
}

/* Issue 15 item 19: one process thrashes, six idle ones sit in swap, the
 * target is idle.  The finding names who swaps in, the idle ones are info,
 * and the action does not tell the target to shrink. */
static void test_thrashing_names_swapper(void **state)
{
        struct mb_snapshot s;
        struct mb_config c;
        struct mb_target tg;
        struct mb_findings fs = {0};
        /* a thrasher reads back as much as is written out: its VmSwap need
         * not move, its major faults do */
        struct mb_swap_delta deltas[] = {{.pid = 300, .delta = 0, .majflt = 50000},
                                         {.pid = 501, .delta = 4 * MIB, .majflt = 0}};
        struct mb_problem_input in = {0};
        const struct mb_finding *f;
        regex_t re;

        (void)state;
        mb_config_defaults(&c);
        snap_init(&s, 23 * GIB, 19 * GIB, 3 * GIB);
        s.rates.valid = true;
        s.rates.interval_s = 0.5;
        s.rates.swapin_pages_per_s = 32000;
        add(&s.procs, 300, 1, "hog", 190 * MIB, 500 * MIB);
        add(&s.procs, 400, 1, "omnimind", 300 * MIB, 400 * MIB);
        for (int i = 0; i < 6; i++)
                add(&s.procs, 500 + i, 1, "idle", 50 * MIB, 300 * MIB);
        assert_int_equal(regcomp(&re, "omnimind", REG_EXTENDED | REG_NOSUB), 0);
        mb_target_mark(&s.procs, &re, NULL, 999999);
        mb_target_sum(&s.procs, true, &tg);
        in.snap = &s;
        in.cfg = &c;
        in.target = &tg;
        in.swap_deltas_known = true;
        in.swap_deltas = deltas;
        in.nswap_deltas = 2;
        in.swap_delta_s = 0.5;
        struct mb_swapper_cgroup cg = {
            .pid = 300, .path = "/app", .limit = 200 * MIB, .usage = 199 * MIB, .events_max = 9};
        in.swapper_cg = &cg;
        assert_true(mb_problems_run(&in, &fs) >= 0);
        f = find(&fs, "swap-thrashing", -1);
        assert_non_null(f);
        assert_int_equal(f->pid, 300);
        assert_non_null(strstr(f->evidence, "its memory cgroup /app: memory.limit_in_bytes "
                                            "200 MiB, using 199 MiB (full"));
        assert_non_null(strstr(f->evidence, "swapping in: pid 300 hog"));
        assert_non_null(strstr(f->action, "pid 300 (hog) is the one swapping in, not the target"));
        assert_null(strstr(f->action, "reduce the target's memory"));
        assert_null(strstr(f->evidence, "its memory.stat"));
        /* the cgroup's own swap-in count between the two samples */
        cg.swapin_counter = "workingset_refault_anon";
        cg.swapin_delta = 16000;
        cg.swapin_s = 0.5;
        mb_findings_release(&fs);
        assert_true(mb_problems_run(&in, &fs) >= 0);
        f = find(&fs, "swap-thrashing", -1);
        assert_non_null(f);
        assert_non_null(strstr(
            f->evidence, "its memory.stat workingset_refault_anon +16000 in 0.5 s (32000/s)"));
        f = find(&fs, "process-in-swap", 300);
        assert_non_null(f);
        assert_int_equal(f->severity, MB_SEV_HIGH);
        for (int i = 0; i < 6; i++) {
                f = find(&fs, "process-in-swap", 500 + i);
                assert_non_null(f);
                assert_int_equal(f->severity, MB_SEV_INFO); /* 501 only swapped out */
                if (i != 1)
                        assert_non_null(strstr(f->cause, "idle"));
        }
        f = find(&fs, "process-in-swap", 400); /* the target, idle too */
        assert_int_equal(f->severity, MB_SEV_INFO);

        /* the target is the one swapping in: then it is told to shrink */
        deltas[0].pid = 400;
        assert_true(mb_problems_run(&in, &fs) >= 0);
        f = find(&fs, "swap-thrashing", -1);
        assert_non_null(strstr(f->action, "reduce the target's memory"));
        regfree(&re);
        mb_findings_release(&fs);
        mb_snapshot_release(&s);
}

/* Issue 15 item 20: without sampled rates no finding claims "no swap-in"
 * or "0 pages/s". */
static void test_no_rates_claims_nothing(void **state)
{
        struct mb_snapshot s;
        struct mb_config c;
        struct mb_findings fs = {0};
        struct mb_problem_input in = {0};
        const struct mb_finding *f;

        (void)state;
        mb_config_defaults(&c);
        snap_init(&s, 23 * GIB, 17 * GIB, 7 * GIB);
        add(&s.procs, 4242, 1, "python", 900 * MIB, 1100 * MIB);
        in.snap = &s;
        in.cfg = &c;
        in.persisted_swappiness = -1;
        assert_true(mb_problems_run(&in, &fs) >= 0); /* cold: no pressure */
        f = find(&fs, "swap-cold", -1);
        assert_non_null(f);
        assert_null(strstr(f->cause, "no swap-in"));
        assert_non_null(strstr(f->cause, "not sampled"));
        f = find(&fs, "process-in-swap", 4242);
        assert_null(strstr(f->cause, "idle"));
        s.psi.have_full = true; /* PSI alone: thrashing */
        s.psi.full.avg10 = 30;
        assert_true(mb_problems_run(&in, &fs) >= 0);
        f = find(&fs, "swap-thrashing", -1);
        assert_non_null(f);
        assert_null(strstr(f->value, "pages/s"));
        assert_non_null(strstr(f->value, "rates not sampled"));
        for (size_t i = 0; i < fs.n; i++) {
                assert_null(strstr(fs.f[i].cause, "no swap-in"));
                assert_null(strstr(fs.f[i].evidence, "0 pages/s"));
        }
        mb_findings_release(&fs);
        mb_snapshot_release(&s);
}

/* Issue 15 item 24: a target process's leak line says that the target's
 * total is above ram_max, not the pid. */
static void test_leak_line_target_total(void **state)
{
        struct mb_report_leak l = {.kind = MB_RL_PROCESS, .eta_s = 0, .eta_of_target = true};
        char buf[256];

        (void)state;
        l.id.pid = 42;
        snprintf(l.id.name, sizeof(l.id.name), "worker");
        l.leak.slope = 1e5;
        l.leak.t_start = 0;
        l.leak.t_end = 1800;
        mb_report_leak_text(&l, buf, sizeof(buf));
        assert_non_null(strstr(buf, "pid 42 worker"));
        assert_non_null(strstr(buf, "the target's total already above ram_max"));
        l.eta_of_target = false;
        mb_report_leak_text(&l, buf, sizeof(buf));
        assert_non_null(strstr(buf, ", already above ram_max"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_tick_record),
            cmocka_unit_test(test_zombie_not_target),
            cmocka_unit_test(test_sample_fixture),
            cmocka_unit_test(test_thrashing_names_swapper),
            cmocka_unit_test(test_no_rates_claims_nothing),
            cmocka_unit_test(test_leak_line_target_total),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
