/* config.c: see config.h. */
#include "config.h"

#include "../util/size.h"
#include "json.h"

static json_t *warnings_json(const struct mb_config_warnings *w)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < w->n; i++)
                json_array_append_new(a, json_pack("{s:i,s:i,s:s}", "line", w->w[i].line, "col",
                                                   w->w[i].col, "message", w->w[i].msg));
        return a;
}

void mb_out_config_summary(FILE *f, const char *path, const struct mb_config *c, size_t nwarn)
{
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN], t[MB_SIZE_STRLEN];
        const int64_t MiB = 1 << 20;
        bool first = true;

        fprintf(f, "%s: valid", path);
        if (nwarn)
                fprintf(f, " (%zu warning%s)", nwarn, nwarn == 1 ? "" : "s");
        fputc('\n', f);
        if (c->target_match[0] && c->target_unit[0])
                fprintf(f, "  target       unit %s and processes matching /%s/\n", c->target_unit,
                        c->target_match);
        else if (c->target_match[0])
                fprintf(f, "  target       processes matching /%s/ and their descendants\n",
                        c->target_match);
        else if (c->target_unit[0])
                fprintf(f, "  target       unit %s\n", c->target_unit);
        else
                fprintf(f, "  target       host-wide (no target.match or target.unit)\n");
        fprintf(f, "  budget       RAM %lld MiB (%s) + VRAM %lld MiB (%s), total %lld MiB (%s)\n",
                (long long)c->ram_max_mb, mb_size_format(c->ram_max_mb * MiB, a, sizeof(a)),
                (long long)c->vram_max_mb, mb_size_format(c->vram_max_mb * MiB, b, sizeof(b)),
                (long long)c->target_total_mb,
                mb_size_format(c->target_total_mb * MiB, t, sizeof(t)));
        fprintf(f, "  swap         at most %s used; a process over %s in swap is flagged\n",
                mb_size_format(c->swap_max_mb * MiB, a, sizeof(a)),
                mb_size_format(c->swap_threshold_mb * MiB, b, sizeof(b)));
        fprintf(f, "  available    at least %s\n",
                mb_size_format(c->available_min_mb * MiB, a, sizeof(a)));
        fprintf(f, "  swappiness   %d\n", c->vm_swappiness);
        fprintf(f, "  guard        %s\n",
                !c->guard_enabled  ? "off"
                : c->guard_dry_run ? "on, dry run (logs what it would do)"
                                   : "on, acting");
        fprintf(f, "  sections     ");
        for (int i = 0; mb_config_sections[i]; i++)
                if (c->sections_set & (1u << i)) {
                        fprintf(f, "%s%s", first ? "" : ", ", mb_config_sections[i]);
                        first = false;
                }
        if (first)
                fprintf(f, "none");
        fprintf(f, "\n  defaults     ");
        first = true;
        for (int i = 0; mb_config_sections[i]; i++)
                if (!(c->sections_set & (1u << i))) {
                        fprintf(f, "%s%s", first ? "" : ", ", mb_config_sections[i]);
                        first = false;
                }
        fprintf(f, "%s\n", first ? "none (every section is in the file)" : "");
}

json_t *mb_out_config_check_json(const char *file, bool strict,
                                 const struct mb_config_warnings *warns, const struct mb_config *c)
{
        json_t *sections = json_array();

        for (int i = 0; mb_config_sections[i]; i++)
                if (c->sections_set & (1u << i))
                        json_array_append_new(sections, json_string(mb_config_sections[i]));
        return json_pack("{s:b,s:s,s:b,s:o,s:o,s:o}", "valid", 1, "file", file, "strict", strict,
                         "warnings", warnings_json(warns), "sections", sections, "config",
                         mb_config_json(c));
}

json_t *mb_out_config_plan_json(const struct mb_diag *d, const struct mb_config_plan *p)
{
        const struct mb_config *c = d->cfg;
        const struct mb_target *tg = &d->target;
        json_t *j = json_object();

        json_object_set_new(j, "target_processes", json_integer(tg->nprocs));
        json_object_set_new(j, "per_worker_bytes", json_integer(p->per));
        json_object_set_new(j, "workers", json_integer(tg->nworkers));
        json_object_set_new(j, "per_worker_measure", json_string("rss+swap"));
        json_object_set_new(j, "parent_bytes", json_integer(tg->parents_mem));
        json_object_set_new(j, "ram_budget_bytes", json_integer(c->ram_max_mb * MB_CONFPLAN_MIB));
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

void mb_out_config_plan_text(FILE *f, const struct mb_diag *d, const struct mb_config_plan *p)
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
