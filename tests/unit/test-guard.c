/* test-guard.c: the guard policy (lib/serve/guard.c), pure parts. */
#include <errno.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../lib/analyze/target.h"
#include "../../lib/serve/guard.h"

#define MIB (1024.0 * 1024.0)

static void config(struct mb_config *c)
{
        mb_config_defaults(c);
        c->guard_enabled = true;
        c->guard_dry_run = false;
        c->guard_for_s = 30;
        c->guard_swap_used_mb = 1000;
        c->guard_rate_limit_s = 300;
        mb_strlcpy(c->guard_kill_match, "worker", sizeof(c->guard_kill_match));
}

/* An observation with only swap_used measured. */
static void obs_swap(struct mb_guard_obs *o, const struct mb_config *c, double swap_mib)
{
        struct mb_snapshot s;
        struct mb_target tg = {0};

        memset(&s, 0, sizeof(s));
        s.mem.swap_used = (uint64_t)(swap_mib * MIB);
        s.mem.available = 10ull << 30;
        mb_guard_observe(&s, &tg, c, o);
}

static void test_observe(void **state)
{
        struct mb_config c;
        struct mb_snapshot s;
        struct mb_target tg = {.configured = true, .ram = 4000ll << 20};
        struct mb_guard_obs o;

        (void)state;
        config(&c);
        c.guard_target_over_ram = true; /* ram_max_mb defaults to 3500 */
        c.guard_available_min_mb = 2048;
        c.guard_psi_full_avg10 = 5;
        memset(&s, 0, sizeof(s));
        s.mem.swap_used = 500ull << 20;
        s.mem.available = 1ull << 30;
        s.have_psi = true;
        s.psi.have_full = true;
        s.psi.full.avg10 = 7.5;
        mb_guard_observe(&s, &tg, &c, &o);
        assert_true(o.enabled[MB_GC_SWAP_USED] && !o.holds[MB_GC_SWAP_USED]);
        assert_true(o.enabled[MB_GC_TARGET_RAM] && o.holds[MB_GC_TARGET_RAM]);
        assert_true(o.enabled[MB_GC_AVAILABLE] && o.holds[MB_GC_AVAILABLE]);
        assert_true(o.enabled[MB_GC_PSI_FULL] && o.holds[MB_GC_PSI_FULL]);
        assert_true(o.value[MB_GC_PSI_FULL] == 7.5);
        /* no target: the target condition cannot be measured */
        tg.configured = false;
        mb_guard_observe(&s, &tg, &c, &o);
        assert_false(o.enabled[MB_GC_TARGET_RAM]);
        /* conditions off (-1) are never enabled */
        c.guard_swap_used_mb = -1;
        c.guard_psi_full_avg10 = -1;
        mb_guard_observe(&s, &tg, &c, &o);
        assert_false(o.enabled[MB_GC_SWAP_USED]);
        assert_false(o.enabled[MB_GC_PSI_FULL]);
}

static void test_held_for_duration(void **state)
{
        struct mb_config c;
        struct mb_guard g;
        struct mb_guard_obs hi, lo;
        struct mb_guard_decision d;

        (void)state;
        config(&c);
        obs_swap(&hi, &c, 2000);
        obs_swap(&lo, &c, 10);
        mb_guard_init(&g);
        mb_guard_step(&g, &c, &hi, 100, &d);
        assert_int_equal(d.nev, 0); /* just started holding */
        mb_guard_step(&g, &c, &hi, 120, &d);
        assert_int_equal(d.nev, 0);
        /* interrupted: the episode restarts */
        mb_guard_step(&g, &c, &lo, 125, &d);
        mb_guard_step(&g, &c, &hi, 126, &d);
        mb_guard_step(&g, &c, &hi, 150, &d);
        assert_int_equal(d.nev, 0);
        mb_guard_step(&g, &c, &hi, 156, &d);
        assert_int_equal(d.nev, 1);
        assert_true(d.act);
        assert_int_equal(d.ev[0].cond, MB_GC_SWAP_USED);
        assert_true(d.ev[0].held_s >= 30);
        assert_true(d.ev[0].value == 2000 * MIB);
        assert_true(d.ev[0].threshold == 1000 * MIB);
        assert_true(d.signal && d.log && !d.hook && !d.dry_run);
        assert_int_equal(g.events[MB_GC_SWAP_USED], 1);
        assert_int_equal(g.actions[MB_GA_SIGNAL], 1);

        /* for_s 0: due on the first observation */
        c.guard_for_s = 0;
        mb_guard_init(&g);
        mb_guard_step(&g, &c, &hi, 1, &d);
        assert_true(d.act);

        /* disabled guard: never */
        c.guard_enabled = false;
        mb_guard_init(&g);
        mb_guard_step(&g, &c, &hi, 1, &d);
        mb_guard_step(&g, &c, &hi, 1000, &d);
        assert_false(d.act);
        assert_int_equal(d.nev, 0);
}

