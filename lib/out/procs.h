/*
 * procs.h: the process listing and its grouping ("membudget procs") as a
 * table, CSV or JSON document.  Text goes through the table and CSV rules
 * (lib/util/text.h, csv.h).
 */
#ifndef MB_OUT_PROCS_H
#define MB_OUT_PROCS_H

#include <stdio.h>

#include "../analyze/procsel.h"
#include "../collect/proc.h"

enum mb_out_fmt { MB_OUT_TEXT, MB_OUT_CSV, MB_OUT_JSON };

struct mb_out_procs {
        enum mb_out_fmt fmt;
        const enum mb_col *cols; /* the columns shown (text, CSV) */
        int ncols;
        const char *collector; /* named in JSON */
};

/* The first n rows of t.  0, or -ENOMEM when the document was cut. */
int mb_out_procs(FILE *f, const struct mb_out_procs *o, const struct mb_proctab *t, size_t n);

/* The first n groups (by name or cgroup) with the size columns of o. */
int mb_out_groups(FILE *f, const struct mb_out_procs *o, enum mb_group_by by,
                  const struct mb_groups *g, size_t n);

#endif
