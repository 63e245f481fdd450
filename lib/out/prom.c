/* prom.c: see prom.h. */
#define _GNU_SOURCE
#include "prom.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/size.h"
#include "../util/text.h"

#define G MB_PROM_GAUGE
#define C MB_PROM_COUNTER

const struct mb_prom_desc mb_prom_descs[MB_PM_COUNT] = {
    [MB_PM_UP] = {"membudget_up", G, "1 when the last sample of the host succeeded, 0 when not."},
    [MB_PM_BUILD_INFO] = {"membudget_build_info", G, "membudget version, value 1."},
    [MB_PM_SAMPLE_DURATION] = {"membudget_scrape_duration_seconds", G,
                               "Seconds the last sample took (reading /proc, GPUs, analysis)."},
    [MB_PM_SAMPLE_TIMESTAMP] = {"membudget_sample_timestamp_seconds", G,
                                "Wall-clock time of the last sample, seconds since the epoch."},
    [MB_PM_MEM_TOTAL] = {"membudget_memory_total_bytes", G, "MemTotal of /proc/meminfo."},
    [MB_PM_MEM_AVAILABLE] = {"membudget_memory_available_bytes", G,
                             "MemAvailable of /proc/meminfo."},
    [MB_PM_MEM_USED] = {"membudget_memory_used_bytes", G,
                        "RAM used: MemTotal - MemAvailable (procps-ng 4 free)."},
    [MB_PM_MEM_FREE] = {"membudget_memory_free_bytes", G, "MemFree of /proc/meminfo."},
    [MB_PM_MEM_BUFF_CACHE] = {"membudget_memory_buff_cache_bytes", G,
                              "Buffers + Cached + SReclaimable (free's buff/cache)."},
    [MB_PM_SWAP_TOTAL] = {"membudget_swap_total_bytes", G, "SwapTotal of /proc/meminfo."},
    [MB_PM_SWAP_USED] = {"membudget_swap_used_bytes", G, "Swap used: SwapTotal - SwapFree."},
    [MB_PM_SWAP_IN] = {"membudget_swap_in_pages_total", C,
                       "Pages swapped in since boot (pswpin of /proc/vmstat)."},
    [MB_PM_SWAP_OUT] = {"membudget_swap_out_pages_total", C,
                        "Pages swapped out since boot (pswpout of /proc/vmstat)."},
    [MB_PM_PSI_SOME_RATIO] = {"membudget_pressure_memory_some_ratio", G,
                              "Share of time some task stalled on memory (PSI avg over window)."},
    [MB_PM_PSI_FULL_RATIO] = {"membudget_pressure_memory_full_ratio", G,
                              "Share of time all tasks stalled on memory (PSI avg over window)."},
    [MB_PM_PSI_SOME_TOTAL] = {"membudget_pressure_memory_some_seconds_total", C,
                              "Seconds some task stalled on memory (PSI some total)."},
    [MB_PM_PSI_FULL_TOTAL] = {"membudget_pressure_memory_full_seconds_total", C,
                              "Seconds all tasks stalled on memory (PSI full total)."},
    [MB_PM_SWAPPINESS] = {"membudget_swappiness", G, "vm.swappiness now."},
    [MB_PM_GPU_INFO] = {"membudget_gpu_info", G, "A GPU: index, UUID, vendor, name; value 1."},
    [MB_PM_GPU_TOTAL] = {"membudget_gpu_memory_total_bytes", G, "GPU memory (VRAM) total."},
    [MB_PM_GPU_USED] = {"membudget_gpu_memory_used_bytes", G, "GPU memory (VRAM) used."},
    [MB_PM_TARGET_PROCESSES] = {"membudget_target_processes", G,
                                "Processes of the configured target (with descendants)."},
    [MB_PM_TARGET_RAM] = {"membudget_target_ram_bytes", G,
                          "RAM of the target: sum of PSS (RSS where PSS is unreadable)."},
    [MB_PM_TARGET_SWAP] = {"membudget_target_swap_bytes", G,
                           "Swap of the target: sum of SwapPss (VmSwap where unreadable)."},
    [MB_PM_TARGET_VRAM] = {"membudget_target_vram_bytes", G, "GPU memory of the target."},
    [MB_PM_BUDGET_TOTAL_MAX] = {"membudget_budget_total_max_bytes", G,
                                "Budget: RAM + VRAM of the target (memory.target_total_mb)."},
    [MB_PM_BUDGET_RAM_MAX] = {"membudget_budget_ram_max_bytes", G,
                              "Budget: RAM of the target, or of the host without a target."},
    [MB_PM_BUDGET_VRAM_MAX] = {"membudget_budget_vram_max_bytes", G,
                               "Budget: GPU memory (memory.vram_max_mb)."},
    [MB_PM_BUDGET_SWAP_MAX] = {"membudget_budget_swap_max_bytes", G,
                               "Budget: swap used (memory.swap_max_mb)."},
    [MB_PM_BUDGET_AVAILABLE_MIN] = {"membudget_budget_available_min_bytes", G,
                                    "Budget: minimum MemAvailable (memory.available_min_mb)."},
    [MB_PM_BUDGET_MET] = {"membudget_budget_met", G,
                          "1 when the success-table metric meets its target, 0 when it fails."},
    [MB_PM_PROC_RSS] = {"membudget_top_process_resident_bytes", G,
                        "RSS of the top processes by RSS + swap (serve.top_n of them)."},
    [MB_PM_PROC_SWAP] = {"membudget_top_process_swap_bytes", G,
                         "Swap (VmSwap) of the top processes by RSS + swap."},
    [MB_PM_PROBLEM] = {"membudget_problem", G,
                       "A problem found by the problems engine now, value 1."},
    [MB_PM_LEAK_SLOPE] = {"membudget_leak_slope_bytes_per_second", G,
                          "Growth of a process flagged as a leak suspect (RSS + swap)."},
    [MB_PM_GUARD_EVENTS] = {"membudget_guard_events_total", C,
                            "Guard conditions that held for guard.for_s, by condition."},
    [MB_PM_GUARD_ACTIONS] = {"membudget_guard_actions_total", C,
                             "Guard actions taken (or logged in dry run), by action."},
    [MB_PM_SAMPLE_AGE] = {"membudget_sample_age_seconds", G,
                          "Seconds since the sample served by this scrape was taken."},
};

