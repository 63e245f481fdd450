/* problems.c: see problems.h.  One function per rule. */
#include "problems.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/size.h"

const char *const mb_severity_names[MB_SEV_COUNT] = {"info", "medium", "high", "critical"};

#define MIB (1024 * 1024)

const struct mb_finding_def mb_finding_defs[MB_FK_COUNT] = {
    [MB_FK_SWAP_THRASHING] = {"swap-thrashing", MB_SEV_CRITICAL, "swap thrashing",
                              "find who reads back from swap ('membudget swap', 'membudget "
                              "watch') and reduce or limit that one's memory ('membudget limit'); "
                              "close other large consumers"},
    [MB_FK_SWAP_COLD] = {"swap-cold", MB_SEV_INFO, "cold pages in swap",
                         "nothing urgent; lower vm.swappiness to keep more in RAM, or "
                         "'membudget tune --swap-cycle' when RAM can absorb it"},
    [MB_FK_SWAP_EXCEEDS_RAM] = {"swap-exceeds-ram", MB_SEV_INFO, "more in swap than in RAM",
                                "find who is in swap with 'membudget swap'; judge by activity, "
                                "not size"},
    [MB_FK_SWAP_OVER_MAX] = {"swap-over-max", MB_SEV_MEDIUM,
                             "swap used over the budget's swap_max_mb",
                             "'membudget swap' for the processes; lower vm.swappiness "
                             "('membudget tune'); 'membudget tune --swap-cycle' when it fits"},
    [MB_FK_PROCESS_IN_SWAP] = {"process-in-swap", MB_SEV_INFO,
                               "process over swap_threshold in swap",
                               "restart it when convenient, or leave it if idle"},
    [MB_FK_PROCESS_IN_SWAP_MORE] = {"process-in-swap", MB_SEV_INFO,
                                    "more processes over swap_threshold", NULL},
    [MB_FK_AVAILABLE_LOW] = {"available-low", MB_SEV_HIGH,
                             "available memory below available_min_mb",
                             "free memory: shrink or limit the target, close other large "
                             "consumers"},
    [MB_FK_TARGET_NOT_RUNNING] = {"target-not-running", MB_SEV_INFO, "target not running",
                                  "check the target section of the configuration"},
    [MB_FK_TARGET_RAM_OVER] = {"target-ram-over", MB_SEV_HIGH, "target RAM over ram_max_mb",
                               "fewer workers, smaller batch or cache ('membudget config "
                               "plan'); a limit: 'membudget limit'"},
    [MB_FK_TARGET_TOTAL_OVER] = {"target-total-over", MB_SEV_HIGH,
                                 "target RAM + VRAM over target_total_mb",
                                 "shrink the service or raise the budget"},
    [MB_FK_SWAPPINESS_HIGH] = {"swappiness-high", MB_SEV_MEDIUM,
                               "vm.swappiness above the budget's value",
                               "'membudget tune --apply' sets it and persists it in "
                               "/etc/sysctl.d/60-membudget.conf"},
    [MB_FK_SWAPPINESS_NOT_PERSISTED] = {"swappiness-not-persisted", MB_SEV_MEDIUM,
                                        "vm.swappiness set at runtime but not persisted",
                                        "'membudget tune --apply' writes "
                                        "/etc/sysctl.d/60-membudget.conf"},
    [MB_FK_VRAM_OVER] = {"vram-over", MB_SEV_HIGH, "VRAM over vram_max_mb",
                         "lower gpu_batch_size or memory_fraction"},
    [MB_FK_CONFIG_VRAM_OVER_DEVICE] = {"config-vram-over-device", MB_SEV_MEDIUM,
                                       "vram_max_mb above the GPU's memory",
                                       "set vram_max_mb to at most the device total"},
    [MB_FK_CONFIG_MEMORY_FRACTION] = {"config-memory-fraction", MB_SEV_MEDIUM,
                                      "memory_fraction allows more than vram_max_mb",
                                      "lower memory_fraction to vram_max_mb / device total"},
    [MB_FK_GPU_UNDERUSED] = {"gpu-underused", MB_SEV_MEDIUM,
                             "GPU mostly idle while RAM is over budget",
                             "move models/batches to the GPU (gpu_batch_size, "
                             "memory_fraction) to relieve RAM"},
    [MB_FK_CONFIG_WORKERS] =
        {"config-workers", MB_SEV_MEDIUM,
         "worker_processes x per-worker memory + parent + cache over ram_max_mb",
         "'membudget config plan' computes the workers and cache that "
         "fit"},
    [MB_FK_OTHER_CONSUMERS] = {"other-consumers", MB_SEV_INFO, "largest consumers",
                               "candidates to close by their owner if memory is needed; "
                               "membudget never kills them"},
    [MB_FK_LARGE_VSZ] = {"large-vsz", MB_SEV_INFO, "large virtual size (not memory use)",
                         "none; judge RSS, PSS and swap. Do not use 'ulimit -v' (RLIMIT_AS): "
                         "it breaks CUDA/PyTorch at start; limit with cgroups ('membudget "
                         "limit')"},
    [MB_FK_TARGET_GROWTH_KIND] = {"target-growth-kind", MB_SEV_MEDIUM,
                                  "one kind of memory dominates the target's growth", NULL},
    [MB_FK_CGROUP_OOM_KILL] = {"cgroup-oom-kill", MB_SEV_HIGH, "OOM kills in a limited cgroup",
                               "raise the cgroup's limit (MemoryMax, 'membudget limit') or "
                               "reduce the memory of what runs in it"},
    [MB_FK_CGROUP_AT_LIMIT] = {"cgroup-at-limit", MB_SEV_MEDIUM,
                               "a cgroup reached its memory limit",
                               "the kernel reclaims (and swaps) inside it at its limit: raise "
                               "memory.max or reduce the memory of what runs in it"},
    [MB_FK_CONTAINER_LIMIT] = {"container-limit", MB_SEV_HIGH,
                               "the container's memory limit is nearly used",
                               "the container's limit, not the host's RAM, is what the OOM "
                               "killer uses: raise it (docker --memory, resources.limits) or "
                               "reduce the memory used in it"},
    [MB_FK_MEMORY_LEAK] = {"memory-leak", MB_SEV_MEDIUM, "memory keeps growing",
                           "bound the cache or restart the process on a schedule; 'membudget "
                           "report --since 24h' shows the trend"},
    [MB_FK_TARGET_GROWTH] = {"target-growth", MB_SEV_MEDIUM, "the target keeps growing",
                             "bound the cache or restart the process on a schedule; "
                             "'membudget report --since 24h' shows the trend"},
};

