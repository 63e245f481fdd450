/*
 * render.h: one sample of serve, rendered once for every scrape: the
 * /metrics text and the /api/snapshot document (the `status --json` one).
 */
#ifndef MB_SERVE_RENDER_H
#define MB_SERVE_RENDER_H

#include "../analyze/budget.h"
#include "../diag/diag.h"
#include "../util/util.h"
#include "guard.h"

/* Leak slopes exported per sample (the largest first). */
#define MB_SERVE_LEAKS_MAX 32

struct mb_serve_view {
        const struct mb_diag *d; /* the sample (and its leak suspects) */
        bool ok;                 /* the sample succeeded */
        const struct mb_metrics *budget;
        const struct mb_guard *guard; /* counters; enabled from d->cfg */
        double duration_s;
        const char *version;
        const char *config_path; /* NULL: defaults */
};

/*
 * Render into `metrics` (reset first) and, for a sample that succeeded,
 * *snapshot (malloc'ed JSON, NULL otherwise).  0 or -ENOMEM.
 */
int mb_serve_render(const struct mb_serve_view *v, struct mb_buf *metrics, char **snapshot);

#endif
