/* problems.c: see problems.h.  One function per rule. */
#include "problems.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/size.h"

const char *const mb_severity_names[MB_SEV_COUNT] = {"info", "medium", "high", "critical"};

#define MIB (1024 * 1024)

struct mb_finding *mb_findings_add(struct mb_findings *fs, const char *id, enum mb_severity sev)
{
        struct mb_finding *f;

        if (MB_GROW(fs->f, fs->n, fs->cap, 16) < 0)
                return NULL;
        f = &fs->f[fs->n++];
        memset(f, 0, sizeof(*f));
        mb_strlcpy(f->id, id, sizeof(f->id));
        f->severity = sev;
        return f;
}

void mb_findings_release(struct mb_findings *fs)
{
        if (!fs)
                return;
        free(fs->f);
        fs->f = NULL;
        fs->n = fs->cap = 0;
}

static void set(char *dst, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set(char *dst, size_t len, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(dst, len, fmt, ap);
        va_end(ap);
}

#define SET(f, field, ...) set((f)->field, sizeof((f)->field), __VA_ARGS__)

static const char *sz(int64_t v, char *buf)
{
        return mb_size_format(v, buf, MB_SIZE_STRLEN);
}

enum mb_swap_activity mb_swap_activity(const struct mb_snapshot *s, const struct mb_config *c)
{
        bool rate_thrash =
            s->rates.valid && s->rates.swapin_pages_per_s > c->thrash_swapin_pages_per_s;
        bool psi_thrash =
            s->have_psi && s->psi.have_full && s->psi.full.avg10 > c->thrash_psi_full_avg10;
        bool active = (s->rates.valid && s->rates.swapin_pages_per_s > 0) ||
                      (s->have_psi && s->psi.some.avg10 > 1.0);

        if (s->mem.swap_used == 0 && !rate_thrash && !psi_thrash)
                return MB_SWAP_NONE;
        if (rate_thrash || psi_thrash)
                return MB_SWAP_THRASHING;
        return active ? MB_SWAP_ACTIVE : MB_SWAP_COLD;
}

static void activity_evidence(const struct mb_snapshot *s, char *buf, size_t len)
{
        int n = 0;

        if (s->rates.valid)
                n = snprintf(buf, len, "swap-in %.0f pages/s, swap-out %.0f pages/s over %.1f s",
                             s->rates.swapin_pages_per_s, s->rates.swapout_pages_per_s,
                             s->rates.interval_s);
        else
                n = snprintf(buf, len, "swap rates not sampled");
        if (n < 0 || (size_t)n >= len)
                return;
        if (s->have_psi)
                snprintf(buf + n, len - (size_t)n,
                         "; memory PSI some avg10 %.2f%%, full avg10 %.2f%%", s->psi.some.avg10,
                         s->psi.have_full ? s->psi.full.avg10 : 0.0);
        else
                snprintf(buf + n, len - (size_t)n, "; no PSI on this kernel");
}

static void rule_swap(const struct mb_problem_input *in, enum mb_swap_activity act,
                      struct mb_findings *fs)
{
        const struct mb_snapshot *s = in->snap;
        const struct mb_config *c = in->cfg;
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN], ev[256];
        struct mb_finding *f;

        activity_evidence(s, ev, sizeof(ev));
        if (act == MB_SWAP_THRASHING) {
                f = mb_findings_add(fs, "swap-thrashing", MB_SEV_CRITICAL);
                if (!f)
                        return;
                SET(f, title, "swap thrashing");
                SET(f, value, "%.0f pages/s in",
                    s->rates.valid ? s->rates.swapin_pages_per_s : 0.0);
                SET(f, cause,
                    "the working set does not fit in RAM: pages are read back from swap "
                    "as fast as they are written out");
                SET(f, evidence, "%s", ev);
                SET(f, action,
                    "reduce the target's memory (workers, batch, cache) or limit it with "
                    "'membudget limit'; close other large consumers");
        } else if (act == MB_SWAP_COLD) {
                f = mb_findings_add(fs, "swap-cold", MB_SEV_INFO);
                if (!f)
                        return;
                SET(f, title, "cold pages in swap");
                SET(f, value, "%s", sz((int64_t)s->mem.swap_used, a));
                SET(f, cause,
                    "idle pages were moved to swap; no swap-in and no memory pressure, so "
                    "they cost nothing now");
                SET(f, evidence, "%s", ev);
                SET(f, action,
                    "nothing urgent; lower vm.swappiness to keep more in RAM, or "
                    "'membudget tune --swap-cycle' when RAM can absorb it");
        }

        if (s->mem.swap_used > s->mem.used && s->mem.swap_used > 0) {
                f = mb_findings_add(fs, "swap-exceeds-ram",
                                    act == MB_SWAP_THRASHING ? MB_SEV_HIGH
                                    : act == MB_SWAP_ACTIVE  ? MB_SEV_MEDIUM
                                                             : MB_SEV_INFO);
                if (!f)
                        return;
                SET(f, title, "more in swap than in RAM");
                SET(f, value, "swap %s > RAM used %s", sz((int64_t)s->mem.swap_used, a),
                    sz((int64_t)s->mem.used, b));
                SET(f, cause, "%s",
                    act == MB_SWAP_THRASHING ? "memory was short and is still short: the swapped "
                                               "pages are being used"
                                             : "memory was short at some point; the size alone "
                                               "does not hurt while the pages stay idle");
                SET(f, evidence, "%s", ev);
                SET(f, action,
                    "find who is in swap with 'membudget swap'; judge by activity, not "
                    "size");
        }
        if (s->mem.swap_used > (uint64_t)c->swap_max_mb * MIB) {
                f = mb_findings_add(fs, "swap-over-max",
                                    act == MB_SWAP_THRASHING ? MB_SEV_HIGH : MB_SEV_MEDIUM);
                if (!f)
                        return;
                SET(f, title, "swap used over the budget's swap_max_mb");
                SET(f, value, "%s > %lld MiB", sz((int64_t)s->mem.swap_used, a),
                    (long long)c->swap_max_mb);
                SET(f, cause, "swap is meant as a fallback only");
                SET(f, evidence, "%s", ev);
                SET(f, action,
                    "'membudget swap' for the processes; lower vm.swappiness "
                    "('membudget tune'); 'membudget tune --swap-cycle' when it fits");
        }
}