struct mb_finding *mb_findings_add(struct mb_findings *fs, enum mb_finding_kind kind)
{
        const struct mb_finding_def *d = &mb_finding_defs[kind];
        struct mb_finding *f;

        if (MB_GROW(fs->f, fs->n, fs->cap, 16) < 0)
                return NULL;
        f = &fs->f[fs->n++];
        memset(f, 0, sizeof(*f));
        mb_strlcpy(f->id, d->id, sizeof(f->id));
        mb_strlcpy(f->title, d->title, sizeof(f->title));
        if (d->action)
                mb_strlcpy(f->action, d->action, sizeof(f->action));
        f->severity = d->severity;
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

/* pid's entry between the two samples: false when not sampled; *ret
 * zeroed when not listed (idle). */
static bool swap_delta(const struct mb_problem_input *in, int pid, struct mb_swap_delta *ret)
{
        if (!in->swap_deltas_known)
                return false;
        memset(ret, 0, sizeof(*ret));
        for (size_t i = 0; i < in->nswap_deltas; i++)
                if (in->swap_deltas[i].pid == pid) {
                        *ret = in->swap_deltas[i];
                        break;
                }
        return true;
}

/* The process that reads the most back in: most major faults, else the
 * largest drop of VmSwap. */
static const struct mb_proc *top_swapper(const struct mb_problem_input *in,
                                         struct mb_swap_delta *ret)
{
        const struct mb_proctab *t = &in->snap->procs;
        const struct mb_swap_delta *best = NULL;

