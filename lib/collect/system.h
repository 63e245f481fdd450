/*
 * system.h: host-wide memory state: /proc/meminfo, /proc/swaps (+ zram
 * mm_stat), /proc/vmstat, /proc/pressure/memory, vm.swappiness.
 *
 * Each source has a buffer parser (pure, fuzzable) and a reader that goes
 * through a struct mb_root.  Readers return 0 or -errno; parsers return 0 or
 * -EINVAL with a struct mb_error naming the line.
 */
#ifndef MB_SYSTEM_H
#define MB_SYSTEM_H

#include "root.h"

/* /proc/meminfo fields membudget uses.  Values in bytes (kB × 1024), or a
 * count for the HugePages_* fields. */
enum mb_mi {
        MB_MI_MEMTOTAL,
        MB_MI_MEMFREE,
        MB_MI_MEMAVAILABLE,
        MB_MI_BUFFERS,
        MB_MI_CACHED,
        MB_MI_SWAPCACHED,
        MB_MI_ANONPAGES,
        MB_MI_MAPPED,
        MB_MI_SHMEM,
        MB_MI_KRECLAIMABLE,
        MB_MI_SLAB,
        MB_MI_SRECLAIMABLE,
        MB_MI_SUNRECLAIM,
        MB_MI_KERNELSTACK,
        MB_MI_PAGETABLES,
        MB_MI_SECPAGETABLES,
        MB_MI_VMALLOCUSED,
        MB_MI_PERCPU,
        MB_MI_SWAPTOTAL,
        MB_MI_SWAPFREE,
        MB_MI_ZSWAP,
        MB_MI_ZSWAPPED,
        MB_MI_DIRTY,
        MB_MI_WRITEBACK,
        MB_MI_ANONHUGEPAGES,
        MB_MI_HUGEPAGES_TOTAL,
        MB_MI_HUGEPAGESIZE,
        MB_MI_HUGETLB,
        MB_MI_COMMITLIMIT,
        MB_MI_COMMITTED_AS,
        MB_MI_UNEVICTABLE,
        MB_MI_COUNT
};

struct mb_meminfo {
        uint64_t v[MB_MI_COUNT];
        uint64_t have; /* bit i set when field i was present */
};

static inline bool mb_mi_has(const struct mb_meminfo *m, enum mb_mi f)
{
        return (m->have >> f) & 1u;
}

int mb_meminfo_parse(const char *buf, size_t len, struct mb_meminfo *ret, struct mb_error *err);
int mb_meminfo_read(struct mb_root *root, struct mb_meminfo *ret, struct mb_error *err);

/* The columns of procps-ng 4 free(1) (library/meminfo.c), in bytes. */
struct mb_memsummary {
        uint64_t total, used, free, shared, buff_cache, available;
        uint64_t swap_total, swap_used, swap_free, swap_cached;
};
void mb_memsummary_compute(const struct mb_meminfo *m, struct mb_memsummary *ret);

/* One active swap area from /proc/swaps. */
enum mb_swap_kind { MB_SWAP_DISK, MB_SWAP_ZRAM };

struct mb_swapdev {
        char path[256]; /* unescaped */
        char type[16];  /* "partition" / "file" */
        enum mb_swap_kind kind;
        uint64_t size, used; /* bytes */
        int priority;
        /* zram only, from /sys/block/zramN/mm_stat; MB_UNKNOWN otherwise */
        int64_t zram_orig, zram_compr, zram_mem_used;
};

struct mb_swaps {
        struct mb_swapdev *dev;
        size_t n, cap;
};

int mb_swaps_parse(const char *buf, size_t len, struct mb_swaps *ret, struct mb_error *err);
/* Also fills zram data through root->sys_fd where available. */
int mb_swaps_read(struct mb_root *root, struct mb_swaps *ret, struct mb_error *err);
void mb_swaps_release(struct mb_swaps *s);

/* /proc/vmstat counters (pages or counts, cumulative since boot). */
struct mb_vmstat {
        uint64_t pswpin, pswpout, pgmajfault, zswpin, zswpout;
        uint64_t workingset_refault_anon, oom_kill;
        bool have_pswp;
};
int mb_vmstat_parse(const char *buf, size_t len, struct mb_vmstat *ret, struct mb_error *err);
int mb_vmstat_read(struct mb_root *root, struct mb_vmstat *ret, struct mb_error *err);

/* /proc/pressure/memory.  avg in percent, total in microseconds. */
struct mb_psi_line {
        double avg10, avg60, avg300;
        uint64_t total_usec;
};
struct mb_psi {
        struct mb_psi_line some, full;
        bool have_full;
};
int mb_psi_parse(const char *buf, size_t len, struct mb_psi *ret, struct mb_error *err);
/* -ENOENT / -EOPNOTSUPP when the kernel has no PSI. */
int mb_psi_read(struct mb_root *root, struct mb_psi *ret, struct mb_error *err);

/* vm.swappiness (0-200). */
int mb_swappiness_read(struct mb_root *root, int *ret);

/* zram mm_stat: "orig_data_size compr_data_size mem_used_total ..." */
int mb_zram_mmstat_parse(const char *buf, size_t len, int64_t *orig, int64_t *compr,
                         int64_t *mem_used);

#endif