static void rule_process_swap(const struct mb_problem_input *in, enum mb_swap_activity act,
                              struct mb_findings *fs)
{
        const struct mb_proctab *t = &in->snap->procs;
        int64_t thr = in->cfg->swap_threshold_mb * MIB;
        char a[MB_SIZE_STRLEN];
        unsigned listed = 0, more = 0;

        for (size_t i = 0; i < t->n; i++) {
                const struct mb_proc *p = &t->p[i];
                const char *cl;
                struct mb_finding *f;

                if (p->swap == MB_UNKNOWN || p->swap <= thr)
                        continue;
                if (listed >= MB_PROBLEMS_SWAP_LISTED) {
                        more++;
                        continue;
                }
                f = mb_findings_add(fs, "process-in-swap",
                                    act == MB_SWAP_THRASHING   ? MB_SEV_HIGH
                                    : (p->flags & MB_P_TARGET) ? MB_SEV_MEDIUM
                                                               : MB_SEV_INFO);
                if (!f)
                        return;
                cl = mb_proc_cmdline(t, p);
                f->pid = p->pid;
                SET(f, title, "process over swap_threshold in swap");
                SET(f, value, "pid %d %s: %s", p->pid, p->name, sz(p->swap, a));
                SET(f, cause, "%s",
                    act == MB_SWAP_THRASHING ? "RAM is short and this process's "
                                               "pages are being swapped"
                                             : "its idle pages were swapped out");
                SET(f, evidence, "VmSwap %s (threshold %lld MiB)%s%.200s", sz(p->swap, a),
                    (long long)in->cfg->swap_threshold_mb, *cl ? ": " : "", cl);
                SET(f, action, "%s",
                    (p->flags & MB_P_TARGET) ? "the target: shrink workers/batch/cache or limit it"
                                             : "restart it when convenient, or leave it if idle");
                listed++;
        }
        if (more) {
                struct mb_finding *f = mb_findings_add(fs, "process-in-swap", MB_SEV_INFO);
                if (!f)
                        return;
                SET(f, title, "more processes over swap_threshold");
                SET(f, value, "%u more", more);
                SET(f, action, "'membudget swap --min %lldM' lists them all",
                    (long long)in->cfg->swap_threshold_mb);
        }
}

