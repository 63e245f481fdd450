/* cli-diag.c: the diagnosis shared by status, check and baseline. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "../lib/act/sysctl.h"
#include "../lib/config/config.h"
#include "../lib/store/history-leaks.h"
#include "cli-diag.h"

void mb_sleep_until(double mono_deadline)
{
        double now = mb_now_mono();

        while (now < mono_deadline) {
                struct timespec ts;
                double d = mono_deadline - now;
                ts.tv_sec = (time_t)d;
                ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
                nanosleep(&ts, NULL);
                now = mb_now_mono();
        }
}

void mb_diag_init(struct mb_diag *d)
{
        memset(d, 0, sizeof(*d));
        mb_snapshot_init(&d->snap);
}

void mb_diag_release(struct mb_diag *d)
{
        mb_snapshot_release(&d->snap);
        mb_findings_release(&d->findings);
        if (d->have_re)
                regfree(&d->re);
        d->have_re = false;
}

int mb_cli_persisted_swappiness(int *ret)
{
        struct mb_sysctl_srcs srcs = {0};
        int r, w;

        *ret = -1;
        r = mb_sysctl_scan(mb_etc_root(), "vm.swappiness", &srcs);
        if (r < 0)
                return r;
        w = mb_sysctl_winner(&srcs);
        if (w >= 0)
                *ret = (int)strtol(srcs.s[w].value, NULL, 10);
        mb_sysctl_srcs_release(&srcs);
        return 0;
}

int mb_cli_diagnose(struct mb_cli *cli, const struct mb_diag_req *req, struct mb_diag *d)
{
        struct mb_problem_input in = {0};
        struct mb_diag_opts o = {0};
        struct mb_error err = {0};
        struct mb_findings leaks = {0};
        struct mb_vmstat vm0;
        char hpath[1200];
        bool have_vm0 = false;
        double t0 = 0;
        int r;

        if ((r = mb_cli_config(cli, &d->cfg)))
                return r;
        if ((r = mb_cli_root(cli)))
                return r;
        if (d->cfg->target_match[0]) {
                if (regcomp(&d->re, d->cfg->target_match, REG_EXTENDED | REG_NOSUB) != 0)
                        return mb_usage_error(cli, "invalid target.match regex '%s'",
                                              d->cfg->target_match);
                d->have_re = true;
                o.target_match = &d->re;
        }
        o.target_unit = d->cfg->target_unit;
        o.target_user = d->cfg->target_user;
        o.gpu = true;
        o.swap_listed_over = d->cfg->swap_threshold_mb > 0 ? d->cfg->swap_threshold_mb << 20 : 0;
        o.extra_scan = req->extra_scan;

        if (req->rates && cli->root.live) {
                have_vm0 = mb_vmstat_read(&cli->root, &vm0, NULL) == 0;
                t0 = mb_now_mono();
        }
        r = mb_diag_take(&cli->root, &o, &d->snap, &d->target, &err);
        if (r < 0)
                return mb_runtime_error(cli, "cannot read %s/%s: %s", cli->root.proc_path,
                                        err.where, err.msg);
        if (have_vm0) {
                struct mb_vmstat vm1;
                mb_sleep_until(t0 + req->sample_s);
                if (mb_vmstat_read(&cli->root, &vm1, NULL) == 0)
                        mb_rates_compute(&vm0, t0, &vm1, mb_now_mono(), &d->snap.rates);
        }
        in.snap = &d->snap;
        in.cfg = d->cfg;
        in.target = &d->target;
        d->persisted_swappiness = -1;
        /* The sysctl files belong to the live host: read them for a captured
         * tree only when MEMBUDGET_ETC_ROOT names its /etc. */
        if (cli->root.live || getenv("MEMBUDGET_ETC_ROOT"))
                in.persisted_known = mb_cli_persisted_swappiness(&d->persisted_swappiness) == 0;
        d->persisted_known = in.persisted_known;
        in.persisted_swappiness = d->persisted_swappiness;
        /* Leak suspects from the history, when one is being recorded. */
        /* (quietly: without HOME or a state dir there is simply no history) */
        if (cli->root.live && (cli->state_dir || geteuid() == 0 || getenv("HOME")) &&
            mb_cli_history_path(cli, d->cfg, NULL, false, hpath, sizeof(hpath)) == 0) {
                struct mb_error herr = {0};
                if (mb_history_leak_findings(hpath, mb_now_wall(), d->cfg->ram_max_mb << 20, &leaks,
                                             &herr) > 0) {
                        in.extra = leaks.f;
                        in.nextra = leaks.n;
                }
        }
        r = mb_problems_run(&in, &d->findings);
        mb_findings_release(&leaks);
        if (r < 0)
                return mb_runtime_error(cli, "out of memory");
        return 0;
}

