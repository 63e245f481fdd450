/* confplan.c: see confplan.h. */
#include "confplan.h"

#include <string.h>

void mb_config_plan_compute(const struct mb_diag *d, struct mb_config_plan *p)
{
        const struct mb_config *c = d->cfg;
        const struct mb_target *tg = &d->target;

        memset(p, 0, sizeof(*p));
        p->fit_cache_mb = -1;
        p->fit_fraction = -1;
        p->per = tg->worker_median;
        p->avail = c->ram_max_mb * MB_CONFPLAN_MIB * 9 / 10; /* 10 % margin */
        p->cache = (c->cache_size_mb > 0 ? c->cache_size_mb : 0) * MB_CONFPLAN_MIB;
        p->fit_workers = (p->avail - p->cache - tg->parents_mem) / p->per; /* the parent stays */
        if (p->fit_workers < 0)
                p->fit_workers = 0;
        if (c->worker_processes > 0)
                p->fit_cache_mb =
                    (p->avail - tg->parents_mem - c->worker_processes * p->per) / MB_CONFPLAN_MIB;
        for (size_t i = 0; i < d->snap.gpus.n; i++)
                if (d->snap.gpus.dev[i].total > 0)
                        p->gpu_total += d->snap.gpus.dev[i].total;
        if (p->gpu_total > 0) {
                p->fit_fraction = (double)(c->vram_max_mb * MB_CONFPLAN_MIB) / (double)p->gpu_total;
                if (p->fit_fraction > 1)
                        p->fit_fraction = 1;
        }
}