static void rule_available(const struct mb_problem_input *in, struct mb_findings *fs)
{
        const struct mb_snapshot *s = in->snap;
        int64_t min = in->cfg->available_min_mb * MIB;
        char a[MB_SIZE_STRLEN];
        struct mb_finding *f;

        if ((int64_t)s->mem.available >= min)
                return;
        f = mb_findings_add(fs, "available-low",
                            (int64_t)s->mem.available < min / 2 ? MB_SEV_CRITICAL : MB_SEV_HIGH);
        if (!f)
                return;
        SET(f, title, "available memory below available_min_mb");
        SET(f, value, "%s < %lld MiB", sz((int64_t)s->mem.available, a),
            (long long)in->cfg->available_min_mb);
        SET(f, cause, "little RAM can be had without swapping; the OOM killer is near");
        SET(f, evidence, "MemAvailable from /proc/meminfo");
        SET(f, action, "free memory: shrink or limit the target, close other large consumers");
}

static void rule_target(const struct mb_problem_input *in, struct mb_findings *fs)
{
        const struct mb_target *tg = in->target;
        const struct mb_config *c = in->cfg;
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN];
        struct mb_finding *f;
        int64_t vram;

        if (!tg || !tg->configured)
                return;
        if (tg->nprocs == 0) {
                f = mb_findings_add(fs, "target-not-running", MB_SEV_INFO);
                if (!f)
                        return;
                SET(f, title, "target not running");
                SET(f, value, "%s%s%s", c->target_match, *c->target_unit ? " " : "",
                    c->target_unit);
                SET(f, cause, "no process matches target.match / target.unit");
                SET(f, action, "check the target section of the configuration");
                return;
        }
        if (tg->ram > c->ram_max_mb * MIB) {
                f = mb_findings_add(fs, "target-ram-over", MB_SEV_HIGH);
                if (!f)
                        return;
                SET(f, title, "target RAM over ram_max_mb");
                SET(f, value, "%s > %lld MiB", sz(tg->ram, a), (long long)c->ram_max_mb);
                SET(f, cause, "the service uses more RAM than its budget");
                SET(f, evidence, "%u processes, %s by %s", tg->nprocs, sz(tg->ram, b),
                    tg->rss_fallback ? "RSS (PSS unreadable: run as root)" : "PSS");
                SET(f, action,
                    "fewer workers, smaller batch or cache ('membudget config plan'); "
                    "a limit: 'membudget limit'");
        }
        vram = tg->vram == MB_UNKNOWN ? 0 : tg->vram;
        if (tg->ram + vram > c->target_total_mb * MIB) {
                f = mb_findings_add(fs, "target-total-over", MB_SEV_HIGH);
                if (!f)
                        return;
                SET(f, title, "target RAM + VRAM over target_total_mb");
                SET(f, value, "%s > %lld MiB", sz(tg->ram + vram, a),
                    (long long)c->target_total_mb);
                SET(f, cause, "the service's whole budget is exceeded");
                SET(f, evidence, "RAM %s, VRAM %s", sz(tg->ram, a),
                    tg->vram == MB_UNKNOWN ? "unknown" : sz(tg->vram, b));
                SET(f, action, "shrink the service or raise the budget");
        }
}