        if (!in->swap_deltas_known)
                return NULL;
        for (size_t i = 0; i < in->nswap_deltas; i++) {
                const struct mb_swap_delta *x = &in->swap_deltas[i];
                if (x->majflt <= 0 && x->delta >= 0)
                        continue;
                if (!best || x->majflt > best->majflt ||
                    (x->majflt == best->majflt && x->delta < best->delta))
                        best = x;
        }
        if (!best)
                return NULL;
        *ret = *best;
        for (size_t j = 0; j < t->n; j++)
                if (t->p[j].pid == best->pid)
                        return &t->p[j];
        return NULL;
}

/* Thrashing: who swaps in, and an action about that one. */
static void thrashing_who(const struct mb_problem_input *in, struct mb_finding *f)
{
        const struct mb_target *tg = in->target;
        bool target_on = tg && tg->configured && tg->nprocs > 0;
        char a[MB_SIZE_STRLEN];
        size_t n = strlen(f->evidence);
        struct mb_swap_delta d;
        const struct mb_proc *p = top_swapper(in, &d);

        if (!in->swap_deltas_known) {
                if (target_on)
                        SET(f, action,
                            "find who reads back from swap ('membudget watch', 'membudget swap'): "
                            "if it is the target, reduce its memory (workers, batch, cache) or "
                            "limit it with 'membudget limit'; close other large consumers");
                return;
        }
        if (!p) {
                snprintf(f->evidence + n, sizeof(f->evidence) - n,
                         "; no process in swap faulted pages back in over %.1f s",
                         in->swap_delta_s);
                SET(f, action,
                    "the pages read back are not a process's own (shmem, tmpfs) or belong to "
                    "short-lived processes: 'membudget swap' lists who holds swap");
                return;
        }
        snprintf(f->evidence + n, sizeof(f->evidence) - n,
                 "; swapping in: pid %d %s (%lld major faults, VmSwap %s%s in %.1f s)%s", p->pid,
                 p->name, (long long)d.majflt, d.delta > 0 ? "+" : "", sz(d.delta, a),
                 in->swap_delta_s, (p->flags & MB_P_TARGET) ? ", the target" : "");
        n = strlen(f->evidence);
        if (in->swapper_cg && in->swapper_cg->pid == p->pid) {
                const struct mb_swapper_cgroup *cg = in->swapper_cg;
                char l[MB_SIZE_STRLEN], u[MB_SIZE_STRLEN];
                snprintf(f->evidence + n, sizeof(f->evidence) - n,
                         "; its memory cgroup %.120s: %s %s, using %s%s", cg->path,
                         cg->v2 ? "memory.max" : "memory.limit_in_bytes",
                         cg->limit > 0 ? sz(cg->limit, l) : "none", sz(cg->usage, u),
                         cg->limit > 0 && cg->usage >= cg->limit * 95 / 100
                             ? " (full: it swaps against its own limit)"
                             : "");
                n = strlen(f->evidence);
                if (cg->have_psi)
                        snprintf(f->evidence + n, sizeof(f->evidence) - n,
                                 "; its memory.pressure some %.2f full %.2f (avg10)",
                                 cg->psi_some10, cg->psi_full10);
                n = strlen(f->evidence);
                if (cg->swapin_counter && cg->swapin_s > 0)
                        snprintf(f->evidence + n, sizeof(f->evidence) - n,
                                 "; its memory.stat %s +%lld in %.1f s (%.0f/s)",
                                 cg->swapin_counter, (long long)cg->swapin_delta, cg->swapin_s,
                                 (double)cg->swapin_delta / cg->swapin_s);
                else if (cg->pswpin > 0)
                        snprintf(f->evidence + n, sizeof(f->evidence) - n,
                                 "; its memory.stat pswpin %lld", (long long)cg->pswpin);
        }
        f->pid = p->pid;
        if (p->flags & MB_P_TARGET)
                SET(f, action,
                    "reduce the target's memory (workers, batch, cache) or limit it with "
                    "'membudget limit'; close other large consumers");
        else
                SET(f, action,
                    "pid %d (%s) is the one swapping in%s: give it room (a larger limit on "
                    "its cgroup) or reduce its memory; close other large consumers",
                    p->pid, p->name, target_on ? ", not the target" : "");
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
                f = mb_findings_add(fs, MB_FK_SWAP_THRASHING);
                if (!f)
                        return;
                if (s->rates.valid)
                        SET(f, value, "%.0f pages/s in", s->rates.swapin_pages_per_s);
                else /* PSI alone: the rates were not sampled */
                        SET(f, value, "memory PSI full %.1f%% (rates not sampled)",
                            s->psi.have_full ? s->psi.full.avg10 : 0.0);
                SET(f, cause,
                    "the working set does not fit in RAM: pages are read back from swap "
                    "as fast as they are written out");
                SET(f, evidence, "%s", ev);
                thrashing_who(in, f);
        } else if (act == MB_SWAP_COLD) {
                f = mb_findings_add(fs, MB_FK_SWAP_COLD);
                if (!f)
                        return;
                SET(f, value, "%s", sz((int64_t)s->mem.swap_used, a));
                SET(f, cause, "%s",
                    s->rates.valid ? "idle pages were moved to swap; no swap-in and no memory "
                                     "pressure, so they cost nothing now"
                                   : "pages were moved to swap; no memory pressure (the "
                                     "swap-in rate was not sampled)");
                SET(f, evidence, "%s", ev);
        }

