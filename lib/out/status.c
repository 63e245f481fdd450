/* status.c: see status.h. */
#define _GNU_SOURCE
#include "status.h"

#include <string.h>

#include "../analyze/breakdown.h"
#include "../util/size.h"
#include "../util/users.h"
#include "findings.h"
#include "json.h"
#include "table.h"

static void print_memory(FILE *f, const struct mb_snapshot *s)
{
        const struct mb_memsummary *m = &s->mem;
        struct mb_table t;
        char a[MB_SIZE_STRLEN];

        mb_table_init(&t);
        mb_table_col(&t, "", false, 0);
        mb_table_col(&t, "total", true, 0);
        mb_table_col(&t, "used", true, 0);
        mb_table_col(&t, "free", true, 0);
        mb_table_col(&t, "shared", true, 0);
        mb_table_col(&t, "buff/cache", true, 0);
        mb_table_col(&t, "available", true, 0);
        mb_table_cell(&t, "RAM");
        mb_table_size(&t, (int64_t)m->total);
        mb_table_size(&t, (int64_t)m->used);
        mb_table_size(&t, (int64_t)m->free);
        mb_table_size(&t, (int64_t)m->shared);
        mb_table_size(&t, (int64_t)m->buff_cache);
        mb_table_size(&t, (int64_t)m->available);
        mb_table_cell(&t, "Swap");
        mb_table_size(&t, (int64_t)m->swap_total);
        mb_table_size(&t, (int64_t)m->swap_used);
        mb_table_size(&t, (int64_t)m->swap_free);
        mb_table_cell(&t, "");
        mb_table_cell(&t, "");
        mb_table_cell(&t, "");
        mb_table_print(&t, f, true);
        mb_table_release(&t);
        fprintf(f, "(used = total - available, as procps-ng 4 free; swap cached %s)\n\n",
                mb_size_format((int64_t)m->swap_cached, a, sizeof(a)));
}

static void print_swap(FILE *f, const struct mb_snapshot *s, const struct mb_out_status_opts *o)
{
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN];

        for (size_t i = 0; i < s->swaps.n; i++) {
                const struct mb_swapdev *d = &s->swaps.dev[i];
                fprintf(f, "swap device ");
                mb_print_clean(f, d->path);
                fprintf(f, " (%s%s, priority %d): %s of %s used", d->type,
                        d->kind == MB_SWAP_ZRAM ? ", zram: compressed in RAM" : "", d->priority,
                        mb_size_format((int64_t)d->used, a, sizeof(a)),
                        mb_size_format((int64_t)d->size, b, sizeof(b)));
                if (d->kind == MB_SWAP_ZRAM && d->zram_mem_used != MB_UNKNOWN)
                        fprintf(f, ", takes %s of RAM",
                                mb_size_format(d->zram_mem_used, a, sizeof(a)));
                fputc('\n', f);
        }
        if (mb_mi_has(&s->mi, MB_MI_ZSWAP) && s->mi.v[MB_MI_ZSWAPPED])
                fprintf(f, "zswap: %s of swapped pages held compressed in %s of RAM\n",
                        mb_size_format((int64_t)s->mi.v[MB_MI_ZSWAPPED], a, sizeof(a)),
                        mb_size_format((int64_t)s->mi.v[MB_MI_ZSWAP], b, sizeof(b)));
        if (s->rates.valid)
                fprintf(f, "swap activity: in %.1f pages/s, out %.1f pages/s (over %.1f s)\n",
                        s->rates.swapin_pages_per_s, s->rates.swapout_pages_per_s,
                        s->rates.interval_s);
        else if (o->no_rates)
                fputs("swap activity: not sampled (--no-rates)\n", f);
        else
                fputs("swap activity: unknown (/proc/vmstat unreadable)\n", f);
        if (s->have_psi) {
                fprintf(f, "memory pressure: some %.2f/%.2f/%.2f", s->psi.some.avg10,
                        s->psi.some.avg60, s->psi.some.avg300);
                if (s->psi.have_full)
                        fprintf(f, "  full %.2f/%.2f/%.2f", s->psi.full.avg10, s->psi.full.avg60,
                                s->psi.full.avg300);
                fputs("  (% of time stalled, avg10/avg60/avg300)\n", f);
        } else {
                fputs("memory pressure: unavailable (kernel without PSI)\n", f);
        }
        if (s->have_swappiness)
                fprintf(f, "vm.swappiness: %d\n", s->swappiness);
}