static void rule_swappiness(const struct mb_problem_input *in, struct mb_findings *fs)
{
        const struct mb_snapshot *s = in->snap;
        int want = in->cfg->vm_swappiness;
        struct mb_finding *f;

        if (!s->have_swappiness)
                return;
        if (s->swappiness > want) {
                f = mb_findings_add(fs, "swappiness-high", MB_SEV_MEDIUM);
                if (!f)
                        return;
                SET(f, title, "vm.swappiness above the budget's value");
                SET(f, value, "%d > %d", s->swappiness, want);
                SET(f, cause, "the kernel swaps anonymous memory more eagerly than planned");
                SET(f, evidence, "/proc/sys/vm/swappiness");
                SET(f, action,
                    "'membudget tune --apply' sets it and persists it in "
                    "/etc/sysctl.d/60-membudget.conf");
        } else if (in->persisted_known && in->persisted_swappiness != s->swappiness) {
                f = mb_findings_add(fs, "swappiness-not-persisted", MB_SEV_MEDIUM);
                if (!f)
                        return;
                SET(f, title, "vm.swappiness set at runtime but not persisted");
                if (in->persisted_swappiness < 0)
                        SET(f, value, "%d now, nothing in sysctl files", s->swappiness);
                else
                        SET(f, value, "%d now, %d after reboot", s->swappiness,
                            in->persisted_swappiness);
                SET(f, cause, "'sysctl -p' or a manual write does not survive a reboot");
                SET(f, evidence, "/etc/sysctl.conf and sysctl.d directories");
                SET(f, action, "'membudget tune --apply' writes /etc/sysctl.d/60-membudget.conf");
        }
}

static void rule_vsz(const struct mb_problem_input *in, struct mb_findings *fs)
{
        const struct mb_proctab *t = &in->snap->procs;
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN];
        unsigned n = 0;
        int64_t maxv = 0;
        int64_t maxrss = 0;
        int maxpid = 0;
        const char *maxname = "";
        struct mb_finding *f;

        for (size_t i = 0; i < t->n; i++) {
                const struct mb_proc *p = &t->p[i];
                if (p->vsz == MB_UNKNOWN || p->rss == MB_UNKNOWN)
                        continue;
                if (p->vsz >= 8ll << 30 && p->vsz > 4 * p->rss) {
                        n++;
                        if (p->vsz > maxv) {
                                maxv = p->vsz;
                                maxpid = p->pid;
                                maxname = p->name;
                                maxrss = p->rss;
                        }
                }
        }
        if (!n)
                return;
        f = mb_findings_add(fs, "large-vsz", MB_SEV_INFO);
        if (!f)
                return;
        f->pid = maxpid;
        SET(f, title, "large virtual size (not memory use)");
        SET(f, value, "%u process%s, largest pid %d %s VSZ %s", n, n == 1 ? "" : "es", maxpid,
            maxname, sz(maxv, a));
        SET(f, cause,
            "CUDA, PyTorch and JIT runtimes reserve large virtual address ranges they "
            "never touch; VSZ is not RAM");
        SET(f, evidence, "VSZ at least 8 GiB and over 4x RSS (pid %d: RSS %s)", maxpid,
            sz(maxrss, b));
        SET(f, action,
            "none; judge RSS, PSS and swap. Do not use 'ulimit -v' (RLIMIT_AS): it "
            "breaks CUDA/PyTorch at start; limit with cgroups ('membudget limit')");
}

static void rule_other_consumers(const struct mb_problem_input *in, enum mb_swap_activity act,
                                 struct mb_findings *fs)
{
        const struct mb_proctab *t = &in->snap->procs;
        bool tight =
            (int64_t)in->snap->mem.available < in->cfg->available_min_mb * MIB ||
            act == MB_SWAP_THRASHING ||
            (in->target && in->target->configured && in->target->ram > in->cfg->ram_max_mb * MIB);
        char ev[512], a[MB_SIZE_STRLEN];
        size_t off = 0;
        unsigned n = 0;
        int64_t sum = 0;
        struct mb_finding *f;