static void test_rate_limit(void **state)
{
        struct mb_config c;
        struct mb_guard g;
        struct mb_guard_obs hi;
        struct mb_guard_decision d;

        (void)state;
        config(&c);
        c.guard_for_s = 0;
        obs_swap(&hi, &c, 2000);
        mb_guard_init(&g);
        mb_guard_step(&g, &c, &hi, 10, &d);
        assert_true(d.act);
        mb_guard_step(&g, &c, &hi, 20, &d);
        assert_false(d.act);
        assert_true(d.rate_limited);
        assert_true(d.retry_in_s > 289 && d.retry_in_s < 291);
        mb_guard_step(&g, &c, &hi, 309, &d);
        assert_false(d.act);
        /* still holding once the limit passed: fires again */
        mb_guard_step(&g, &c, &hi, 310, &d);
        assert_true(d.act);
        assert_int_equal(g.events[MB_GC_SWAP_USED], 2);
        assert_int_equal(g.actions[MB_GA_LOG], 2);
}

static void test_dry_run(void **state)
{
        struct mb_config c;
        struct mb_guard g;
        struct mb_guard_obs hi;
        struct mb_guard_decision d;

        (void)state;
        config(&c);
        c.guard_for_s = 0;
        c.guard_dry_run = true;
        obs_swap(&hi, &c, 2000);
        mb_guard_init(&g);
        mb_guard_step(&g, &c, &hi, 10, &d);
        /* the decision says dry run; the caller only logs */
        assert_true(d.act);
        assert_true(d.dry_run);
}

/* A process table built by hand. */
static void add(struct mb_proctab *t, int pid, const char *cmdline, int64_t rss, int64_t swap,
                uint32_t flags)
{
        struct mb_proc *p;

        if (t->n == t->cap) {
                t->cap = t->cap ? 2 * t->cap : 8;
                t->p = realloc(t->p, t->cap * sizeof(*t->p));
                assert_non_null(t->p);
        }
        p = &t->p[t->n++];
        memset(p, 0, sizeof(*p));
        p->pid = pid;
        p->state = 'S';
        p->flags = flags;
        p->rss = rss;
        p->swap = swap;
        p->starttime = 1000 + (uint64_t)pid;
        snprintf(p->name, sizeof(p->name), "p%d", pid);
        if (t->strings.len == 0)
                assert_int_equal(mb_buf_append(&t->strings, "", 1), 0);
        if (cmdline && *cmdline) {
                p->cmdline = (uint32_t)t->strings.len;
                assert_int_equal(mb_buf_append(&t->strings, cmdline, strlen(cmdline) + 1), 0);
        }
}

static void test_victim(void **state)
{
        struct mb_proctab t;
        regex_t re;
        struct mb_guard_victim_rules rules = {.kill_match = &re, .self_pid = 500, .any_user = true};

        (void)state;
        mb_proctab_init(&t);
        assert_int_equal(regcomp(&re, "worker", REG_EXTENDED | REG_NOSUB), 0);
        add(&t, 1, "/sbin/init worker", 9000, 9000, 0);         /* PID 1: never */
        add(&t, 2, "", 8000, 0, MB_P_KTHREAD);                  /* kernel thread */
        add(&t, 3, "", 8000, 0, 0);                             /* no command line */
        add(&t, 500, "membudget serve worker", 7000, 0, 0);     /* self */
        add(&t, 600, "python worker.py", 100, 50, 0);           /* small match */
        add(&t, 700, "python worker.py --big", 200, 100, 0);    /* largest match */
        add(&t, 800, "postgres", 100000, 100000, 0);            /* largest, not matching */
        add(&t, 900, "zombie worker", 1 << 30, 0, MB_P_ZOMBIE); /* zombie */
        assert_int_equal(mb_guard_pick_victim(&t, &rules), 5);
        assert_int_equal(t.p[5].pid, 700);
        /* rss + swap decides: 600 with more swap overtakes */
        t.p[4].swap = 1000;
        assert_int_equal(t.p[mb_guard_pick_victim(&t, &rules)].pid, 600);
        /* nothing matches: none */
        regfree(&re);
        assert_int_equal(regcomp(&re, "^nomatch$", REG_EXTENDED | REG_NOSUB), 0);
        assert_int_equal(mb_guard_pick_victim(&t, &rules), -1);
        /* no kill_match: none, ever */
        rules.kill_match = NULL;
        assert_int_equal(mb_guard_pick_victim(&t, &rules), -1);
        rules.kill_match = &re;
        /* only excluded processes match: none */
        regfree(&re);
        assert_int_equal(regcomp(&re, "init|membudget|zombie", REG_EXTENDED | REG_NOSUB), 0);
        assert_int_equal(mb_guard_pick_victim(&t, &rules), -1);
        regfree(&re);
        mb_proctab_release(&t);
}