        if (s->mem.swap_used > s->mem.used && s->mem.swap_used > 0) {
                f = mb_findings_add(fs, MB_FK_SWAP_EXCEEDS_RAM);
                if (!f)
                        return;
                f->severity = act == MB_SWAP_THRASHING ? MB_SEV_HIGH
                              : act == MB_SWAP_ACTIVE  ? MB_SEV_MEDIUM
                                                       : MB_SEV_INFO;
                SET(f, value, "swap %s > RAM used %s", sz((int64_t)s->mem.swap_used, a),
                    sz((int64_t)s->mem.used, b));
                SET(f, cause, "%s",
                    act == MB_SWAP_THRASHING ? "memory was short and is still short: the swapped "
                                               "pages are being used"
                                             : "memory was short at some point; the size alone "
                                               "does not hurt while the pages stay idle");
                SET(f, evidence, "%s", ev);
        }
        if (s->mem.swap_used > (uint64_t)c->swap_max_mb * MIB) {
                f = mb_findings_add(fs, MB_FK_SWAP_OVER_MAX);
                if (!f)
                        return;
                if (act == MB_SWAP_THRASHING)
                        f->severity = MB_SEV_HIGH;
                SET(f, value, "%s > %lld MiB", sz((int64_t)s->mem.swap_used, a),
                    (long long)c->swap_max_mb);
                SET(f, cause, "swap is meant as a fallback only");
                SET(f, evidence, "%s", ev);
        }
}

/*
 * A process over swap_threshold in swap.  How much it matters depends on
 * whether its pages move: with two samples, one whose VmSwap did not change
 * is idle (info) even while another process thrashes; without them (one
 * sample, --no-rates) nothing is claimed about it.
 */
