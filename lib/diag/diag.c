/* diag.c: see diag.h. */
#define _GNU_SOURCE
#include "diag.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../act/sysctl.h"
#include "../store/history-leaks.h"

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

/* ---- growth of the target's largest process ---- */

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

/* ---- the sampler ---- */

void mb_diag_init(struct mb_diag *d)
{
        memset(d, 0, sizeof(*d));
        mb_snapshot_init(&d->snap);
        mb_growth_init(&d->growth);
        d->persisted_swappiness = -1;
}

void mb_diag_release(struct mb_diag *d)
{
        mb_snapshot_release(&d->snap);
        mb_findings_release(&d->findings);
        mb_findings_release(&d->leak_findings);
        mb_growth_release(&d->growth);
        free(d->leaks);
        free(d->recs);
        free(d->deltas);
        free(d->swapped);
        d->deltas = NULL;
        d->swapped = NULL;
        if (d->have_re)
                regfree(&d->re);
        d->leaks = NULL;
        d->recs = NULL;
        d->have_re = false;
}

int mb_diag_compile(struct mb_diag *d, const struct mb_config *cfg)
{
        regex_t re;

        if (cfg->target_match[0] && regcomp(&re, cfg->target_match, REG_EXTENDED | REG_NOSUB) != 0)
                return -EINVAL;
        if (d->have_re)
                regfree(&d->re);
        d->have_re = cfg->target_match[0] != '\0';
        if (d->have_re)
                d->re = re;
        return 0;
}

int mb_diag_persisted_swappiness(const char *etc_root, int *ret)
{
        struct mb_sysctl_srcs srcs = {0};
        int r, w;

        *ret = -1;
        r = mb_sysctl_scan(etc_root, "vm.swappiness", &srcs);
        if (r < 0)
                return r;
        w = mb_sysctl_winner(&srcs);
        if (w >= 0)
                *ret = (int)strtol(srcs.s[w].value, NULL, 10);
        mb_sysctl_srcs_release(&srcs);
        return 0;
}

/* Leak suspects from the history (open, or a file read once), as findings. */
static void diag_leaks(struct mb_diag *d, double now_mono)
{
        struct mb_history *h = d->hist;
        struct mb_error err = {0};
        int64_t ram_max = d->cfg->ram_max_mb << 20;

        if (!h && !d->hist_path[0])
                return;
        if (d->leaks_done && now_mono < d->next_leaks)
                return;
        d->leaks_done = true;
        d->next_leaks = now_mono + d->leak_every_s;
        free(d->leaks);
        d->leaks = NULL;
        d->nleaks = 0;
        d->leak_findings.n = 0;
        if (!h && mb_history_open(d->hist_path, false, &h, &err) < 0)
                return; /* no history (yet), or unreadable: no suspects */
        if (mb_history_recent_leaks(h, d->snap.wall, ram_max, &d->leaks, &d->nleaks, &err) == 0)
                mb_leaks_to_findings(d->leaks, d->nleaks, &d->leak_findings);
        if (h != d->hist)
                mb_history_close(h);
}

/* Swap rates: measured over rate_sample_s on a first sample, else since
 * the previous sample. */
static void diag_rates(struct mb_diag *d, struct mb_root *root, bool have_vm0,
                       const struct mb_vmstat *vm0, double t0)
{
        struct mb_snapshot *s = &d->snap;

        memset(&s->rates, 0, sizeof(s->rates));
        if (!d->rates)
                return;
        if (have_vm0) {
                struct mb_vmstat vm1;
                mb_sleep_until(t0 + d->rate_sample_s);
                if (mb_vmstat_read(root, &vm1, NULL) == 0) {
                        double t1 = mb_now_mono();
                        mb_rates_compute(vm0, t0, &vm1, t1, &s->rates);
                        d->prev_vm = vm1;
                        d->prev_mono = t1;
                        d->have_prev = true;
                }
                return;
        }
        if (!s->have_vm)
                return;
        if (d->have_prev)
                mb_rates_compute(&d->prev_vm, d->prev_mono, &s->vm, s->mono, &s->rates);
        d->prev_vm = s->vm;
        d->prev_mono = s->mono;
        d->have_prev = true;
}

static int cmp_swapped(const void *a, const void *b)
{
        const struct mb_diag_swapped *x = a, *y = b;

        return (x->pid > y->pid) - (x->pid < y->pid);
}

