/* status.h: the `status` document: its text (one screen) and its JSON
 * (also serve's /api/snapshot), from one diagnosis sample. */
#ifndef MB_OUT_STATUS_H
#define MB_OUT_STATUS_H

#include <jansson.h>
#include <stdio.h>

#include "../diag/diag.h"

struct mb_out_status_opts {
        const char *config_path; /* NULL: no configuration file (defaults) */
        size_t top;              /* top consumers shown */
        bool no_rates;           /* the rates were not sampled on purpose */
};

void mb_out_status(FILE *f, const struct mb_diag *d, const struct mb_out_status_opts *o);
/* Caller owns the result. */
json_t *mb_out_status_json(const struct mb_diag *d, const char *config_path, size_t top_n);

#endif