static void process_in_swap(const struct mb_problem_input *in, enum mb_swap_activity act,
                            const struct mb_proc *p, struct mb_finding *f)
{
        const struct mb_proctab *t = &in->snap->procs;
        bool target = p->flags & MB_P_TARGET;
        const char *cl = mb_proc_cmdline(t, p);
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN], moved[128] = "";
        struct mb_swap_delta d;

        f->pid = p->pid;
        SET(f, value, "pid %d %s: %s", p->pid, p->name, sz(p->swap, a));
        if (swap_delta(in, p->pid, &d)) {
                if (d.majflt == 0 && d.delta == 0) {
                        f->severity = MB_SEV_INFO;
                        SET(f, cause,
                            "idle: its swapped pages stayed in swap (no page faulted back, "
                            "VmSwap unchanged over %.1f s)",
                            in->swap_delta_s);
                } else {
                        bool in_ = d.majflt > 0 || d.delta < 0;
                        f->severity = act == MB_SWAP_THRASHING && in_ ? MB_SEV_HIGH
                                      : target                        ? MB_SEV_MEDIUM
                                                                      : MB_SEV_INFO;
                        SET(f, cause, "its pages are moving: %s",
                            in_ ? "read back from swap" : "swapped out");
                        snprintf(moved, sizeof(moved), ", %lld major faults, VmSwap %s%s in %.1f s",
                                 (long long)d.majflt, d.delta > 0 ? "+" : "", sz(d.delta, b),
                                 in->swap_delta_s);
                }
        } else {
                f->severity = act == MB_SWAP_THRASHING || target ? MB_SEV_MEDIUM : MB_SEV_INFO;
                SET(f, cause, "%s",
                    act == MB_SWAP_THRASHING ? "RAM is short; whether this process's pages are "
                                               "being read back was not sampled"
                                             : "its pages were swapped out");
        }
        SET(f, evidence, "VmSwap %s%s (threshold %lld MiB)%s%.200s", sz(p->swap, a), moved,
            (long long)in->cfg->swap_threshold_mb, *cl ? ": " : "", cl);
        if (target && f->severity > MB_SEV_INFO)
                SET(f, action, "the target: shrink workers/batch/cache or limit it");
        else if (f->severity == MB_SEV_INFO && strstr(f->cause, "idle"))
                SET(f, action, "nothing now: idle pages in swap cost nothing");
}

static void rule_process_swap(const struct mb_problem_input *in, enum mb_swap_activity act,
                              struct mb_findings *fs)
{
        const struct mb_proctab *t = &in->snap->procs;
        int64_t thr = in->cfg->swap_threshold_mb * MIB;
        unsigned listed = 0, more = 0;