static int add_delta(struct mb_diag *d, int pid, int64_t delta, int64_t majflt)
{
        if (MB_GROW(d->deltas, d->ndeltas, d->deltas_cap, 16) < 0)
                return -ENOMEM;
        d->deltas[d->ndeltas++] =
            (struct mb_swap_delta){.pid = pid, .delta = delta, .majflt = majflt};
        return 0;
}

/* Major faults of one process (/proc/PID/stat field 12), or -1. */
static int64_t read_majflt(struct mb_root *root, int pid)
{
        char path[32], buf[1024];
        uint64_t v;
        ssize_t n;

        snprintf(path, sizeof(path), "%d/stat", pid);
        n = mb_read_small_at(root->proc_fd, path, buf, sizeof(buf));
        if (n <= 0 || mb_stat_field(buf, (size_t)n, 12, &v) < 0 || v > INT64_MAX)
                return -1;
        return (int64_t)v;
}

/* VmSwap of one process now (bytes), or MB_UNKNOWN: the collector's own
 * status parser. */
static int64_t read_vmswap(struct mb_root *root, int pid)
{
        char path[32], buf[4096];
        struct mb_proc p = {.swap = MB_UNKNOWN};
        ssize_t n;

        snprintf(path, sizeof(path), "%d/status", pid);
        n = mb_read_small_at(root->proc_fd, path, buf, sizeof(buf));
        if (n <= 0 || mb_status_parse(buf, (size_t)n, &p) < 0)
                return MB_UNKNOWN;
        return p.swap;
}

/* The processes in swap now: pid, start time, swap (the snapshot's, or
 * read again with `reread`) and major faults, sorted by pid. */
static int swapped_now(struct mb_diag *d, struct mb_root *root, bool reread,
                       struct mb_diag_swapped **ret, size_t *n, size_t *cap)
{
        const struct mb_proctab *t = &d->snap.procs;

        *n = 0;
        for (size_t i = 0; i < t->n && *n < MB_DIAG_SWAPPED_MAX; i++) {
                const struct mb_proc *p = &t->p[i];
                if (p->swap == MB_UNKNOWN || p->swap <= 0 || (p->flags & MB_P_KTHREAD))
                        continue;
                if (MB_GROW(*ret, *n, *cap, 64) < 0)
                        return -ENOMEM;
                (*ret)[(*n)++] = (struct mb_diag_swapped){
                    .pid = p->pid,
                    .starttime = p->starttime,
                    .swap = reread ? read_vmswap(root, p->pid) : p->swap,
                    .majflt = read_majflt(root, p->pid),
                };
        }
        if (*n > 1)
                qsort(*ret, *n, sizeof(**ret), cmp_swapped);
        return 0;
}

/*
 * Who swaps: the major faults (pages read back in) and VmSwap change of
 * each process in swap between two samples: the previous tick's, or for a
 * first sample that measures the rates, the snapshot's and the same
 * processes read again after the rate interval (swapped_mark before it).
 */
static int swapped_mark(struct mb_diag *d, struct mb_root *root)
{
        d->swapped_mono = mb_now_mono();
        return swapped_now(d, root, false, &d->swapped, &d->nswapped, &d->swapped_cap);
}

static int diag_swappers(struct mb_diag *d, struct mb_root *root, bool reread)
{
        struct mb_diag_swapped *cur = NULL;
        size_t ncur = 0, cap = 0;
        double now = reread ? mb_now_mono() : d->snap.mono;

        d->ndeltas = 0;
        d->deltas_known = false;
        if (swapped_now(d, root, reread, &cur, &ncur, &cap) < 0) {
                free(cur);
                return -ENOMEM;
        }
        if (d->swapped_mono > 0) {
                for (size_t i = 0; i < ncur; i++) {
                        const struct mb_diag_swapped *c = &cur[i], *o;
                        int64_t dswap, dflt = 0;
                        o = bsearch(c, d->swapped, d->nswapped, sizeof(*c), cmp_swapped);
                        if (o && o->starttime != c->starttime)
                                o = NULL; /* another process */
                        if (c->swap == MB_UNKNOWN)
                                continue; /* gone */
                        dswap = c->swap - (o ? o->swap : 0);
                        if (o && o->majflt >= 0 && c->majflt >= o->majflt)
                                dflt = c->majflt - o->majflt;
                        if ((dswap || dflt) && add_delta(d, c->pid, dswap, dflt) < 0) {
                                free(cur);
                                return -ENOMEM;
                        }
                }
                d->deltas_known = true;
                d->deltas_s = now - d->swapped_mono;
        }
        free(d->swapped);
        d->swapped = cur;
        d->nswapped = ncur;
        d->swapped_cap = cap;
        d->swapped_mono = now;
        return 0;
}

