/* swap.h: `membudget swap`: who is in swap, reconciled with /proc/swaps. */
#ifndef MB_DIAG_SWAP_H
#define MB_DIAG_SWAP_H

#include <regex.h>

#include "../collect/snapshot.h"

/* What the per-process VmSwap sum does not cover (LINUX-MEMORY-REFERENCE §3.2):
 * swap cache entries and swapped shmem/tmpfs pages. */
struct mb_swap_reconcile {
        int64_t used;   /* sum of Used in /proc/swaps (or meminfo) */
        int64_t procs;  /* sum of VmSwap over every process */
        int64_t cached; /* SwapCached */
        int64_t rest;   /* used - procs - cached (shmem/tmpfs, others) */
};

void mb_swap_reconcile(const struct mb_snapshot *all, struct mb_swap_reconcile *rc);

/* Keep in s the processes with at least min (1 when 0) in swap whose
 * command line matches re (NULL: all), largest first, at most top (0: all).
 * Returns their swap summed. */
int64_t mb_swap_narrow(struct mb_snapshot *s, int64_t min, const regex_t *re, size_t top);

#endif
