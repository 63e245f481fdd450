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

void mb_report_markdown(FILE *f, const struct mb_report *r);
/* The chart of the period's rows (RAM, swap, VRAM, the target's RAM) with
 * the budget lines, as SVG.  0, or -ENOMEM. */
int mb_report_svg(FILE *f, const struct mb_history_host *rows, size_t n, const struct mb_report *r);
/* The same chart written to `path` atomically (mode 0644).  0, -ENOMEM, or
 * the write's -errno. */
int mb_report_svg_file(const char *path, const struct mb_history_host *rows, size_t n,
                       const struct mb_report *r);
/* Caller owns the result. */
json_t *mb_report_json(const struct mb_report *r);

#endif