static void print_gpus(FILE *f, const struct mb_snapshot *s)
{
        struct mb_table t;

        if (s->have_gpus) {
                fputc('\n', f);
                if (s->gpus.n == 0) {
                        fputs("GPU: none found; ", f);
                        mb_print_clean(f, s->gpus.nvml_status);
                        fputc('\n', f);
                } else {
                        mb_table_init(&t);
                        mb_table_col(&t, "GPU", true, 0);
                        mb_table_col(&t, "VENDOR", false, 0);
                        mb_table_col(&t, "NAME", false, 40);
                        mb_table_col(&t, "TOTAL", true, 0);
                        mb_table_col(&t, "USED", true, 0);
                        mb_table_col(&t, "FREE", true, 0);
                        mb_table_col(&t, "USED%", true, 0);
                        for (size_t i = 0; i < s->gpus.n; i++) {
                                const struct mb_gpu *g = &s->gpus.dev[i];
                                mb_table_cellf(&t, "%d", g->index);
                                mb_table_cell(&t, g->vendor);
                                mb_table_cell(&t, g->error[0] ? g->error : g->name);
                                mb_table_size(&t, g->total);
                                mb_table_size(&t, g->used);
                                mb_table_size(&t, g->free);
                                if (g->total > 0 && g->used != MB_UNKNOWN)
                                        mb_table_cellf(&t, "%.0f%%",
                                                       100.0 * (double)g->used / (double)g->total);
                                else
                                        mb_table_cell(&t, "-");
                        }
                        mb_table_print(&t, f, true);
                        mb_table_release(&t);
                }
        }
}

static void print_breakdown(FILE *f, const struct mb_snapshot *s,
                            const struct mb_breakdown_row *rows, size_t nrows)
{
        const struct mb_memsummary *m = &s->mem;
        struct mb_table t;

        fputs("\nWhere the RAM goes\n", f);
        mb_table_init(&t);
        mb_table_col(&t, "", false, 0);
        mb_table_col(&t, "", true, 0);
        mb_table_col(&t, "", true, 0);
        for (size_t i = 0; i < nrows; i++) {
                mb_table_cell(&t, rows[i].label);
                mb_table_size(&t, rows[i].bytes);
                mb_table_cellf(&t, "%5.1f%%", 100.0 * (double)rows[i].bytes / (double)m->total);
        }
        mb_table_cell(&t, "total (MemTotal)");
        mb_table_size(&t, (int64_t)m->total);
        mb_table_cell(&t, "100.0%");
        mb_table_print(&t, f, false);
        mb_table_release(&t);
}

static void print_top(FILE *f, const struct mb_snapshot *s, size_t top)
{
        struct mb_table t;
        size_t shown;

        fprintf(f, "\nTop consumers (RSS + swap)\n");
        mb_table_init(&t);
        mb_table_col(&t, "PID", true, 0);
        mb_table_col(&t, "USER", false, 12);
        mb_table_col(&t, "RSS", true, 0);
        mb_table_col(&t, "SWAP", true, 0);
        mb_table_col(&t, "RSS+SWAP", true, 0);
        if (s->gpus.nprocs)
                mb_table_col(&t, "GPU", true, 0);
        mb_table_col(&t, "COMMAND", false, 80);
        shown = 0;
        for (size_t i = 0; i < s->procs.n && shown < top; i++) {
                const struct mb_proc *p = &s->procs.p[i];
                const char *cl = mb_proc_cmdline(&s->procs, p);
                if (p->flags & MB_P_KTHREAD)
                        continue;
                mb_table_cellf(&t, "%d", p->pid);
                mb_table_cell(&t, mb_user_name(p->uid));
                mb_table_size(&t, p->rss);
                mb_table_size(&t, p->swap);
                mb_table_size(&t, mb_proc_rss_swap(p));
                if (s->gpus.nprocs)
                        mb_table_size(&t, p->gpu);
                mb_table_cell(&t, *cl ? cl : p->name);
                shown++;
        }
        mb_table_print(&t, f, true);
        mb_table_release(&t);
}

