/*
 * budget.h: the plan's success table.  Metrics (swap used, RAM used for the
 * host and the target, VRAM, swappiness, available) measured now, each with
 * its target from the configuration and a status OK / WARN / FAIL (N/A when
 * it cannot be measured here).  Pure.
 */
#ifndef MB_BUDGET_H
#define MB_BUDGET_H

#include "../collect/snapshot.h"
#include "../config/config.h"
#include "target.h"

enum mb_metric_id {
        MB_M_SWAP_USED,
        MB_M_RAM_HOST,
        MB_M_RAM_TARGET,
        MB_M_VRAM,
        MB_M_SWAPPINESS,
        MB_M_AVAILABLE,
        MB_M_COUNT
};

enum mb_mstatus { MB_MS_OK, MB_MS_WARN, MB_MS_FAIL, MB_MS_NA };
extern const char *const mb_mstatus_names[];

struct mb_metric {
        const char *id;    /* stable: "swap_used_bytes", ... */
        const char *label; /* "swap used" */
        bool bytes;        /* a size (else a plain number) */
        bool have;         /* measured now */
        double now;
        bool has_target;
        double target;
        bool at_most; /* target is a maximum (else a minimum) */
        bool have_before;
        double before;
        enum mb_mstatus status;
};

struct mb_metrics {
        double time; /* wall clock of the measurement */
        struct mb_metric m[MB_M_COUNT];
};

void mb_metrics_compute(const struct mb_snapshot *s, const struct mb_target *tg,
                        const struct mb_config *c, struct mb_metrics *ret);

/* Copy "now" of `base` into "before" of `m` (a saved baseline). */
void mb_metrics_set_before(struct mb_metrics *m, const struct mb_metrics *base);

/* Every measured metric with a target is met (WARN counts as met). */
bool mb_metrics_all_met(const struct mb_metrics *m);

#endif