/* Issue 15.9: another user's process whose arguments carry the pattern
 * is never signalled, nor membudget's own launcher (timeout, runuser). */
static void test_victim_user_and_ancestors(void **state)
{
        struct mb_proctab t;
        struct mb_config c;
        struct mb_guard_victim_rules rules = {.self_pid = 500};
        regex_t re;

        (void)state;
        mb_proctab_init(&t);
        assert_int_equal(regcomp(&re, "omnimind", REG_EXTENDED | REG_NOSUB), 0);
        rules.kill_match = &re;
        add(&t, 400, "timeout 60 membudget serve --omnimind", 1 << 30, 0, 0); /* launcher */
        add(&t, 500, "membudget serve", 10, 0, 0);                            /* self */
        t.p[1].ppid = 400;
        add(&t, 600, "python omnimind.py", 1 << 20, 0, 0); /* the service, uid 998 */
        t.p[2].uid = 998;
        t.p[2].flags |= MB_P_TARGET;
        add(&t, 700, "sleep 1 omnimind", 1 << 28, 0, 0); /* a local user's decoy */
        t.p[3].uid = 1000;
        mb_config_defaults(&c);
        /* default with no unit: root only -> nothing here but the launcher, which is ours */
        assert_int_equal(mb_guard_kill_rules(&c, &t, &rules), 0);
        assert_int_equal(rules.uid, 0);
        assert_int_equal(mb_guard_pick_victim(&t, &rules), -1);
        /* with target.unit: the owner of the target's processes */
        mb_strlcpy(c.target_unit, "omnimind.service", sizeof(c.target_unit));
        assert_int_equal(mb_guard_kill_rules(&c, &t, &rules), 0);
        assert_int_equal(rules.uid, 998);
        assert_int_equal(t.p[mb_guard_pick_victim(&t, &rules)].pid, 600);
        /* "*": any user, still never our ancestor: the decoy is largest */
        mb_strlcpy(c.guard_kill_user, "*", sizeof(c.guard_kill_user));
        assert_int_equal(mb_guard_kill_rules(&c, &t, &rules), 0);
        assert_int_equal(t.p[mb_guard_pick_victim(&t, &rules)].pid, 700);
        mb_strlcpy(c.guard_kill_user, "root", sizeof(c.guard_kill_user));
        assert_int_equal(mb_guard_kill_rules(&c, &t, &rules), 0);
        assert_int_equal(mb_guard_pick_victim(&t, &rules), -1);
        mb_strlcpy(c.guard_kill_user, "mbtest-no-such-user", sizeof(c.guard_kill_user));
        assert_int_equal(mb_guard_kill_rules(&c, &t, &rules), -ENOENT);
        /* target.user: the decoy never counts toward the target */
        t.p[3].flags |= MB_P_TARGET;
        assert_int_equal(mb_target_keep_user(&t, ""), 0);
        assert_true(t.p[3].flags & MB_P_TARGET);
        assert_int_equal(mb_target_keep_user(&t, "root"), 0);
        assert_false(t.p[3].flags & MB_P_TARGET);
        assert_false(t.p[2].flags & MB_P_TARGET); /* uid 998 is not root either */
        t.p[1].flags |= MB_P_TARGET;
        assert_int_equal(mb_target_keep_user(&t, "mbtest-no-such-user"), -ENOENT);
        assert_false(t.p[1].flags & MB_P_TARGET);
        mb_config_release(&c);
        regfree(&re);
        mb_proctab_release(&t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_observe),    cmocka_unit_test(test_held_for_duration),
            cmocka_unit_test(test_rate_limit), cmocka_unit_test(test_dry_run),
            cmocka_unit_test(test_victim),     cmocka_unit_test(test_victim_user_and_ancestors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
