/* breakdown.c: see breakdown.h.  Field meanings: LINUX-MEMORY-REFERENCE.md §1.2. */
#include "breakdown.h"

size_t mb_breakdown_compute(const struct mb_meminfo *m, struct mb_breakdown_row *rows)
{
        const uint64_t *v = m->v;
        int64_t cache, huge, sum = 0;
        size_t n = 0;

        /* Cached counts shmem/tmpfs too; they get their own row. */
        cache = (int64_t)(v[MB_MI_BUFFERS] + v[MB_MI_CACHED]) - (int64_t)v[MB_MI_SHMEM];
        if (cache < 0)
                cache = 0;
        if (mb_mi_has(m, MB_MI_HUGETLB))
                huge = (int64_t)v[MB_MI_HUGETLB];
        else
                huge = (int64_t)(v[MB_MI_HUGEPAGES_TOTAL] * v[MB_MI_HUGEPAGESIZE]);

#define ROW(i, l, b) (rows[n++] = (struct mb_breakdown_row){i, l, (int64_t)(b)})
        ROW("process_anon", "process anonymous memory", v[MB_MI_ANONPAGES]);
        ROW("page_cache", "page cache (files)", cache);
        ROW("shmem", "shmem/tmpfs", v[MB_MI_SHMEM]);
        ROW("swap_cache", "swap cache", v[MB_MI_SWAPCACHED]);
        ROW("slab_reclaimable", "kernel slab, reclaimable", v[MB_MI_SRECLAIMABLE]);
        ROW("slab_unreclaimable", "kernel slab, unreclaimable", v[MB_MI_SUNRECLAIM]);
        ROW("page_tables", "page tables", v[MB_MI_PAGETABLES] + v[MB_MI_SECPAGETABLES]);
        ROW("kernel_stack", "kernel stacks", v[MB_MI_KERNELSTACK]);
        ROW("vmalloc", "vmalloc", v[MB_MI_VMALLOCUSED]);
        ROW("percpu", "per-cpu", v[MB_MI_PERCPU]);
        ROW("zswap", "zswap pool", v[MB_MI_ZSWAP]);
        ROW("hugetlb", "huge pages (hugetlb)", huge);
        ROW("free", "free", v[MB_MI_MEMFREE]);
        for (size_t i = 0; i < n; i++)
                sum += rows[i].bytes;
        ROW("unexplained", "unexplained (rest)", (int64_t)v[MB_MI_MEMTOTAL] - sum);
#undef ROW
        return n;
}