/* The memory cgroup of a process of the snapshot: the v1 memory
 * controller's path, else the v2 "0::" one (the collector's /proc/PID/cgroup
 * parser, read now unless the scan had it).  false when unreadable. */
static bool memcg_of(struct mb_diag *d, struct mb_root *root, struct mb_proc *p, char *path,
                     size_t len, bool *v2)
{
        struct mb_proctab *t = &d->snap.procs;

        if (mb_proc_read_cgroup(root, t, p) < 0 || (!p->cg_mem && !p->cg_v2))
                return false;
        *v2 = !p->cg_mem;
        mb_strlcpy(path, mb_proc_str(t, p->cg_mem ? p->cg_mem : p->cg_v2), len);
        return path[0] != 0;
}

/* A memory cgroup's files under the root's /sys: v2 or the v1 memory mount. */
static void memcg_dir(struct mb_root *root, const char *path, bool v2, char *dir, size_t len)
{
        snprintf(dir, len, "%s/fs/cgroup%s%s", root->sys_path, v2 ? "" : "/memory", path);
}

/* Its swap-in counter now (memory.stat), or NULL. */
static const char *memcg_swapins(struct mb_root *root, const char *path, bool v2, int64_t *ret)
{
        char f[600], buf[8192];
        struct mb_cgmem m = {
            .pswpin = MB_CG_UNKNOWN, .refault_anon = MB_CG_UNKNOWN, .pgmajfault = MB_CG_UNKNOWN};

        snprintf(f, sizeof(f), "fs/cgroup%s%s/memory.stat", v2 ? "" : "/memory", path);
        if (root->sys_fd < 0 || mb_read_small_at(root->sys_fd, f, buf, sizeof(buf)) <= 0)
                return NULL;
        mb_cgmem_parse_stat(buf, &m);
        return mb_cgmem_swapin_counter(&m, ret);
}

/* A first sample that measures the rates: remember the memory cgroups of
 * the processes in swap, with their swap-in counters, so that the second
 * one has the rate of whichever swaps.  (From one tick to the next only the
 * swapper's own cgroup is remembered: swapper_rate.) */
static void cg_mark(struct mb_diag *d, struct mb_root *root)
{
        d->ncgmarks = 0;
        d->cgmarks_mono = mb_now_mono();
        for (size_t i = 0; i < d->snap.procs.n && d->ncgmarks < MB_DIAG_CGMARK_MAX; i++) {
                struct mb_proc *p = &d->snap.procs.p[i];
                struct mb_diag_cgmark *m = &d->cgmarks[d->ncgmarks];
                bool seen = false;
                if (p->swap == MB_UNKNOWN || p->swap <= 0 || (p->flags & MB_P_KTHREAD) ||
                    !memcg_of(d, root, p, m->path, sizeof(m->path), &m->v2))
                        continue;
                for (size_t k = 0; k < d->ncgmarks && !seen; k++)
                        seen = d->cgmarks[k].v2 == m->v2 && !strcmp(d->cgmarks[k].path, m->path);
                if (!seen && (m->counter = memcg_swapins(root, m->path, m->v2, &m->count)))
                        d->ncgmarks++;
        }
}

/* The cgroup's swap-ins (its memory.stat counter `key`, `count` now) since
 * it was marked; then it is the one mark, for the next tick. */
static void swapper_rate(struct mb_diag *d, struct mb_swapper_cgroup *cg, const char *key,
                         int64_t count)
{
        double now = mb_now_mono();

        cg->swapin_counter = NULL;
        for (size_t k = 0; key && k < d->ncgmarks; k++) {
                const struct mb_diag_cgmark *m = &d->cgmarks[k];
                if (m->v2 != cg->v2 || strcmp(m->path, cg->path) || strcmp(m->counter, key) ||
                    count < m->count)
                        continue;
                cg->swapin_counter = m->counter;
                cg->swapin_delta = count - m->count;
                cg->swapin_s = now - d->cgmarks_mono;
                break;
        }
        d->ncgmarks = 0;
        if (!key)
                return;
        d->cgmarks[0] = (struct mb_diag_cgmark){.v2 = cg->v2, .counter = key, .count = count};
        mb_strlcpy(d->cgmarks[0].path, cg->path, sizeof(d->cgmarks[0].path));
        d->ncgmarks = 1;
        d->cgmarks_mono = now;
}

