/* cmd-status.c: "membudget status": the host's diagnosis in one screen. */
#define _GNU_SOURCE
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/analyze/breakdown.h"
#include "../lib/analyze/procsel.h"
#include "../lib/collect/snapshot.h"
#include "../lib/out/json.h"
#include "../lib/out/table.h"
#include "../lib/util/size.h"
#include "../lib/util/users.h"
#include "../lib/out/findings.h"
#include "cli-diag.h"
#include "cli.h"

const char cmd_status_help[] =
    "usage: membudget status [--no-rates] [--sample SECONDS] [--top N] [--json]\n"
    "\n"
    "  --no-rates        do not sample swap-in/out rates (no wait)\n"
    "  --sample SECONDS  length of the rate sample (default 0.5)\n"
    "  --top N           how many top consumers to show (default 5)\n";

struct status_opts {
        bool no_rates;
        double sample_s;
        long top;
};

static int parse(int argc, char **argv, struct mb_cli *cli, struct status_opts *o)
{
        enum { OPT_NO_RATES = 0x100, OPT_SAMPLE, OPT_TOP };
        static const struct option longopts[] = {
            {"no-rates", no_argument, NULL, OPT_NO_RATES},
            {"sample", required_argument, NULL, OPT_SAMPLE},
            {"top", required_argument, NULL, OPT_TOP},
            {NULL, 0, NULL, 0},
        };
        int c, r;

        mb_getopt_reset();
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_NO_RATES:
                        o->no_rates = true;
                        break;
                case OPT_SAMPLE:
                        if ((r = mb_opt_double(cli, "--sample", optarg, 0.05, 60, &o->sample_s)))
                                return r;
                        break;
                case OPT_TOP:
                        if ((r = mb_opt_uint(cli, "--top", optarg, 1000000, &o->top)))
                                return r;
                        break;
                default:
                        return mb_bad_option(cli, argc, argv, c);
                }
        }
        if (optind < argc)
                return mb_usage_error(cli, "unexpected argument '%s'", argv[optind]);
        return 0;
}

static void print_human(struct mb_cli *cli, const struct mb_snapshot *s,
                        const struct status_opts *o, const struct mb_breakdown_row *rows,
                        size_t nrows)
{
        FILE *f = cli->out;
        const struct mb_memsummary *m = &s->mem;
        struct mb_table t;
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN];
        size_t shown;

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
        for (size_t i = 0; i < s->procs.n && shown < (size_t)o->top; i++) {
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

int cmd_status(int argc, char **argv, struct mb_cli *cli)
{
        struct status_opts o = {.no_rates = false, .sample_s = 0.5, .top = 5};
        struct mb_breakdown_row rows[MB_BREAKDOWN_MAX];
        struct mb_diag_req req = {0};
        struct mb_diag d;
        struct mb_snapshot *s;
        size_t nrows;
        int r, code = MB_EXIT_OK;

        if ((r = parse(argc, argv, cli, &o)))
                return r;
        req.rates = !o.no_rates;
        req.sample_s = o.sample_s;
        mb_diag_init(&d);
        code = mb_cli_diagnose(cli, &req, &d);
        if (code)
                goto out;
        s = &d.snap;
        nrows = mb_breakdown_compute(&s->mi, rows);

        if (cli->json) {
                mb_json_print(mb_status_json(cli, &d, (size_t)o.top), cli->out);
        } else {
                if (cli->config_defaults)
                        fputs("config: none found, using host-wide defaults from the plan's "
                              "success table\n",
                              cli->out);
                else {
                        fputs("config: ", cli->out);
                        mb_print_clean(cli->out, d.cfg->path);
                        fputc('\n', cli->out);
                }
                print_target(cli->out, &d);
                fputc('\n', cli->out);
                print_human(cli, s, &o, rows, nrows);
                fputc('\n', cli->out);
                mb_out_findings(cli->out, &d.findings);
        }
out:
        mb_diag_release(&d);
        return code;
}

json_t *mb_status_json(const struct mb_cli *cli, const struct mb_diag *d, size_t top_n)
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
        json_object_set_new(j, "version", json_integer(1));
        json_object_set_new(j, "time", json_real(s->wall));
        json_object_set_new(j, "collector", json_string(s->collector));
        json_object_set_new(j, "config",
                            cli->config_defaults ? json_null() : mb_json_str(d->cfg->path));
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