static void print_host(FILE *f, const struct mb_snapshot *s, const struct mb_out_status_opts *o,
                       const struct mb_breakdown_row *rows, size_t nrows)
{
        print_memory(f, s);
        print_swap(f, s, o);
        print_gpus(f, s);
        print_breakdown(f, s, rows, nrows);
        print_top(f, s, o->top);
}
static void print_target(FILE *f, const struct mb_diag *d)
{
        const struct mb_target *tg = &d->target;
        const struct mb_config *c = d->cfg;
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN], v[MB_SIZE_STRLEN];

        if (!tg->configured) {
                fputs("budget: host-wide (no target in the configuration)\n", f);
                return;
        }
        fputs("target: ", f);
        mb_print_clean(f, c->target_match[0] ? c->target_match : c->target_unit);
        fprintf(f, ": %u process%s, RAM %s of %lld MiB (%s), swap %s, VRAM %s of %lld MiB\n",
                tg->nprocs, tg->nprocs == 1 ? "" : "es", mb_size_format(tg->ram, a, sizeof(a)),
                (long long)c->ram_max_mb, tg->rss_fallback ? "RSS: PSS needs root" : "PSS",
                mb_size_format(tg->swap, b, sizeof(b)),
                tg->vram == MB_UNKNOWN ? "unknown" : mb_size_format(tg->vram, v, sizeof(v)),
                (long long)c->vram_max_mb);
}

/* A limit for the text: "256 MiB", "none" (max), "?" (unreadable). */
static const char *cg_size(int64_t v, char *buf)
{
        if (v == MB_CG_UNKNOWN)
                return "?";
        if (v < 0)
                return "none";
        return mb_size_format(v, buf, MB_SIZE_STRLEN);
}

static void print_cgmem(FILE *f, const char *label, const struct mb_cgmem *m)
{
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN], c[MB_SIZE_STRLEN];
        const char *sep = "; events ";

        fprintf(f, "%s ", label);
        mb_print_clean(f, m->path);
        fprintf(f, ": max %s", cg_size(m->max, a));
        if (m->version == 2)
                fprintf(f, ", high %s", cg_size(m->high, b));
        fprintf(f, ", usage %s", cg_size(m->current, c));
        if (m->version == 2 && m->ev_max != MB_CG_UNKNOWN) {
                fprintf(f, "; events high %lld, max %lld, oom %lld, oom_kill %lld",
                        (long long)m->ev_high, (long long)m->ev_max,
                        (long long)(m->ev_oom == MB_CG_UNKNOWN ? 0 : m->ev_oom),
                        (long long)(m->ev_oom_kill == MB_CG_UNKNOWN ? 0 : m->ev_oom_kill));
                sep = ", ";
        } else if (m->version == 1) {
                if (m->ev_max != MB_CG_UNKNOWN) {
                        fprintf(f, "%sfailcnt %lld", sep, (long long)m->ev_max);
                        sep = ", ";
                }
                if (m->ev_oom_kill != MB_CG_UNKNOWN) {
                        fprintf(f, "%soom_kill %lld", sep, (long long)m->ev_oom_kill);
                        sep = ", ";
                }
        }
        if (m->pswpin != MB_CG_UNKNOWN)
                fprintf(f, "; pswpin %lld", (long long)m->pswpin);
        if (m->refault != MB_CG_UNKNOWN)
                fprintf(f, "; refaults %lld", (long long)m->refault);
        if (m->have_psi)
                fprintf(f, "; pressure some %.2f full %.2f", m->psi_some10, m->psi_full10);
        fputc('\n', f);
}

static void print_container(FILE *f, const struct mb_snapshot *s)
{
        const struct mb_container *c = &s->container;
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN], n[256];

        if (!s->have_container || !c->in_container)
                return;
        fputs("container: ", f);
        if (c->name.runtime != MB_CTR_NONE) {
                mb_ctr_name_format(&c->name, n, sizeof(n));
                mb_print_clean(f, n);
                fputs(" ", f);
        }
        fputs("(", f);
        mb_print_clean(f, c->how);
        fputs(")", f);
        if (c->limit > 0) {
                fprintf(f, ": limit %s (%s), usage %s", mb_size_format(c->limit, a, sizeof(a)),
                        c->version == 2 ? "memory.max" : "memory.limit_in_bytes",
                        c->current >= 0 ? mb_size_format(c->current, b, sizeof(b)) : "unknown");
                if (c->current >= 0)
                        fprintf(f, " (%.0f%%)", 100.0 * (double)c->current / (double)c->limit);
                if (s->have_container_cg && s->container_cg.inactive_file != MB_CG_UNKNOWN)
                        fprintf(
                            f, ", working set %s",
                            mb_size_format(mb_cgmem_working_set(&s->container_cg), b, sizeof(b)));
                fputs(": the limit that matters here, not the host's RAM\n", f);
        } else {
                fputs(": no memory limit found; the host's RAM applies\n", f);
        }
        if (s->have_container_cg && c->limit > 0) {
                for (size_t i = 0; i < s->ntarget_cg; i++)
                        if (!strcmp(s->target_cg[i].dir, s->container_cg.dir))
                                return; /* shown above */
                print_cgmem(f, "container cgroup", &s->container_cg);
        }
}

