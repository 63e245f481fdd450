/*
 * cgroup-mem.h: what a memory cgroup says about itself: its limits, its
 * usage, its events (how often it hit memory.high / memory.max, OOM kills),
 * its pressure (PSI, v2) and its swap-ins and refaults (memory.stat).
 *
 * v2: memory.max, memory.high, memory.swap.max, memory.current,
 *     memory.events (low, high, max, oom, oom_kill), memory.pressure,
 *     memory.stat (pswpin, workingset_refault_anon/_file).
 * v1: memory.limit_in_bytes, memory.usage_in_bytes, memory.failcnt (as
 *     "max" events), memory.oom_control (oom_kill, under_oom),
 *     memory.stat (workingset_refault where the kernel has it).
 */
#ifndef MB_COLLECT_CGROUP_MEM_H
#define MB_COLLECT_CGROUP_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mb_cgmem {
        char path[512]; /* the cgroup's path in its hierarchy ("/system.slice/x.service") */
        char dir[1100]; /* the directory read (under the root's /sys) */
        int version;    /* 2 or 1 */
        int nprocs;     /* processes of the target in it or below (filled by the caller) */
        bool target;    /* a cgroup of the target's processes (else found by its events) */
        /* bytes; -1 = no limit ("max"), MB_CG_UNKNOWN = unreadable */
        int64_t max, high, swap_max, current;
        /* event counters; MB_CG_UNKNOWN = unreadable */
        int64_t ev_low, ev_high, ev_max, ev_oom, ev_oom_kill;
        bool under_oom; /* v1 memory.oom_control under_oom 1 */
        bool have_psi;  /* v2 memory.pressure */
        double psi_some10, psi_full10;
        int64_t pswpin, refault; /* memory.stat; MB_CG_UNKNOWN = absent */
        int64_t refault_anon;    /* memory.stat workingset_refault_anon (v2, 5.9+) */
        int64_t pgmajfault;      /* memory.stat pgmajfault (v1: total_pgmajfault) */
        int64_t inactive_file;   /* memory.stat inactive_file (v1 total_inactive_file):
                                    reclaimable cache in the usage; MB_CG_UNKNOWN */
};

#define MB_CG_UNKNOWN INT64_MIN

/* The usage less its inactive file cache (what docker stats and the kubelet
 * call the working set); the usage when that is unknown; -1 unknown. */
int64_t mb_cgmem_working_set(const struct mb_cgmem *m);

/* The cgroups followed at most (the target's, then those with events). */
#define MB_CGMEM_MAX 12

/* Parse memory.events (v2) into ret's ev_* fields (absent keys stay as they
 * are).  Pure. */
void mb_cgmem_parse_events(const char *text, struct mb_cgmem *ret);
/* Parse memory.stat (pswpin, workingset_refault*).  Pure. */
void mb_cgmem_parse_stat(const char *text, struct mb_cgmem *ret);
/*
 * The cgroup's own count of pages read back from swap, best first: pswpin
 * (newer kernels), workingset_refault_anon (v2, 5.9+: anonymous pages read
 * back after eviction, i.e. swap-ins), pgmajfault (v1 and v2: every major
 * fault, file reads included).  Its memory.stat key, the value in *ret; NULL
 * when memory.stat has none.
 */
const char *mb_cgmem_swapin_counter(const struct mb_cgmem *m, int64_t *ret);
/* Parse v1 memory.oom_control (oom_kill, under_oom).  Pure. */
void mb_cgmem_parse_oom_control(const char *text, struct mb_cgmem *ret);

/*
 * Read the memory files of the cgroup directory `dir` (an absolute path of
 * the mounted hierarchy, e.g. "/sys/fs/cgroup/system.slice/x.service").
 * `path` is stored as the name.  Every file is optional.  0, or -ENOENT
 * when dir holds no memory file at all.
 */
int mb_cgmem_read(const char *dir, int version, const char *path, struct mb_cgmem *ret);

/*
 * The memory cgroup that holds the limit of the cgroup `path`: from path up
 * to the hierarchy's root (mount, e.g. "/sys/fs/cgroup" or
 * "/sys/fs/cgroup/memory"), the first whose memory.max / memory.high
 * (v1: memory.limit_in_bytes) is set, read into ret; the cgroup itself when
 * none is.  A path that does not resolve under mount (a v1 container sees
 * its own cgroup as the root of the mount, /proc/PID/cgroup still names
 * the host's path) is read at mount's root, under its own name.  0, or
 * -ENOENT.
 */
int mb_cgmem_read_limited(const char *mount, int version, const char *path, struct mb_cgmem *ret);

/*
 * v2: walk the hierarchy under mount (at most 4096 directories, 16 deep)
 * for cgroups whose own events (memory.events.local) show OOM kills, or
 * reaching a memory.max that is set; read each into ret[] (at most max,
 * skipping directories already in ret[0..n)).  Returns the new count.
 */
size_t mb_cgmem_find_events(const char *mount, struct mb_cgmem *ret, size_t n, size_t max);

#endif
