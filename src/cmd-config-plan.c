/*
 * cmd-config-plan.c: "membudget config plan": from the target's measured
 * per-worker memory (median RSS+swap of the children of the target's
 * parent, the parent left out: analyze/target.h), the worker_processes and cache_size_mb that fit
 * ram_max_mb with a 10 % margin; memory_fraction x device total against
 * vram_max_mb for the GPU.
 */
#define _GNU_SOURCE
#include <string.h>

#include "../lib/out/json.h"
#include "../lib/util/size.h"
#include "cli-diag.h"
#include "cli.h"

#define MIB (1024ll * 1024ll)

struct plan {
        int64_t avail, per, cache, fit_workers, fit_cache_mb, gpu_total;
        double fit_fraction;
};

static void plan_compute(const struct mb_diag *d, struct plan *p)
{
        const struct mb_config *c = d->cfg;
        const struct mb_target *tg = &d->target;

        memset(p, 0, sizeof(*p));
        p->fit_cache_mb = -1;
        p->fit_fraction = -1;
        p->per = tg->worker_median;
        p->avail = c->ram_max_mb * MIB * 9 / 10; /* 10 % margin */
        p->cache = (c->cache_size_mb > 0 ? c->cache_size_mb : 0) * MIB;
        p->fit_workers = (p->avail - p->cache - tg->parents_mem) / p->per; /* the parent stays */
        if (p->fit_workers < 0)
                p->fit_workers = 0;
        if (c->worker_processes > 0)
                p->fit_cache_mb = (p->avail - tg->parents_mem - c->worker_processes * p->per) / MIB;
        for (size_t i = 0; i < d->snap.gpus.n; i++)
                if (d->snap.gpus.dev[i].total > 0)
                        p->gpu_total += d->snap.gpus.dev[i].total;
        if (p->gpu_total > 0) {
                p->fit_fraction = (double)(c->vram_max_mb * MIB) / (double)p->gpu_total;
                if (p->fit_fraction > 1)
                        p->fit_fraction = 1;
        }
}

static json_t *plan_json(const struct mb_diag *d, const struct plan *p)
{
        const struct mb_config *c = d->cfg;
        const struct mb_target *tg = &d->target;
        json_t *j = json_object();

        json_object_set_new(j, "target_processes", json_integer(tg->nprocs));
        json_object_set_new(j, "per_worker_bytes", json_integer(p->per));
        json_object_set_new(j, "workers", json_integer(tg->nworkers));
        json_object_set_new(j, "per_worker_measure", json_string("rss+swap"));
        json_object_set_new(j, "parent_bytes", json_integer(tg->parents_mem));
        json_object_set_new(j, "ram_budget_bytes", json_integer(c->ram_max_mb * MIB));
        json_object_set_new(j, "usable_bytes", json_integer(p->avail));
        json_object_set_new(j, "worker_processes_fit", json_integer(p->fit_workers));
        json_object_set_new(j, "cache_size_mb_fit",
                            p->fit_cache_mb >= 0 ? json_integer(p->fit_cache_mb) : json_null());
        json_object_set_new(j, "gpu_total_bytes",
                            p->gpu_total ? json_integer(p->gpu_total) : json_null());
        json_object_set_new(j, "memory_fraction_fit",
                            p->fit_fraction >= 0 ? json_real(p->fit_fraction) : json_null());
        return j;
}

static void plan_text(FILE *f, const struct mb_diag *d, const struct plan *p)
{
        const struct mb_config *c = d->cfg;
        const struct mb_target *tg = &d->target;
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN];

        fprintf(f,
                "target: %u processes; %u worker%s (the children of the target's parent, the "
                "parent left out), median RSS+swap %s each\n",
                tg->nprocs, tg->nworkers, tg->nworkers == 1 ? "" : "s",
                mb_size_format(p->per, a, sizeof(a)));
        fprintf(f,
                "RAM budget %lld MiB, usable with a 10 %% margin: %s, the parent takes %s of it\n",
                (long long)c->ram_max_mb, mb_size_format(p->avail, b, sizeof(b)),
                mb_size_format(tg->parents_mem, a, sizeof(a)));
        if (c->worker_processes > 0)
                snprintf(a, sizeof(a), "%lld configured", (long long)c->worker_processes);
        else
                snprintf(a, sizeof(a), "not configured");
        fprintf(f, "  worker_processes: %s, %lld fit with cache_size_mb %lld\n", a,
                (long long)p->fit_workers,
                (long long)(c->cache_size_mb > 0 ? c->cache_size_mb : 0));
        if (p->fit_cache_mb >= 0)
                fprintf(f,
                        "  cache_size_mb:    %lld configured, up to %lld fits with %lld workers\n",
                        (long long)c->cache_size_mb, (long long)p->fit_cache_mb,
                        (long long)c->worker_processes);
        else if (c->worker_processes > 0)
                fprintf(f, "  cache_size_mb:    no room: %lld workers alone exceed the budget\n",
                        (long long)c->worker_processes);
        if (p->gpu_total > 0) {
                char frac[96];
                if (c->memory_fraction > 0)
                        snprintf(
                            frac, sizeof(frac), "memory_fraction %.2f allows %s",
                            c->memory_fraction,
                            mb_size_format((int64_t)(c->memory_fraction * (double)p->gpu_total), b,
                                           sizeof(b)));
                else
                        snprintf(frac, sizeof(frac), "memory_fraction not configured");
                fprintf(f,
                        "GPU: %s in total; %s, vram_max_mb %lld MiB fits memory_fraction "
                        "<= %.2f\n",
                        mb_size_format(p->gpu_total, a, sizeof(a)), frac, (long long)c->vram_max_mb,
                        p->fit_fraction);
        } else
                fputs("GPU: no GPU data\n", f);
}

int mb_cmd_config_plan(int argc, char **argv, struct mb_cli *cli)
{
        struct mb_diag_req req = {.rates = false};
        const struct mb_target *tg;
        struct mb_diag d;
        struct plan p;
        int code;

        mb_getopt_reset();
        if (getopt_long(argc, argv, ":", (const struct option[]){{NULL, 0, NULL, 0}}, NULL) != -1)
                return mb_bad_option(cli, argc, argv, '?');
        if (optind < argc)
                return mb_usage_error(cli, "unexpected argument '%s'", argv[optind]);

        mb_diag_init(&d);
        code = mb_cli_diagnose(cli, &req, &d);
        if (code)
                goto out;
        tg = &d.target;
        if (!tg->configured) {
                code = mb_runtime_error(cli, "config plan needs a target (target.match or "
                                             "target.unit) to measure");
                goto out;
        }
        if (tg->nprocs == 0 || tg->worker_median == MB_UNKNOWN || tg->worker_median <= 0) {
                code = mb_runtime_error(cli, "config plan: the target is not running; start it, "
                                             "then plan");
                goto out;
        }
        plan_compute(&d, &p);
        if (cli->json)
                mb_json_print(plan_json(&d, &p), cli->out);
        else
                plan_text(cli->out, &d, &p);
out:
        mb_diag_release(&d);
        return code;
}
