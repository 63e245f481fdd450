/* check.h: the `check` document: the plan's success table (before, target,
 * now, status), the checklist, and the leak suspects from the history. */
#ifndef MB_OUT_CHECK_H
#define MB_OUT_CHECK_H

#include <jansson.h>
#include <stdio.h>

#include "../analyze/budget.h"
#include "../diag/check.h"

struct mb_out_check {
        const struct mb_metrics *m;
        bool have_base;
        double base_time;
        const struct mb_check_item *items;  /* MB_CHECK_COUNT */
        const struct mb_findings *findings; /* the leak suspects among them are shown */
        bool passed;
};

void mb_out_check(FILE *f, const struct mb_out_check *c);
/* Caller owns the result. */
json_t *mb_out_check_json(const struct mb_out_check *c);

/* `baseline show` (and save): the saved metrics, text or JSON. */
void mb_out_baseline(FILE *f, bool json, const struct mb_metrics *m);

#endif
