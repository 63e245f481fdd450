/* proclimits.h: per-process limits that `limit --show` reports. */
#ifndef MB_ACT_PROCLIMITS_H
#define MB_ACT_PROCLIMITS_H

#include <stdint.h>

/* RLIMIT_AS soft limit from PROC/PID/limits: bytes, -1 unlimited,
 * MB_UNKNOWN when unreadable.  proc_root NULL = /proc. */
int64_t mb_proc_rlimit_as(const char *proc_root, int pid);

/* Has PID CUDA libraries mapped (libcuda, libcudart in PROC/PID/maps)?
 * 1, 0, or -1 when unreadable. */
int mb_proc_maps_cuda(const char *proc_root, int pid);

#endif