void mb_out_status(FILE *f, const struct mb_diag *d, const struct mb_out_status_opts *o)
{
        struct mb_breakdown_row rows[MB_BREAKDOWN_MAX];
        size_t nrows = mb_breakdown_compute(&d->snap.mi, rows);

        if (!o->config_path)
                fputs("config: none found, using host-wide defaults from the plan's "
                      "success table\n",
                      f);
        else {
                fputs("config: ", f);
                mb_print_clean(f, o->config_path);
                fputc('\n', f);
        }
        print_target(f, d);
        for (size_t i = 0; i < d->snap.ntarget_cg; i++)
                print_cgmem(f, "cgroup", &d->snap.target_cg[i]);
        print_container(f, &d->snap);
        fputc('\n', f);
        print_host(f, &d->snap, o, rows, nrows);
        fputc('\n', f);
        mb_out_findings(f, &d->findings);
}

static json_t *cg_json_num(int64_t v)
{
        return v == MB_CG_UNKNOWN || v < 0 ? json_null() : json_integer((json_int_t)v);
}

static json_t *cgmem_json(const struct mb_cgmem *m)
{
        json_t *j = json_object(), *ev = json_object();

        json_object_set_new(j, "path", mb_json_str(m->path));
        json_object_set_new(j, "version", json_integer(m->version));
        json_object_set_new(j, "processes", json_integer(m->nprocs));
        json_object_set_new(j, "max_bytes", cg_json_num(m->max));
        json_object_set_new(j, "high_bytes", cg_json_num(m->high));
        json_object_set_new(j, "swap_max_bytes", cg_json_num(m->swap_max));
        json_object_set_new(j, "usage_bytes", cg_json_num(m->current));
        json_object_set_new(ev, "low", cg_json_num(m->ev_low));
        json_object_set_new(ev, "high", cg_json_num(m->ev_high));
        json_object_set_new(ev, "max", cg_json_num(m->ev_max));
        json_object_set_new(ev, "oom", cg_json_num(m->ev_oom));
        json_object_set_new(ev, "oom_kill", cg_json_num(m->ev_oom_kill));
        json_object_set_new(j, "events", ev);
        json_object_set_new(j, "under_oom", json_boolean(m->under_oom));
        json_object_set_new(j, "pressure",
                            m->have_psi ? json_pack("{s:f,s:f}", "some_avg10", m->psi_some10,
                                                    "full_avg10", m->psi_full10)
                                        : json_null());
        json_object_set_new(j, "pswpin", cg_json_num(m->pswpin));
        json_object_set_new(j, "workingset_refault", cg_json_num(m->refault));
        return j;
}