/* The memory cgroup of the process that swaps in most: its path from
 * /proc/PID/cgroup, limit and use from the root's /sys (v1 or v2), its
 * pressure and swap-ins. */
static void swapper_cgroup(struct mb_diag *d, struct mb_root *root)
{
        struct mb_swapper_cgroup *cg = &d->swapper_cg;
        const struct mb_swap_delta *best = NULL;
        struct mb_proc *p = NULL;
        char dir[1400];
        struct mb_cgmem m;
        const char *key;
        int64_t count = 0;

        d->have_swapper_cg = false;
        for (size_t i = 0; i < d->ndeltas; i++)
                if (d->deltas[i].majflt > 0 && (!best || d->deltas[i].majflt > best->majflt))
                        best = &d->deltas[i];
        memset(cg, 0, sizeof(*cg));
        for (size_t i = 0; best && i < d->snap.procs.n && !p; i++)
                if (d->snap.procs.p[i].pid == best->pid)
                        p = &d->snap.procs.p[i];
        if (!p || root->sys_fd < 0 || !memcg_of(d, root, p, cg->path, sizeof(cg->path), &cg->v2))
                goto none;
        cg->pid = best->pid;
        cg->pswpin = -1;
        memcg_dir(root, cg->path, cg->v2, dir, sizeof(dir));
        if (mb_cgmem_read(dir, cg->v2 ? 2 : 1, cg->path, &m) < 0)
                goto none;
        cg->limit = m.max == MB_CG_UNKNOWN ? -1 : m.max < 0 ? 0 : m.max; /* 0: none */
        cg->usage = m.current == MB_CG_UNKNOWN ? -1 : m.current;
        cg->events_max = m.ev_max == MB_CG_UNKNOWN ? -1 : m.ev_max;
        cg->have_psi = m.have_psi;
        cg->psi_some10 = m.psi_some10;
        cg->psi_full10 = m.psi_full10;
        cg->pswpin = m.pswpin == MB_CG_UNKNOWN ? -1 : m.pswpin;
        key = mb_cgmem_swapin_counter(&m, &count);
        swapper_rate(d, cg, key, count);
        d->have_swapper_cg = cg->usage >= 0;
        return;
none:
        d->ncgmarks = 0; /* no swapper: the next rate starts from its own tick */
}

int mb_diag_sample(struct mb_diag *d, struct mb_root *root, struct mb_error *err)
{
        const struct mb_config *c = d->cfg;
        struct mb_diag_opts o = {0};
        struct mb_problem_input in = {0};
        struct mb_vmstat vm0;
        bool have_vm0 = false;
        double t0 = mb_now_mono();
        int r;

        o.target_match = d->target_match ? d->target_match : d->have_re ? &d->re : NULL;
        o.target_unit = c->target_unit;
        o.target_user = c->target_user;
        o.gpu = true;
        o.gpu_procs_lazy = d->lazy_gpu_procs;
        o.gpu_seen = d->gpu_seen;
        o.cmdlines = d->cmdlines;
        o.swap_listed_over = c->swap_threshold_mb > 0 ? c->swap_threshold_mb << 20 : 0;
        o.extra_scan = d->extra_scan;

        /* A first sample measures the rates over rate_sample_s (live only). */
        if (d->rates && !d->have_prev && d->rate_sample_s > 0 && root->live)
                have_vm0 = mb_vmstat_read(root, &vm0, NULL) == 0;
        r = mb_diag_take(root, &o, &d->snap, &d->target, err);
        if (r < 0)
                return r;
        if (d->snap.gpus.n)
                d->gpu_seen = true;
        if (have_vm0) {
                if (swapped_mark(d, root) < 0)
                        return -ENOMEM;
                cg_mark(d, root);
        }
        diag_rates(d, root, have_vm0, &vm0, t0);
        if (d->rates && diag_swappers(d, root, have_vm0) < 0)
                return -ENOMEM;
        swapper_cgroup(d, root);

        /* The sysctl files belong to the live host: read them for a captured
         * tree only when the root names its /etc. */
        d->persisted_swappiness = -1;
        d->persisted_known = false;
        if (root->live || root->etc_set)
                d->persisted_known =
                    mb_diag_persisted_swappiness(root->etc_path, &d->persisted_swappiness) == 0;
        diag_leaks(d, t0);
        if (d->growth_every_s > 0 && d->target.configured && t0 >= d->next_growth) {
                mb_growth_sample(&d->growth, root, &d->snap, d->snap.wall);
                d->next_growth = t0 + d->growth_every_s;
        }

        in.snap = &d->snap;
        in.cfg = c;
        in.target = &d->target;
        in.persisted_known = d->persisted_known;
        in.persisted_swappiness = d->persisted_swappiness;
        in.swap_deltas_known = d->deltas_known;
        in.swap_deltas = d->deltas;
        in.nswap_deltas = d->ndeltas;
        in.swap_delta_s = d->deltas_s;
        in.swapper_cg = d->have_swapper_cg ? &d->swapper_cg : NULL;
        mb_growth_input(&d->growth, &in);
        in.extra = d->leak_findings.f;
        in.nextra = d->leak_findings.n;
        if (mb_problems_run(&in, &d->findings) < 0)
                return -ENOMEM;
        return 0;
}