#undef G
#undef C

void mb_prom_begin(struct mb_prom *p, struct mb_buf *b)
{
        memset(p, 0, sizeof(*p));
        p->b = b;
        p->cur = -1;
}

static void set_err(struct mb_prom *p, int r)
{
        if (r < 0 && !p->err)
                p->err = r;
}

int mb_prom_escape_help(struct mb_buf *b, const char *v)
{
        int r = 0;

        for (; *v && r == 0; v++) {
                if (*v == '\\')
                        r = mb_buf_append(b, "\\\\", 2);
                else if (*v == '\n')
                        r = mb_buf_append(b, "\\n", 2);
                else
                        r = mb_buf_append(b, v, 1);
        }
        return r;
}

/*
 * Label values are user text (process names): backslash, quote and newline
 * are escaped as the exposition format says; a byte that is not valid UTF-8
 * becomes U+FFFD; every other character a terminal could act on (controls,
 * C1, bidi overrides: lib/util/text.h) becomes '?'.
 */
int mb_prom_escape_label(struct mb_buf *b, const char *v)
{
        size_t n = strlen(v), i = 0, adv;
        int r = 0;

        while (i < n && r == 0) {
                size_t k = mb_text_next(v + i, n - i, &adv);
                if (v[i] == '\\')
                        r = mb_buf_append(b, "\\\\", 2);
                else if (v[i] == '"')
                        r = mb_buf_append(b, "\\\"", 2);
                else if (v[i] == '\n')
                        r = mb_buf_append(b, "\\n", 2);
                else if (k)
                        r = mb_buf_append(b, v + i, k);
                else if (adv == 1 && (unsigned char)v[i] >= 0x80)
                        r = mb_buf_append(b, "\xef\xbf\xbd", 3);
                else
                        r = mb_buf_append(b, "?", 1);
                i += adv;
        }
        return r;
}

