/*
 * report.h: the Markdown and JSON renderings of `membudget report`.  The
 * statistics are computed in lib/analyze/period.h; the CLI reads the history
 * store and fills struct mb_report.
 */
#ifndef MB_REPORT_H
#define MB_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "../analyze/period.h"

struct mb_report {
        struct mb_report_limits limits;
        struct mb_leak_params leak_params;
        struct mb_report_period cur;
        bool have_before;
        struct mb_report_period before;
        struct mb_history_ident *by_peak, *by_mean; /* not owned */
        size_t npeak, nmean;
        struct mb_report_leak *leaks; /* not owned */
        size_t nleaks;
        const char *svg_path; /* chart written there, or NULL */
};

void mb_report_markdown(FILE *f, const struct mb_report *r);
/* Caller owns the result. */
json_t *mb_report_json(const struct mb_report *r);

#endif