static json_t *container_json(const struct mb_snapshot *s)
{
        const struct mb_container *c = &s->container;
        json_t *j;

        if (!s->have_container || !c->in_container)
                return json_null();
        j = json_object();
        json_object_set_new(j, "runtime",
                            c->name.runtime != MB_CTR_NONE
                                ? json_string(mb_ctr_runtime_name(c->name.runtime))
                                : json_null());
        json_object_set_new(j, "id", c->name.id[0] ? mb_json_str(c->name.id) : json_null());
        json_object_set_new(j, "pod", c->name.pod[0] ? mb_json_str(c->name.pod) : json_null());
        json_object_set_new(j, "how", mb_json_str(c->how));
        json_object_set_new(j, "cgroup_namespace", json_boolean(c->cgroupns));
        json_object_set_new(j, "cgroup_version", json_integer(c->version));
        json_object_set_new(j, "cgroup", mb_json_str(c->cgroup));
        json_object_set_new(j, "limit_bytes", c->limit >= 0 ? json_integer(c->limit) : json_null());
        json_object_set_new(j, "usage_bytes",
                            c->current >= 0 ? json_integer(c->current) : json_null());
        json_object_set_new(j, "working_set_bytes",
                            s->have_container_cg
                                ? cg_json_num(mb_cgmem_working_set(&s->container_cg))
                                : json_null());
        json_object_set_new(j, "high_bytes", c->high >= 0 ? json_integer(c->high) : json_null());
        json_object_set_new(j, "swap_max_bytes",
                            c->swap_max >= 0 ? json_integer(c->swap_max) : json_null());
        json_object_set_new(j, "limit_dir",
                            c->limit_dir[0] ? mb_json_str(c->limit_dir) : json_null());
        json_object_set_new(j, "limit_cgroup",
                            s->have_container_cg ? cgmem_json(&s->container_cg) : json_null());
        return j;
}

json_t *mb_out_status_json(const struct mb_diag *d, const char *config_path, size_t top_n)
{
        const struct mb_snapshot *s = &d->snap;
        const struct mb_target *tg = &d->target;
        struct mb_breakdown_row rows[MB_BREAKDOWN_MAX];
        size_t nrows = mb_breakdown_compute(&s->mi, rows);
        json_t *j = json_object(), *top = json_array(), *target = json_null();

        if (tg->configured)
                target = json_pack(
                    "{s:o,s:o,s:i,s:I,s:I,s:o,s:b}", "match",
                    d->cfg->target_match[0] ? mb_json_str(d->cfg->target_match) : json_null(),
                    "unit", d->cfg->target_unit[0] ? mb_json_str(d->cfg->target_unit) : json_null(),
                    "processes", tg->nprocs, "ram_bytes", (json_int_t)tg->ram, "swap_bytes",
                    (json_int_t)tg->swap, "vram_bytes", mb_json_size(tg->vram),
                    "ram_is_rss_fallback", tg->rss_fallback > 0);
        if (tg->configured) {
                json_t *cgs = json_array();
                for (size_t i = 0; i < s->ntarget_cg; i++)
                        if (s->target_cg[i].target)
                                json_array_append_new(cgs, cgmem_json(&s->target_cg[i]));
                json_object_set_new(target, "cgroups", cgs);
        }
        if (tg->configured) /* how the RAM was counted: "PSS", "RSS" or "PSS+RSS" */
                json_object_set_new(target, "ram_measure", json_string(mb_target_ram_kind(tg)));
        json_object_set_new(j, "version", json_integer(1));
        json_object_set_new(j, "time", json_real(s->wall));
        json_object_set_new(j, "collector", json_string(s->collector));
        json_object_set_new(j, "config", config_path ? mb_json_str(config_path) : json_null());
        json_object_set_new(j, "memory", mb_json_memory(&s->mem));
        json_object_set_new(j, "swap", mb_json_swap(s));
        json_object_set_new(j, "pressure", mb_json_pressure(s));
        json_object_set_new(j, "swappiness",
                            s->have_swappiness ? json_integer(s->swappiness) : json_null());
        json_object_set_new(j, "breakdown", mb_json_breakdown(rows, nrows));
        json_object_set_new(j, "gpus", mb_json_gpus(&s->gpus));
        json_object_set_new(j, "target", target);
        json_object_set_new(j, "container", container_json(s));
        {
                /* the target's memory cgroups, then others whose events show
                 * OOM kills or a reached limit */
                json_t *cgs = json_array();
                for (size_t i = 0; i < s->ntarget_cg; i++) {
                        json_t *c = cgmem_json(&s->target_cg[i]);
                        json_object_set_new(c, "target", json_boolean(s->target_cg[i].target));
                        json_array_append_new(cgs, c);
                }
                json_object_set_new(j, "cgroups", cgs);
        }
        for (size_t i = 0; i < s->procs.n && i < top_n; i++)
                json_array_append_new(top, mb_json_proc(&s->procs, &s->procs.p[i]));
        json_object_set_new(j, "top", top);
        json_object_set_new(j, "findings", mb_json_findings(&d->findings));
        json_object_set_new(j, "scan", mb_json_scan(&s->procs));
        return j;
}