int mb_cli_history_path(struct mb_cli *cli, const struct mb_config *cfg, const char *override,
                        bool create, char *buf, size_t len)
{
        const char *state;
        int r;

        if (override || cfg->history_path[0]) {
                char dir[1200];
                mb_strlcpy(buf, override ? override : cfg->history_path, len);
                mb_strlcpy(dir, buf, sizeof(dir));
                if (create && access(dirname(dir), F_OK) != 0 && (r = mb_mkdir_p(dir, 0700)) < 0)
                        return mb_runtime_error(cli, "cannot create '%s': %s", dir, mb_strerror(r));
                return 0;
        }
        if ((r = mb_cli_state_dir(cli, create, &state)))
                return r;
        snprintf(buf, len, "%s/history.db", state);
        return 0;
}

void mb_growth_init(struct mb_growth *g)
{
        memset(g, 0, sizeof(*g));
        mb_smaps_init(&g->smaps);
        mb_inspect_init(&g->prev);
        mb_inspect_init(&g->cur);
}

void mb_growth_release(struct mb_growth *g)
{
        mb_smaps_release(&g->smaps);
        mb_inspect_release(&g->prev);
        mb_inspect_release(&g->cur);
}

void mb_growth_sample(struct mb_growth *g, struct mb_root *root, const struct mb_snapshot *s,
                      double now)
{
        const struct mb_proc *big = NULL;
        struct mb_inspect tmp;

        for (size_t i = 0; i < s->procs.n; i++) {
                const struct mb_proc *p = &s->procs.p[i];
                if ((p->flags & MB_P_TARGET) &&
                    (!big || mb_proc_rss_swap(p) > mb_proc_rss_swap(big)))
                        big = p;
        }
        if (!big || big->starttime == 0) {
                g->have_prev = g->have_finding = false;
                return;
        }
        if (big->pid != g->pid || big->starttime != g->start) {
                g->have_prev = g->have_finding = false;
                g->pid = big->pid;
                g->start = big->starttime;
                mb_strlcpy(g->name, big->name, sizeof(g->name));
        }
        mb_smaps_reset(&g->smaps);
        if (mb_smaps_read(root, big->pid, &g->smaps) < 0 ||
            mb_inspect_analyze(&g->smaps, 0, &g->cur) < 0) {
                g->have_prev = false;
                return;
        }
        if (g->have_prev) {
                double dt = now - g->t;
                g->have_finding =
                    dt > 0 &&
                    mb_inspect_dominant_growth(&g->prev, &g->cur, dt, 16ll << 20, &g->finding) == 1;
                g->seconds = dt;
        }
        /* the current sample becomes the previous one */
        tmp = g->prev;
        g->prev = g->cur;
        g->cur = tmp;
        g->have_prev = true;
        g->t = now;
}

void mb_growth_input(const struct mb_growth *g, struct mb_problem_input *in)
{
        if (!g->have_finding)
                return;
        in->growth = &g->finding;
        in->growth_pid = g->pid;
        in->growth_name = g->name;
        in->growth_seconds = g->seconds;
}
