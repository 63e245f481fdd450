/*
 * confplan.h: `config plan`: from the target's measured per-worker memory
 * (median RSS+swap of the children of the target's parent, the parent left
 * out: analyze/target.h), the worker_processes and cache_size_mb that fit
 * ram_max_mb with a 10 % margin; memory_fraction x device total against
 * vram_max_mb for the GPU.
 */
#ifndef MB_DIAG_CONFPLAN_H
#define MB_DIAG_CONFPLAN_H

#include "diag.h"

#define MB_CONFPLAN_MIB (1024ll * 1024ll)

struct mb_config_plan {
        int64_t avail, per, cache, fit_workers, fit_cache_mb, gpu_total;
        double fit_fraction;
};

/* From a sample of a running target (d->target.worker_median > 0). */
void mb_config_plan_compute(const struct mb_diag *d, struct mb_config_plan *p);

#endif