        for (size_t i = 0; i < t->n; i++) {
                const struct mb_proc *p = &t->p[i];
                struct mb_finding *f;

                if (p->swap == MB_UNKNOWN || p->swap <= thr)
                        continue;
                if (listed >= MB_PROBLEMS_SWAP_LISTED) {
                        more++;
                        continue;
                }
                if (!(f = mb_findings_add(fs, MB_FK_PROCESS_IN_SWAP)))
                        return;
                process_in_swap(in, act, p, f);
                listed++;
        }
        if (more) {
                struct mb_finding *f = mb_findings_add(fs, MB_FK_PROCESS_IN_SWAP_MORE);
                if (!f)
                        return;
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
        f = mb_findings_add(fs, MB_FK_AVAILABLE_LOW);
        if (!f)
                return;
        if ((int64_t)s->mem.available < min / 2)
                f->severity = MB_SEV_CRITICAL;
        SET(f, value, "%s < %lld MiB", sz((int64_t)s->mem.available, a),
            (long long)in->cfg->available_min_mb);
        SET(f, cause, "little RAM can be had without swapping; the OOM killer is near");
        SET(f, evidence, "MemAvailable from /proc/meminfo");
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
                f = mb_findings_add(fs, MB_FK_TARGET_NOT_RUNNING);
                if (!f)
                        return;
                SET(f, value, "%s%s%s", c->target_match, *c->target_unit ? " " : "",
                    c->target_unit);
                SET(f, cause, "no process matches target.match / target.unit");
                return;
        }
        if (tg->ram > c->ram_max_mb * MIB) {
                f = mb_findings_add(fs, MB_FK_TARGET_RAM_OVER);
                if (!f)
                        return;
                SET(f, value, "%s > %lld MiB", sz(tg->ram, a), (long long)c->ram_max_mb);
                SET(f, cause, "the service uses more RAM than its budget");
                SET(f, evidence, "%u processes, %s by %s", tg->nprocs, sz(tg->ram, b),
                    tg->rss_fallback ? "RSS (PSS unreadable: run as root)" : "PSS");
        }
        vram = tg->vram == MB_UNKNOWN ? 0 : tg->vram;
        if (tg->ram + vram > c->target_total_mb * MIB) {
                f = mb_findings_add(fs, MB_FK_TARGET_TOTAL_OVER);
                if (!f)
                        return;
                SET(f, value, "%s > %lld MiB", sz(tg->ram + vram, a),
                    (long long)c->target_total_mb);
                SET(f, cause, "the service's whole budget is exceeded");
                SET(f, evidence, "RAM %s, VRAM %s", sz(tg->ram, a),
                    tg->vram == MB_UNKNOWN ? "unknown" : sz(tg->vram, b));
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
                f = mb_findings_add(fs, MB_FK_SWAPPINESS_HIGH);
                if (!f)
                        return;
                SET(f, value, "%d > %d", s->swappiness, want);
                SET(f, cause, "the kernel swaps anonymous memory more eagerly than planned");
                SET(f, evidence, "/proc/sys/vm/swappiness");
        } else if (in->persisted_known && in->persisted_swappiness != s->swappiness) {
                f = mb_findings_add(fs, MB_FK_SWAPPINESS_NOT_PERSISTED);
                if (!f)
                        return;
                if (in->persisted_swappiness < 0)
                        SET(f, value, "%d now, nothing in sysctl files", s->swappiness);
                else
                        SET(f, value, "%d now, %d after reboot", s->swappiness,
                            in->persisted_swappiness);
                SET(f, cause, "'sysctl -p' or a manual write does not survive a reboot");
                SET(f, evidence, "/etc/sysctl.conf and sysctl.d directories");
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
        f = mb_findings_add(fs, MB_FK_LARGE_VSZ);
        if (!f)
                return;
        f->pid = maxpid;
        SET(f, value, "%u process%s, largest pid %d %s VSZ %s", n, n == 1 ? "" : "es", maxpid,
            maxname, sz(maxv, a));
        SET(f, cause,
            "CUDA, PyTorch and JIT runtimes reserve large virtual address ranges they "
            "never touch; VSZ is not RAM");
        SET(f, evidence, "VSZ at least 8 GiB and over 4x RSS (pid %d: RSS %s)", maxpid,
            sz(maxrss, b));
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
        f = mb_findings_add(fs, MB_FK_OTHER_CONSUMERS);
        if (!f)
                return;
        if (tight)
                f->severity = MB_SEV_MEDIUM;
        if (in->target && in->target->configured)
                SET(f, title, "large consumers outside the target");
        SET(f, value, "%u process%s, %s RSS+swap", n, n == 1 ? "" : "es", sz(sum, a));
        SET(f, cause, "browsers, IDEs and other tools share the same RAM");
        SET(f, evidence, "%s", ev);
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
                f = mb_findings_add(fs, MB_FK_VRAM_OVER);
                if (f) {
                        SET(f, value, "%s > %lld MiB", sz(vram, a), (long long)c->vram_max_mb);
                        SET(f, cause, "GPU memory use exceeds the budget");
                        SET(f, evidence, "%s",
                            in->target && in->target->configured && in->target->vram != MB_UNKNOWN
                                ? "the target's processes (per process)"
                                : "all devices");
                }
        }
        if (total > 0 && c->vram_max_mb * MIB > total) {
                f = mb_findings_add(fs, MB_FK_CONFIG_VRAM_OVER_DEVICE);
                if (f) {
                        SET(f, value, "%lld MiB > %s", (long long)c->vram_max_mb, sz(total, a));
                        SET(f, cause, "the budget counts VRAM the device does not have");
                }
        }
        if (total > 0 && c->memory_fraction > 0 &&
            c->memory_fraction * (double)total > (double)c->vram_max_mb * MIB * 1.0001) {
                f = mb_findings_add(fs, MB_FK_CONFIG_MEMORY_FRACTION);
                if (f) {
                        SET(f, value, "%.2f x %s = %s > %lld MiB", c->memory_fraction, sz(total, a),
                            sz((int64_t)(c->memory_fraction * (double)total), b),
                            (long long)c->vram_max_mb);
                        SET(f, cause,
                            "the framework may allocate up to memory_fraction of the "
                            "device");
                }
        }
        /* The plan: "GPU 0.7 GB used of 4 GB while RAM is over budget". */
        if (total > 0 && used < total / 2 && in->target && in->target->configured &&
            in->target->ram > c->ram_max_mb * MIB) {
                f = mb_findings_add(fs, MB_FK_GPU_UNDERUSED);
                if (f) {
                        SET(f, value, "%s used of %s", sz(used, a), sz(total, b));
                        SET(f, cause, "work (or caches) kept in RAM could live in VRAM");
                }
        }
}

