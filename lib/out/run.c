/* run.c: see run.h. */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>

#include "../util/size.h"
#include "../util/util.h"
#include "json.h"
#include "run.h"
#include "table.h"

static const char *size_or(int64_t v, char *buf, size_t len, const char *none)
{
        if (v == MB_UNKNOWN || v < 0)
                return none;
        return mb_size_format(v, buf, len);
}

void mb_out_run_fill(const struct mb_runner *rc, const struct mb_run_peaks *pk,
                     const struct mb_cg_limits *lim, const char *command, int64_t ram_budget,
                     int64_t swap_budget, int64_t vram_budget, struct mb_run_report *r)
{
        bool have_vram = rc->gpu_ok && rc->gpus.n > 0;

        r->command = command;
        r->cgroup = rc->removed ? rc->dir : NULL;
        r->scope_unit = rc->removed && rc->in_scope ? rc->scope.unit : NULL;
        r->scope_way = mb_scope_way_name(rc->way);
        r->max = lim->max;
        r->high = lim->high;
        r->swap_max = lim->swap_max;
        r->rss = pk->rss;
        r->swap = pk->swap > pk->cg_swap ? pk->swap : pk->cg_swap;
        r->tree = pk->tree;
        r->cg = pk->cg;
        r->vram = have_vram ? pk->vram : MB_UNKNOWN;
        r->oom_kills = pk->oom_kills;
        r->samples = pk->samples;
        r->max_procs = pk->max_procs;
        /* the budget of the configuration, not the limit given */
        r->broke_ram = pk->rss > ram_budget;
        r->broke_swap = swap_budget >= 0 && (pk->swap > swap_budget || pk->cg_swap > swap_budget);
        r->broke_vram = have_vram && vram_budget >= 0 && pk->vram > vram_budget;
        r->broke = r->broke_ram || r->broke_swap || r->broke_vram || pk->oom_kills > 0;
}

void mb_out_run_text(FILE *f, const struct mb_run_report *r)
{
        char a[MB_SIZE_STRLEN], h[MB_SIZE_STRLEN], s[MB_SIZE_STRLEN];

        fprintf(f, "\nmembudget run: ");
        mb_print_clean(f, r->command);
        fputc('\n', f);
        if (r->scope_unit) {
                fprintf(f, "  ran             in transient scope %s (via %s)\n", r->scope_unit,
                        r->scope_way);
        } else if (r->cgroup) {
                fprintf(f, "  ran             in cgroup %s (removed)\n", r->cgroup);
        }
        if (r->cgroup) {
                fprintf(f, "  limits          max %s, high %s, swap %s\n",
                        size_or(r->max, a, sizeof(a), "none"),
                        size_or(r->high, h, sizeof(h), "none"),
                        size_or(r->swap_max, s, sizeof(s), "none"));
        }
        fprintf(f, "  peak RSS        %s%s\n", size_or(r->rss, a, sizeof(a), "n/a"),
                r->broke_ram ? "  OVER BUDGET" : "");
        fprintf(f, "  peak swap       %s%s\n", size_or(r->swap, a, sizeof(a), "n/a"),
                r->broke_swap ? "  OVER BUDGET" : "");
        fprintf(f, "  peak RSS+swap   %s (process tree, %zu process%s at most)\n",
                size_or(r->tree, a, sizeof(a), "n/a"), r->max_procs, r->max_procs == 1 ? "" : "es");
        fprintf(f, "  peak cgroup     %s\n",
                size_or(r->cgroup ? r->cg : MB_UNKNOWN, a, sizeof(a), "n/a"));
        fprintf(f, "  peak VRAM       %s%s\n", size_or(r->vram, a, sizeof(a), "n/a"),
                r->broke_vram ? "  OVER BUDGET" : "");
        if (r->cgroup)
                fprintf(f, "  OOM kills       %lld%s\n", (long long)r->oom_kills,
                        r->oom_kills ? "  (the cgroup's OOM killer killed a process: the limit "
                                       "is too low for it)"
                                     : "");
        else
                fprintf(f, "  OOM kills       n/a (no cgroup)\n");
        fprintf(f, "  wall time       %.2f s\n", r->wall_s);
        if (r->signal)
                fprintf(f, "  exit            killed by signal %d (%s)%s\n", r->signal,
                        strsignal(r->signal),
                        r->signal == SIGKILL && r->oom_kills ? " by the OOM killer" : "");
        else
                fprintf(f, "  exit            status %d\n", r->exit_status);
}

static json_t *int_or_null(bool have, int64_t v)
{
        return have ? json_integer(v) : json_null();
}

json_t *mb_out_run_json(const struct mb_run_report *r)
{
        json_t *j = json_object();
        bool cg = r->cgroup != NULL;

        json_object_set_new(j, "command", mb_json_str(r->command));
        json_object_set_new(j, "cgroup", cg ? mb_json_str(r->cgroup) : json_null());
        if (r->scope_unit) {
                json_t *s = json_object();
                json_object_set_new(s, "unit", mb_json_str(r->scope_unit));
                json_object_set_new(s, "way", mb_json_str(r->scope_way));
                json_object_set_new(j, "scope", s);
        } else {
                json_object_set_new(j, "scope", json_null());
        }
        json_object_set_new(j, "limit_max_bytes", int_or_null(cg, r->max));
        json_object_set_new(j, "limit_high_bytes", int_or_null(cg && r->high >= 0, r->high));
        json_object_set_new(j, "limit_swap_max_bytes",
                            int_or_null(cg && r->swap_max >= 0, r->swap_max));
        json_object_set_new(j, "peak_rss_bytes", json_integer(r->rss));
        json_object_set_new(j, "peak_swap_bytes", json_integer(r->swap));
        json_object_set_new(j, "peak_rss_swap_bytes", json_integer(r->tree));
        json_object_set_new(j, "peak_cgroup_bytes", int_or_null(cg, r->cg));
        json_object_set_new(j, "peak_vram_bytes", int_or_null(r->vram != MB_UNKNOWN, r->vram));
        json_object_set_new(j, "oom_kills", int_or_null(cg, r->oom_kills));
        json_object_set_new(j, "wall_seconds", json_real(r->wall_s));
        json_object_set_new(j, "samples", json_integer(r->samples));
        json_object_set_new(j, "max_processes", json_integer((json_int_t)r->max_procs));
        json_object_set_new(j, "signal", r->signal ? json_integer(r->signal) : json_null());
        json_object_set_new(j, "exit_status", json_integer(r->exit_status));
        json_object_set_new(j, "over_budget", json_boolean(r->broke));
        return j;
}