        ev[0] = '\0';
        if (!tight && !(in->target && in->target->configured) &&
            in->snap->mem.swap_used <= (uint64_t)in->cfg->swap_max_mb * MIB)
                return; /* host-wide and nothing short: not a problem */
        for (size_t i = 0; i < t->n && n < 6; i++) {
                const struct mb_proc *p = &t->p[i];
                int64_t v = mb_proc_rss_swap(p);
                if ((p->flags & (MB_P_TARGET | MB_P_KTHREAD)) || v < 512ll * MIB)
                        continue;
                if (off < sizeof(ev)) {
                        int w = snprintf(ev + off, sizeof(ev) - off, "%s%s (pid %d) %s",
                                         n ? ", " : "", p->name, p->pid, sz(v, a));
                        if (w > 0)
                                off += (size_t)w;
                }
                sum += v;
                n++;
        }
        if (!n)
                return;
        f = mb_findings_add(fs, "other-consumers", tight ? MB_SEV_MEDIUM : MB_SEV_INFO);
        if (!f)
                return;
        SET(f, title,
            in->target && in->target->configured ? "large consumers outside the target"
                                                 : "largest consumers");
        SET(f, value, "%u process%s, %s RSS+swap", n, n == 1 ? "" : "es", sz(sum, a));
        SET(f, cause, "browsers, IDEs and other tools share the same RAM");
        SET(f, evidence, "%s", ev);
        SET(f, action,
            "candidates to close by their owner if memory is needed; membudget never "
            "kills them");
}

static void rule_gpu(const struct mb_problem_input *in, struct mb_findings *fs)
{
        const struct mb_snapshot *s = in->snap;
        const struct mb_config *c = in->cfg;
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN];
        int64_t total = 0, used = 0, vram;
        struct mb_finding *f;

        if (!s->have_gpus || s->gpus.n == 0)
                return;
        for (size_t i = 0; i < s->gpus.n; i++) {
                if (s->gpus.dev[i].total > 0)
                        total += s->gpus.dev[i].total;
                if (s->gpus.dev[i].used > 0)
                        used += s->gpus.dev[i].used;
        }
        vram = in->target && in->target->configured && in->target->vram != MB_UNKNOWN
                   ? in->target->vram
                   : used;
        if (vram > c->vram_max_mb * MIB) {
                f = mb_findings_add(fs, "vram-over", MB_SEV_HIGH);
                if (f) {
                        SET(f, title, "VRAM over vram_max_mb");
                        SET(f, value, "%s > %lld MiB", sz(vram, a), (long long)c->vram_max_mb);
                        SET(f, cause, "GPU memory use exceeds the budget");
                        SET(f, evidence, "%s",
                            in->target && in->target->configured && in->target->vram != MB_UNKNOWN
                                ? "the target's processes (per process)"
                                : "all devices");
                        SET(f, action, "lower gpu_batch_size or memory_fraction");
                }
        }
        if (total > 0 && c->vram_max_mb * MIB > total) {
                f = mb_findings_add(fs, "config-vram-over-device", MB_SEV_MEDIUM);
                if (f) {
                        SET(f, title, "vram_max_mb above the GPU's memory");
                        SET(f, value, "%lld MiB > %s", (long long)c->vram_max_mb, sz(total, a));
                        SET(f, cause, "the budget counts VRAM the device does not have");
                        SET(f, action, "set vram_max_mb to at most the device total");
                }
        }
        if (total > 0 && c->memory_fraction > 0 &&
            c->memory_fraction * (double)total > (double)c->vram_max_mb * MIB * 1.0001) {
                f = mb_findings_add(fs, "config-memory-fraction", MB_SEV_MEDIUM);
                if (f) {
                        SET(f, title, "memory_fraction allows more than vram_max_mb");
                        SET(f, value, "%.2f x %s = %s > %lld MiB", c->memory_fraction, sz(total, a),
                            sz((int64_t)(c->memory_fraction * (double)total), b),
                            (long long)c->vram_max_mb);
                        SET(f, cause,
                            "the framework may allocate up to memory_fraction of the "
                            "device");
                        SET(f, action, "lower memory_fraction to vram_max_mb / device total");
                }
        }
        /* The plan: "GPU 0.7 GB used of 4 GB while RAM is over budget". */
        if (total > 0 && used < total / 2 && in->target && in->target->configured &&
            in->target->ram > c->ram_max_mb * MIB) {
                f = mb_findings_add(fs, "gpu-underused", MB_SEV_MEDIUM);
                if (f) {
                        SET(f, title, "GPU mostly idle while RAM is over budget");
                        SET(f, value, "%s used of %s", sz(used, a), sz(total, b));
                        SET(f, cause, "work (or caches) kept in RAM could live in VRAM");
                        SET(f, action,
                            "move models/batches to the GPU (gpu_batch_size, "
                            "memory_fraction) to relieve RAM");
                }
        }
}