static void rule_config(const struct mb_problem_input *in, struct mb_findings *fs)
{
        const struct mb_config *c = in->cfg;
        const struct mb_target *tg = in->target;
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN], p[MB_SIZE_STRLEN];
        struct mb_finding *f;
        int64_t need;

        if (!tg || !tg->configured || tg->nprocs == 0 || c->worker_processes <= 0 ||
            tg->worker_median == MB_UNKNOWN)
                return;
        need = c->worker_processes * tg->worker_median + tg->parents_mem +
               (c->cache_size_mb > 0 ? c->cache_size_mb : 0) * MIB;
        if (need <= c->ram_max_mb * MIB)
                return;
        f = mb_findings_add(fs, MB_FK_CONFIG_WORKERS);
        if (!f)
                return;
        SET(f, value, "%lld x %s + parent %s + %lld MiB = %s > %lld MiB",
            (long long)c->worker_processes, sz(tg->worker_median, a), sz(tg->parents_mem, p),
            (long long)(c->cache_size_mb > 0 ? c->cache_size_mb : 0), sz(need, b),
            (long long)c->ram_max_mb);
        SET(f, cause, "the configured workers cannot fit the RAM budget at their measured size");
        SET(f, evidence,
            "median RSS+swap of the %u workers (the children of the target's parent, the "
            "parent left out)",
            tg->nworkers);
}

static void rule_growth_kind(const struct mb_problem_input *in, struct mb_findings *fs)
{
        const struct mb_inspect_finding *g = in->growth;
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN];
        struct mb_finding *f;

        if (!g || g->delta_bytes <= 0 || g->kind >= MB_MK_COUNT)
                return;
        f = mb_findings_add(fs, MB_FK_TARGET_GROWTH_KIND);
        if (!f)
                return;
        f->pid = in->growth_pid;
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

/* What a cgroup's memory.stat / memory.pressure add to the evidence. */
static size_t cg_extra(const struct mb_cgmem *m, char *buf, size_t len)
{
        size_t n = 0;

        buf[0] = '\0';
        if (m->pswpin != MB_CG_UNKNOWN && n < len)
                n += (size_t)snprintf(buf + n, len - n,
                                      "; swapped in %lld pages (memory.stat pswpin)",
                                      (long long)m->pswpin);
        if (m->refault != MB_CG_UNKNOWN && n < len)
                n += (size_t)snprintf(buf + n, len - n, "; %lld refaults", (long long)m->refault);
        if (m->have_psi && n < len)
                n += (size_t)snprintf(buf + n, len - n, "; pressure some %.2f full %.2f (avg10)",
                                      m->psi_some10, m->psi_full10);
        return n;
}

/* One cgroup's events: OOM kills, and reaching its limit.  `whose`: "the
 * target's" or "the container's". */
static void cg_events(const struct mb_cgmem *m, const char *whose, bool target,
                      struct mb_findings *fs)
{
        char l[MB_SIZE_STRLEN], u[MB_SIZE_STRLEN], extra[200];
        const char *file = m->version == 2 ? "memory.max" : "memory.limit_in_bytes";
        struct mb_finding *f;