void mb_prom_format_value(double v, char *buf, size_t len)
{
        if (isnan(v))
                snprintf(buf, len, "NaN");
        else if (isinf(v))
                snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
        else if (v == floor(v) && fabs(v) < 9.0e15)
                snprintf(buf, len, "%lld", (long long)v);
        else
                snprintf(buf, len, "%." MB_REAL_DIGITS_STR "g", v);
}

void mb_prom_sample(struct mb_prom *p, enum mb_prom_metric m, const char *const *labels, double v)
{
        const struct mb_prom_desc *d;
        char num[64];
        int r = 0;

        if (p->err)
                return;
        if ((unsigned)m >= MB_PM_COUNT) {
                set_err(p, -EINVAL);
                return;
        }
        d = &mb_prom_descs[m];
        if (p->cur != (int)m) {
                if (p->seen[m]) { /* the family would not be contiguous */
                        set_err(p, -EINVAL);
                        return;
                }
                p->seen[m] = true;
                p->cur = (int)m;
                r = mb_buf_printf(p->b, "# HELP %s ", d->name);
                if (!r)
                        r = mb_prom_escape_help(p->b, d->help);
                if (!r)
                        r = mb_buf_printf(p->b, "\n# TYPE %s %s\n", d->name,
                                          d->type == MB_PROM_COUNTER ? "counter" : "gauge");
        }
        if (!r)
                r = mb_buf_printf(p->b, "%s", d->name);
        if (!r && labels && labels[0]) {
                r = mb_buf_append(p->b, "{", 1);
                for (size_t i = 0; !r && labels[i] && labels[i + 1]; i += 2) {
                        r = mb_buf_printf(p->b, "%s%s=\"", i ? "," : "", labels[i]);
                        if (!r)
                                r = mb_prom_escape_label(p->b, labels[i + 1]);
                        if (!r)
                                r = mb_buf_append(p->b, "\"", 1);
                }
                if (!r)
                        r = mb_buf_append(p->b, "}", 1);
        }
        mb_prom_format_value(v, num, sizeof(num));
        if (!r)
                r = mb_buf_printf(p->b, " %s\n", num);
        set_err(p, r);
}

int mb_prom_end(struct mb_prom *p)
{
        return p->err;
}

static void sample0(struct mb_prom *p, enum mb_prom_metric m, double v)
{
        mb_prom_sample(p, m, NULL, v);
}

static void sample_known(struct mb_prom *p, enum mb_prom_metric m, int64_t v)
{
        if (v != MB_UNKNOWN)
                mb_prom_sample(p, m, NULL, (double)v);
}

