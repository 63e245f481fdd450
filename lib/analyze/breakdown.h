/*
 * breakdown.h: where the RAM goes, in rows that add up to MemTotal, with
 * the unexplained rest named as such.  Pure: meminfo in, rows out.
 */
#ifndef MB_BREAKDOWN_H
#define MB_BREAKDOWN_H

#include "../collect/system.h"

struct mb_breakdown_row {
        const char *id; /* stable JSON name */
        const char *label;
        int64_t bytes; /* the "rest" row may be negative (overlapping counters) */
};

#define MB_BREAKDOWN_MAX 16

/* Fills rows (at most MB_BREAKDOWN_MAX) and returns their count.  The
 * rows sum exactly to MemTotal. */
size_t mb_breakdown_compute(const struct mb_meminfo *m, struct mb_breakdown_row *rows);

#endif
