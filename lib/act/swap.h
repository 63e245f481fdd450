/*
 * swap.h: the guarded swap cycle (LINUX-MEMORY-REFERENCE §3.4).  Refused
 * unless MemAvailable >= swap used x factor + margin; done device by device
 * with swapoff(2)/swapon(2), each device re-checked just before its
 * swapoff, and its priority restored (SWAP_FLAG_PREFER | prio).
 */
#ifndef MB_ACT_SWAP_H
#define MB_ACT_SWAP_H

#include "../collect/system.h"
#include "plan.h"

/* Plan (pure).  factor e.g. 1.2, margin in bytes. */
int mb_swap_cycle_plan(const struct mb_meminfo *mi, const struct mb_swaps *sw, double factor,
                       int64_t margin, struct mb_plan *plan);

/* Cycle one device (change from the plan).  proc_root for the re-check.
 * 0 or -errno with msg filled. */
int mb_swap_cycle_do(const struct mb_change *c, const char *proc_root,
                     void (*progress)(void *arg, const char *msg), void *arg, char *msg,
                     size_t len);

#endif
