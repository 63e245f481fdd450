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
        fputc('\n', f);
        print_host(f, &d->snap, o, rows, nrows);
        fputc('\n', f);
        mb_out_findings(f, &d->findings);
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
        for (size_t i = 0; i < s->procs.n && i < top_n; i++)
                json_array_append_new(top, mb_json_proc(&s->procs, &s->procs.p[i]));
        json_object_set_new(j, "top", top);
        json_object_set_new(j, "findings", mb_json_findings(&d->findings));
        json_object_set_new(j, "scan", mb_json_scan(&s->procs));
        return j;
}