static void rule_config(const struct mb_problem_input *in, struct mb_findings *fs)
{
        const struct mb_config *c = in->cfg;
        const struct mb_target *tg = in->target;
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN];
        struct mb_finding *f;
        int64_t need;

        if (!tg || !tg->configured || tg->nprocs == 0 || c->worker_processes <= 0 ||
            tg->worker_median == MB_UNKNOWN)
                return;
        need = c->worker_processes * tg->worker_median +
               (c->cache_size_mb > 0 ? c->cache_size_mb : 0) * MIB;
        if (need <= c->ram_max_mb * MIB)
                return;
        f = mb_findings_add(fs, "config-workers", MB_SEV_MEDIUM);
        if (!f)
                return;
        SET(f, title, "worker_processes x per-worker memory + cache over ram_max_mb");
        SET(f, value, "%lld x %s + %lld MiB = %s > %lld MiB", (long long)c->worker_processes,
            sz(tg->worker_median, a), (long long)(c->cache_size_mb > 0 ? c->cache_size_mb : 0),
            sz(need, b), (long long)c->ram_max_mb);
        SET(f, cause, "the configured workers cannot fit the RAM budget at their measured size");
        SET(f, evidence, "median per-process memory of the %u target processes", tg->nprocs);
        SET(f, action, "'membudget config plan' computes the workers and cache that fit");
}

static void rule_growth_kind(const struct mb_problem_input *in, struct mb_findings *fs)
{
        const struct mb_inspect_finding *g = in->growth;
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN];
        struct mb_finding *f;

        if (!g || g->delta_bytes <= 0 || g->kind >= MB_MK_COUNT)
                return;
        f = mb_findings_add(fs, "target-growth-kind", MB_SEV_MEDIUM);
        if (!f)
                return;
        f->pid = in->growth_pid;
        SET(f, title, "one kind of memory dominates the target's growth");
        SET(f, value, "pid %d %s: %s +%s/min", in->growth_pid,
            in->growth_name ? in->growth_name : "", mb_map_kinds[g->kind].title,
            sz((int64_t)g->rate_bytes_per_min, a));
        SET(f, cause, "%.0f %% of the growth is %s", g->share * 100, mb_map_kinds[g->kind].title);
        SET(f, evidence, "+%s in %.0f s (all kinds +%s), from /proc/%d/smaps",
            sz(g->delta_bytes, a), in->growth_seconds, sz(g->total_growth_bytes, b),
            in->growth_pid);
        SET(f, action, "'membudget inspect %d --watch 10s' shows the mappings that grow",
            in->growth_pid);
}

int mb_problems_run(const struct mb_problem_input *in, struct mb_findings *ret)
{
        enum mb_swap_activity act = mb_swap_activity(in->snap, in->cfg);

        ret->n = 0;
        rule_swap(in, act, ret);
        rule_process_swap(in, act, ret);
        rule_available(in, ret);
        rule_target(in, ret);
        rule_swappiness(in, ret);
        rule_gpu(in, ret);
        rule_config(in, ret);
        rule_other_consumers(in, act, ret);
        rule_vsz(in, ret);
        rule_growth_kind(in, ret);
        for (size_t i = 0; i < in->nextra; i++) {
                struct mb_finding *f = mb_findings_add(ret, in->extra[i].id, in->extra[i].severity);
                if (f)
                        *f = in->extra[i];
        }
        /* Highest severity first, rule order kept (stable insertion sort; n is small). */
        for (size_t i = 1; i < ret->n; i++) {
                struct mb_finding cur = ret->f[i];
                size_t j = i;
                while (j > 0 && ret->f[j - 1].severity < cur.severity) {
                        ret->f[j] = ret->f[j - 1];
                        j--;
                }
                ret->f[j] = cur;
        }
        return (int)ret->n;
}
