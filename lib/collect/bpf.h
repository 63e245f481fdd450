/*
 * bpf.h: the BPF task-iterator collector (issue 8): every process's RSS
 * (anon, file, shmem), swap entries and total VM read from mm_struct
 * counters in one pass.  Used for status-column scans when the kernel and
 * privileges allow it; /proc stays the fallback and the reference.
 */
#ifndef MB_BPF_H
#define MB_BPF_H

#include "proc.h"

/*
 * Scan like mb_proc_scan() for the status-file fields (flags without
 * CMDLINE/STAT/CGROUP needs); with MB_SCAN_ROLLUP it also reads
 * smaps_rollup from the proc root for every kept process (PSS without the
 * status files).  Live host only.  Returns the count, or -ENOTSUP when BPF
 * cannot be used here (the caller then falls back to /proc silently).
 */
int mb_bpf_scan(struct mb_root *root, unsigned flags, const struct mb_scan_filter *filter,
                struct mb_proctab *t);

/* Why BPF is not used (for --debug), or "" when it is available. */
const char *mb_bpf_unavailable_reason(void);

#endif