static void render_system(struct mb_prom *p, const struct mb_snapshot *s)
{
        const struct mb_memsummary *m = &s->mem;
        static const char *const win[] = {"10s", "60s", "300s"};

        sample0(p, MB_PM_MEM_TOTAL, (double)m->total);
        sample0(p, MB_PM_MEM_AVAILABLE, (double)m->available);
        sample0(p, MB_PM_MEM_USED, (double)m->used);
        sample0(p, MB_PM_MEM_FREE, (double)m->free);
        sample0(p, MB_PM_MEM_BUFF_CACHE, (double)m->buff_cache);
        sample0(p, MB_PM_SWAP_TOTAL, (double)m->swap_total);
        sample0(p, MB_PM_SWAP_USED, (double)m->swap_used);
        if (s->have_vm && s->vm.have_pswp) {
                sample0(p, MB_PM_SWAP_IN, (double)s->vm.pswpin);
                sample0(p, MB_PM_SWAP_OUT, (double)s->vm.pswpout);
        }
        if (s->have_psi) {
                const double some[] = {s->psi.some.avg10, s->psi.some.avg60, s->psi.some.avg300};
                const double full[] = {s->psi.full.avg10, s->psi.full.avg60, s->psi.full.avg300};
                for (int i = 0; i < 3; i++) {
                        const char *l[] = {"window", win[i], NULL};
                        mb_prom_sample(p, MB_PM_PSI_SOME_RATIO, l, some[i] / 100.0);
                }
                if (s->psi.have_full)
                        for (int i = 0; i < 3; i++) {
                                const char *l[] = {"window", win[i], NULL};
                                mb_prom_sample(p, MB_PM_PSI_FULL_RATIO, l, full[i] / 100.0);
                        }
                sample0(p, MB_PM_PSI_SOME_TOTAL, (double)s->psi.some.total_usec / 1e6);
                if (s->psi.have_full)
                        sample0(p, MB_PM_PSI_FULL_TOTAL, (double)s->psi.full.total_usec / 1e6);
        }
        if (s->have_swappiness)
                sample0(p, MB_PM_SWAPPINESS, s->swappiness);
}

static void render_gpus(struct mb_prom *p, const struct mb_gpus *g)
{
        char idx[16];

        for (size_t i = 0; i < g->n; i++) {
                const struct mb_gpu *d = &g->dev[i];
                snprintf(idx, sizeof(idx), "%d", d->index);
                const char *l[] = {"gpu",     idx,    "uuid",  d->uuid, "vendor",
                                   d->vendor, "name", d->name, NULL};
                mb_prom_sample(p, MB_PM_GPU_INFO, l, 1);
        }
        for (int k = 0; k < 2; k++)
                for (size_t i = 0; i < g->n; i++) {
                        const struct mb_gpu *d = &g->dev[i];
                        int64_t v = k == 0 ? d->total : d->used;
                        if (v == MB_UNKNOWN)
                                continue;
                        snprintf(idx, sizeof(idx), "%d", d->index);
                        const char *l[] = {"gpu", idx, "uuid", d->uuid, NULL};
                        mb_prom_sample(p, k == 0 ? MB_PM_GPU_TOTAL : MB_PM_GPU_USED, l, (double)v);
                }
}

static void render_budget(struct mb_prom *p, const struct mb_prom_input *in)
{
        const struct mb_config *c = in->cfg;
        const double mib = 1024.0 * 1024.0;

        if (c) {
                sample0(p, MB_PM_BUDGET_TOTAL_MAX, (double)c->target_total_mb * mib);
                sample0(p, MB_PM_BUDGET_RAM_MAX, (double)c->ram_max_mb * mib);
                sample0(p, MB_PM_BUDGET_VRAM_MAX, (double)c->vram_max_mb * mib);
                sample0(p, MB_PM_BUDGET_SWAP_MAX, (double)c->swap_max_mb * mib);
                sample0(p, MB_PM_BUDGET_AVAILABLE_MIN, (double)c->available_min_mb * mib);
        }
        if (in->budget)
                for (int i = 0; i < MB_M_COUNT; i++) {
                        const struct mb_metric *m = &in->budget->m[i];
                        if (!m->have || !m->has_target || m->status == MB_MS_NA)
                                continue;
                        const char *l[] = {"metric", m->id, NULL};
                        mb_prom_sample(p, MB_PM_BUDGET_MET, l, m->status == MB_MS_FAIL ? 0 : 1);
                }
}

static void render_procs(struct mb_prom *p, const struct mb_prom_input *in)
{
        const struct mb_proctab *t = &in->snap->procs;
        size_t n = 0;
        char pid[16];

        for (int k = 0; k < 2; k++) {
                n = 0;
                for (size_t i = 0; i < t->n && n < in->top_n; i++) {
                        const struct mb_proc *pr = &t->p[i];
                        int64_t v = k == 0 ? pr->rss : pr->swap;
                        if (pr->flags & MB_P_KTHREAD)
                                continue;
                        n++;
                        if (v == MB_UNKNOWN)
                                continue;
                        snprintf(pid, sizeof(pid), "%d", pr->pid);
                        const char *l[] = {"pid", pid, "name", pr->name, NULL};
                        mb_prom_sample(p, k == 0 ? MB_PM_PROC_RSS : MB_PM_PROC_SWAP, l, (double)v);
                }
        }
}