/* ---- the history tick record ---- */

size_t mb_diag_tick_record(const struct mb_snapshot *s, const struct mb_target *tg, size_t top_n,
                           struct mb_history_host *h, struct mb_history_proc *procs)
{
        size_t n = 0, ntop = 0;

        memset(h, 0, sizeof(*h));
        h->t = s->wall;
        h->ram_total = (int64_t)s->mem.total;
        h->ram_used = (int64_t)s->mem.used;
        h->ram_available = (int64_t)s->mem.available;
        h->swap_total = (int64_t)s->mem.swap_total;
        h->swap_used = (int64_t)s->mem.swap_used;
        h->vram_total = h->vram_used = MB_UNKNOWN;
        for (size_t i = 0; s->have_gpus && i < s->gpus.n; i++) {
                const struct mb_gpu *g = &s->gpus.dev[i];
                if (g->total == MB_UNKNOWN || g->used == MB_UNKNOWN)
                        continue;
                h->vram_total = (h->vram_total == MB_UNKNOWN ? 0 : h->vram_total) + g->total;
                h->vram_used = (h->vram_used == MB_UNKNOWN ? 0 : h->vram_used) + g->used;
        }
        h->swapin_ps = s->rates.valid ? s->rates.swapin_pages_per_s : NAN;
        h->swapout_ps = s->rates.valid ? s->rates.swapout_pages_per_s : NAN;
        h->psi_some10 = s->have_psi ? s->psi.some.avg10 : NAN;
        h->psi_full10 = s->have_psi && s->psi.have_full ? s->psi.full.avg10 : NAN;
        h->target_nprocs = tg->configured ? (int)tg->nprocs : -1;
        h->target_ram = tg->configured ? tg->ram : MB_UNKNOWN;
        h->target_swap = tg->configured ? tg->swap : MB_UNKNOWN;
        h->target_vram = tg->configured ? tg->vram : MB_UNKNOWN;

        /* the top top_n consumers (s->procs is sorted), and every target process */
        for (size_t i = 0; i < s->procs.n; i++) {
                const struct mb_proc *p = &s->procs.p[i];
                bool target = p->flags & MB_P_TARGET;
                if ((p->flags & MB_P_KTHREAD) || p->rss == MB_UNKNOWN)
                        continue;
                if (!target && ntop >= top_n)
                        continue;
                if (!target)
                        ntop++;
                procs[n++] = (struct mb_history_proc){
                    .pid = p->pid,
                    .starttime = p->starttime,
                    .name = p->name,
                    .cmdline = p->cmdline ? mb_proc_str(&s->procs, p->cmdline) : NULL,
                    .target = target,
                    .rss = p->rss,
                    .swap = p->swap,
                    .gpu = p->gpu,
                };
        }
        return n;
}

int mb_diag_record(struct mb_diag *d, struct mb_history *h, size_t top_n, struct mb_error *err)
{
        struct mb_history_host host;
        size_t n;

        if (d->snap.procs.n > d->recs_cap) {
                size_t nc = d->snap.procs.n + d->snap.procs.n / 2 + 16;
                void *p = realloc(d->recs, nc * sizeof(*d->recs));
                if (!p) {
                        mb_error_set(err, "history", 0, 0, "out of memory");
                        return -ENOMEM;
                }
                d->recs = p;
                d->recs_cap = nc;
        }
        n = mb_diag_tick_record(&d->snap, &d->target, top_n, &host, d->recs);
        return mb_history_write_tick(h, &host, d->recs, n, err);
}
