/*
 * take.h: the snapshot every diagnosing command takes (status, check,
 * baseline, watch, serve): system files, every process with its command
 * line (and cgroup when the target names a unit), GPUs, and PSS/SwapPss
 * read only for the target's processes.
 */
#ifndef MB_DIAG_TAKE_H
#define MB_DIAG_TAKE_H

#include "../analyze/target.h"
#include "../config/config.h"
#include "../collect/snapshot.h"

/* Without a target regex, command lines are read only for the largest
 * consumers, and for the processes in swap that the problems engine names
 * (MB_PROBLEMS_SWAP_LISTED), which the outputs show. */
#define MB_DIAG_CMDLINES 32

struct mb_diag_opts {
        const regex_t *target_match; /* compiled config target.match, or NULL */
        const char *target_unit;     /* config target.unit, or NULL */
        const char *target_user;     /* config target.user, or NULL */
        unsigned extra_scan;         /* more MB_SCAN_* flags */
        bool gpu;                    /* collect GPUs (and per-process GPU memory) */
        bool gpu_procs_lazy;         /* per-process GPU memory only once a device was
                                        seen (gpu_seen; a daemon's ticks) */
        bool gpu_seen;
        size_t cmdlines;          /* command lines of this many largest consumers
                                     without a target regex (0: MB_DIAG_CMDLINES) */
        int64_t swap_listed_over; /* bytes: swap above which the findings name a
                                     process (config swap_threshold_mb) */
};

/* 0, or -errno with err filled when /proc/meminfo or the process list fail. */
int mb_diag_take(struct mb_root *root, const struct mb_diag_opts *o, struct mb_snapshot *s,
                 struct mb_target *tg, struct mb_error *err);

#endif
