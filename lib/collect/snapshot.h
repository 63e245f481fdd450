/*
 * snapshot.h: everything membudget knows about the host at one moment, in
 * plain structs.  Taken by every command (status, procs, watch, serve...).
 */
#ifndef MB_SNAPSHOT_H
#define MB_SNAPSHOT_H

#include "cgroup-mem.h"
#include "container.h"
#include "gpu.h"
#include "proc.h"
#include "system.h"

enum mb_snap_what {
        MB_SNAP_SYSTEM = 1u << 0, /* meminfo, swaps, vmstat, psi, swappiness */
        MB_SNAP_PROCS = 1u << 1,
        MB_SNAP_GPU = 1u << 2,
};

struct mb_rates {
        bool valid;
        double interval_s;
        double swapin_pages_per_s, swapout_pages_per_s;
        double majfault_per_s;
};

struct mb_snapshot {
        double wall, mono; /* when it was taken */
        long page_size;
        struct mb_meminfo mi;
        struct mb_memsummary mem;
        struct mb_swaps swaps;
        struct mb_vmstat vm;
        bool have_vm;
        struct mb_psi psi;
        bool have_psi;
        int swappiness;
        bool have_swappiness;
        struct mb_proctab procs;
        bool have_procs;
        struct mb_gpus gpus;
        bool have_gpus;
        struct mb_rates rates;
        /* Containers (container.h), with the system files: whether this
         * process runs in one and the limit that matters there, and the
         * events of the cgroup that holds it. */
        int cg_version; /* memory hierarchy: 2, 1, 0 = none */
        struct mb_container container;
        bool have_container;
        struct mb_cgmem container_cg;
        bool have_container_cg;
        /* The memory cgroups of the target's processes (diag/take.c). */
        struct mb_cgmem target_cg[MB_CGMEM_MAX];
        size_t ntarget_cg;
        const char *collector;     /* "proc" or "bpf" (collector.h) */
        const char *collector_why; /* why not the preferred one ("" when it was) */
};

void mb_snapshot_init(struct mb_snapshot *s);
void mb_snapshot_release(struct mb_snapshot *s);

/*
 * Take a snapshot.  meminfo is required (its failure is returned as -errno
 * with err filled); every other source is optional and its absence is
 * recorded in the have_* flags.
 */
int mb_snapshot_take(struct mb_root *root, unsigned what, unsigned scan_flags,
                     const struct mb_scan_filter *filter, struct mb_snapshot *s,
                     struct mb_error *err);

/* Swap-in/out rates between two vmstat readings (counter resets give 0). */
void mb_rates_compute(const struct mb_vmstat *a, double ta, const struct mb_vmstat *b, double tb,
                      struct mb_rates *ret);

#endif