static void render_problems(struct mb_prom *p, const struct mb_findings *fs)
{
        /* One series per (id, severity): the engine may report an id twice
         * (e.g. two processes in swap). */
        for (size_t i = 0; i < fs->n; i++) {
                bool dup = false;
                for (size_t j = 0; j < i && !dup; j++)
                        dup = !strcmp(fs->f[j].id, fs->f[i].id) &&
                              fs->f[j].severity == fs->f[i].severity;
                if (dup)
                        continue;
                const char *l[] = {"id", fs->f[i].id, "severity",
                                   mb_severity_names[fs->f[i].severity], NULL};
                mb_prom_sample(p, MB_PM_PROBLEM, l, 1);
        }
}

static void render_guard(struct mb_prom *p, const struct mb_prom_guard *g)
{
        static const char *const cond[] = {"swap_used", "target_ram", "available", "psi_full"};
        static const char *const act[] = {"log", "hook", "signal"};

        for (int i = 0; i < 4; i++) {
                const char *l[] = {"condition", cond[i], NULL};
                mb_prom_sample(p, MB_PM_GUARD_EVENTS, l, (double)g->events[i]);
        }
        for (int i = 0; i < 3; i++) {
                const char *l[] = {"action", act[i], NULL};
                mb_prom_sample(p, MB_PM_GUARD_ACTIONS, l, (double)g->actions[i]);
        }
}

int mb_prom_render(struct mb_buf *b, const struct mb_prom_input *in)
{
        const struct mb_snapshot *s = in->snap;
        struct mb_prom p;

        mb_prom_begin(&p, b);
        sample0(&p, MB_PM_UP, s ? 1 : 0);
        {
                const char *l[] = {"version", in->version ? in->version : "unknown", NULL};
                mb_prom_sample(&p, MB_PM_BUILD_INFO, l, 1);
        }
        sample0(&p, MB_PM_SAMPLE_DURATION, in->sample_duration_s);
        if (s) {
                sample0(&p, MB_PM_SAMPLE_TIMESTAMP, s->wall);
                render_system(&p, s);
                if (s->have_gpus)
                        render_gpus(&p, &s->gpus);
                if (in->target && in->target->configured) {
                        sample0(&p, MB_PM_TARGET_PROCESSES, in->target->nprocs);
                        sample_known(&p, MB_PM_TARGET_RAM, in->target->ram);
                        sample_known(&p, MB_PM_TARGET_SWAP, in->target->swap);
                        sample_known(&p, MB_PM_TARGET_VRAM, in->target->vram);
                }
        }
        render_budget(&p, in);
        if (s && s->have_procs)
                render_procs(&p, in);
        if (in->findings)
                render_problems(&p, in->findings);
        for (size_t i = 0; i < in->nleaks; i++) {
                char pid[16];
                snprintf(pid, sizeof(pid), "%d", in->leaks[i].pid);
                const char *l[] = {"pid", pid, "name", in->leaks[i].name, NULL};
                mb_prom_sample(&p, MB_PM_LEAK_SLOPE, l, in->leaks[i].slope);
        }
        if (in->guard && in->guard->enabled)
                render_guard(&p, in->guard);
        return mb_prom_end(&p);
}

int mb_prom_render_age(struct mb_buf *b, double age_s)
{
        struct mb_prom p;

        mb_prom_begin(&p, b);
        sample0(&p, MB_PM_SAMPLE_AGE, age_s < 0 ? 0 : age_s);
        return mb_prom_end(&p);
}