        cg_extra(m, extra, sizeof(extra));
        if (m->ev_oom_kill != MB_CG_UNKNOWN && m->ev_oom_kill > 0 &&
            (f = mb_findings_add(fs, MB_FK_CGROUP_OOM_KILL))) {
                SET(f, value, "%lld OOM kill%s", (long long)m->ev_oom_kill,
                    m->ev_oom_kill == 1 ? "" : "s");
                if (target)
                        SET(f, cause,
                            "%lld process%s of the target %s OOM-killed in its cgroup %.150s",
                            (long long)m->ev_oom_kill, m->ev_oom_kill == 1 ? "" : "es",
                            m->ev_oom_kill == 1 ? "was" : "were", m->path);
                else
                        SET(f, cause,
                            "%lld process%s OOM-killed in %s cgroup %.150s (its own "
                            "memory.events.local)",
                            (long long)m->ev_oom_kill, m->ev_oom_kill == 1 ? " was" : "es were",
                            whose, m->path);
                if (!target)
                        f->severity = MB_SEV_MEDIUM;
                SET(f, evidence, "%.150s: %s oom_kill %lld, %s %s, usage %s%s", m->path,
                    m->version == 2 ? "memory.events" : "memory.oom_control",
                    (long long)m->ev_oom_kill, file, m->max >= 0 ? sz(m->max, l) : "none",
                    m->current >= 0 ? sz(m->current, u) : "unknown", extra);
        }
        if (m->ev_max != MB_CG_UNKNOWN && m->ev_max > 0 && m->max >= 0 &&
            (f = mb_findings_add(fs, MB_FK_CGROUP_AT_LIMIT))) {
                /* page cache fills a cgroup to its limit: count the working set */
                int64_t ws = mb_cgmem_working_set(m);
                bool full = ws >= 0 && ws >= m->max * 95 / 100;
                SET(f, value, "%lld time%s at %s", (long long)m->ev_max, m->ev_max == 1 ? "" : "s",
                    sz(m->max, l));
                SET(f, cause, "%s cgroup %.150s reached its limit %lld time%s%s", whose, m->path,
                    (long long)m->ev_max, m->ev_max == 1 ? "" : "s",
                    full ? " and is at it now" : "");
                SET(f, evidence, "%.150s: %s max %lld, %s %s, usage %s%s", m->path,
                    m->version == 2 ? "memory.events" : "memory.failcnt", (long long)m->ev_max,
                    file, sz(m->max, l), m->current >= 0 ? sz(m->current, u) : "unknown", extra);
                if (full)
                        f->severity = MB_SEV_HIGH;
        }
}

static void rule_cgroups(const struct mb_problem_input *in, struct mb_findings *fs)
{
        const struct mb_snapshot *s = in->snap;
        char l[MB_SIZE_STRLEN], u[MB_SIZE_STRLEN], t[MB_SIZE_STRLEN], a[MB_SIZE_STRLEN];
        struct mb_finding *f;

        for (size_t i = 0; i < s->ntarget_cg; i++)
                cg_events(&s->target_cg[i], s->target_cg[i].target ? "the target's" : "the",
                          s->target_cg[i].target, fs);
        if (!s->have_container || !s->container.in_container)
                return;
        if (s->have_container_cg) {
                bool dup = false;
                for (size_t i = 0; i < s->ntarget_cg; i++)
                        dup = dup || !strcmp(s->target_cg[i].dir, s->container_cg.dir);
                if (!dup)
                        cg_events(&s->container_cg, "the container's", false, fs);
        }
        /* the working set (usage less inactive file cache), as docker stats */
        int64_t ws =
            s->have_container_cg ? mb_cgmem_working_set(&s->container_cg) : s->container.current;
        if (ws < 0)
                ws = s->container.current;
        if (s->container.limit > 0 && ws >= 0 && ws >= s->container.limit * 90 / 100 &&
            (f = mb_findings_add(fs, MB_FK_CONTAINER_LIMIT))) {
                SET(f, value, "%.0f%% of %s", 100.0 * (double)ws / (double)s->container.limit,
                    sz(s->container.limit, l));
                SET(f, cause,
                    "this runs in a container (%.100s) whose memory limit is %s; "
                    "its working set is %s",
                    s->container.how, sz(s->container.limit, l), sz(ws, u));
                SET(f, evidence,
                    "%.200s: limit %s, usage %s, working set %s (usage less inactive file "
                    "cache); the host's MemTotal %s does not apply",
                    s->container.limit_dir, sz(s->container.limit, l), sz(s->container.current, a),
                    sz(ws, u), sz((int64_t)s->mem.total, t));
        }
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
        rule_cgroups(in, ret);
        for (size_t i = 0; i < in->nextra; i++) {
                struct mb_finding *f = mb_findings_add(ret, MB_FK_MEMORY_LEAK);
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
