/* swap.h: the document of `membudget swap` (text and JSON). */
#ifndef MB_OUT_SWAP_H
#define MB_OUT_SWAP_H

#include <stdio.h>

#include "../diag/swap.h"

/* s holds the processes shown (mb_swap_narrow), sum their swap; min is
 * --min (0: none) for the "no process" line. */
void mb_out_swap_text(FILE *f, const struct mb_snapshot *s, int64_t sum,
                      const struct mb_swap_reconcile *rc, int64_t min);
void mb_out_swap_json(FILE *f, const struct mb_snapshot *s, int64_t sum,
                      const struct mb_swap_reconcile *rc);

#endif
