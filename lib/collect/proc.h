/*
 * proc.h: the per-process scan.  One pass over the numeric entries of the
 * proc root, reading only the files the caller's field mask needs:
 *
 *   always          status  (name, state, ppid, uid, VmSize, VmRSS, RssAnon,
 *                            RssFile, RssShmem, VmSwap, Kthread)
 *   MB_SCAN_CMDLINE cmdline
 *   MB_SCAN_STAT    stat    (starttime: with pid, the process identity)
 *   MB_SCAN_ROLLUP  smaps_rollup (Pss, USS, Swap, SwapPss); costly, and read
 *                   only for processes that passed the filter
 *   MB_SCAN_CGROUP  cgroup
 *
 * Files are read with openat() relative to the proc root fd (or, when more
 * than one file is read, relative to an fd of /proc/PID, so a reused PID can
 * never mix two processes), into buffers owned by the table and reused from
 * scan to scan.  No stdio.  Vanished processes (ENOENT/ESRCH), kernel
 * threads and unreadable files are counted, never fatal.
 */
#ifndef MB_PROC_H
#define MB_PROC_H

#include <regex.h>
#include <stdbool.h>
#include <sys/types.h>

#include "root.h"

enum mb_scan_flags {
        MB_SCAN_CMDLINE = 1u << 0,
        MB_SCAN_STAT = 1u << 1,
        MB_SCAN_ROLLUP = 1u << 2,
        MB_SCAN_CGROUP = 1u << 3,
        MB_SCAN_GPU = 1u << 4, /* per-process GPU memory (NVML / DRM fdinfo) */
        /* The caller uses neither ppid, uid nor threads: a collector that reads
         * them one by one (BPF) may leave them out (ppid 0, uid (uid_t)-1,
         * threads 0).  /proc's status file has them anyway. */
        MB_SCAN_NO_IDS = 1u << 5,
        /* Command lines wanted, but the caller reads them for the rows it
         * shows (mb_proc_read_cmdlines) when the collector did not: the
         * table's flags say which happened. */
        MB_SCAN_CMDLINE_LATER = 1u << 6,
};

enum mb_proc_flags {
        MB_P_KTHREAD = 1u << 0,
        MB_P_ZOMBIE = 1u << 1,
        MB_P_PSS_DENIED = 1u << 2,    /* smaps_rollup EACCES */
        MB_P_CMDLINE_TRUNC = 1u << 3, /* cmdline longer than the cap */
        MB_P_TARGET = 1u << 4,        /* part of the configured target */
        MB_P_GONE = 1u << 5,          /* exited (or PID reused) before its cmdline was read */
};

struct mb_proc {
        int pid, ppid;
        uint32_t uid;
        uint32_t flags;
        char state;
        int threads;
        uint64_t starttime; /* clock ticks after boot; 0 when not read */
        char name[64];      /* comm as status prints it (escaped) */
        uint32_t cmdline;   /* offset in the table's string arena; 0 = none */
        uint32_t cg_v2;     /* "0::" path; 0 = none */
        uint32_t cg_mem;    /* v1 memory controller path; 0 = none */
        uint32_t cg_sd;     /* v1 name=systemd path; 0 = none */
        /* Sizes in bytes; MB_UNKNOWN when not read or not applicable. */
        int64_t vsz, rss, hwm, rss_anon, rss_file, rss_shmem, swap;
        int64_t pss, uss, swappss, rollup_swap, anon_huge;
        int64_t gpu;
};

struct mb_scan_filter {
        const regex_t *match; /* on the whole command line (pgrep -f); NULL = all */
        bool has_uid;
        uid_t uid;
        int64_t min_rss;  /* 0 = none */
        int64_t min_swap; /* 0 = none */
        bool skip_kthreads;
        /* Processes left out: membudget and its launchers (mb_proc_self_chain) */
        const pid_t *skip;
        size_t nskip;
};

struct mb_proctab {
        struct mb_proc *p;
        size_t n, cap;
        struct mb_buf strings; /* arena for cmdline / cgroup strings */
        struct mb_buf rd;      /* reused read buffer */
        unsigned flags;        /* what the last scan read */
        /* Counters of the last scan */
        unsigned n_seen; /* numeric entries seen */
        unsigned n_kthreads;
        unsigned n_zombies;
        unsigned n_vanished;   /* gone between readdir and read */
        unsigned n_denied;     /* status unreadable (hidepid) */
        unsigned n_pss_denied; /* smaps_rollup EACCES */
        unsigned n_filtered;   /* dropped by the filter */
        long clk_tck;
};

void mb_proctab_init(struct mb_proctab *t);
void mb_proctab_release(struct mb_proctab *t);

/*
 * Scan every process into t (previous contents are replaced, buffers kept).
 * Returns the number of processes kept, or -errno when the proc root itself
 * cannot be listed.
 */
int mb_proc_scan(struct mb_root *root, unsigned flags, const struct mb_scan_filter *filter,
                 struct mb_proctab *t);

/*
 * Read smaps_rollup for one process after a scan (for example only for the
 * target's processes).  0, -EACCES (counted in n_pss_denied), or -errno.
 */
int mb_proc_read_rollup(struct mb_root *root, struct mb_proctab *t, struct mb_proc *p);

/*
 * Read smaps_rollup for every process of the table that has none yet (not
 * kernel threads, zombies or denied ones), on up to 4 threads when there are
 * at least MB_ROLLUP_PARALLEL_MIN of them.  0 or -ENOMEM.
 */
#define MB_ROLLUP_PARALLEL_MIN 64
int mb_proc_read_rollups(struct mb_root *root, struct mb_proctab *t);

/*
 * Command lines of the first n rows of a table just scanned without them,
 * on up to 4 threads from MB_CMDLINE_PARALLEL_MIN rows.  Rows whose process
 * is gone get MB_P_GONE.  Call it right after the scan: a PID is reused only
 * after the kernel has handed out pid_max others.  0 or -ENOMEM.
 */
#define MB_CMDLINE_PARALLEL_MIN 128
int mb_proc_read_cmdlines(struct mb_root *root, struct mb_proctab *t, size_t n);

/*
 * Bulk passes (mb_proc_scan from MB_SCAN_PARALLEL_MIN PIDs, the rollup pass)
 * run on up to 4 threads, one per online CPU: a one-shot command's wall time
 * falls, its CPU time does not grow.  mb_scan_set_threads(N) sets the count
 * (the CLI from MEMBUDGET_SCAN_THREADS; 1 keeps a daemon on one thread; 0 is
 * automatic).
 */
#define MB_SCAN_MAX_THREADS  16
#define MB_SCAN_PARALLEL_MIN 256
void mb_scan_set_threads(unsigned n);

/*
 * Read the command line of one process after a scan (for the rows shown).
 * When the scan read start times, a process whose start time changed (a
 * reused PID) is not read: -ESRCH.  0 or -errno.
 */
int mb_proc_read_cmdline(struct mb_root *root, struct mb_proctab *t, struct mb_proc *p);

/* Read the cgroup paths of one process after a scan without MB_SCAN_CGROUP
 * (for the few that need them: the target's); nothing when they are known.
 * 0 or -errno. */
int mb_proc_read_cgroup(struct mb_root *root, struct mb_proctab *t, struct mb_proc *p);

/*
 * A reset process (pid set, every size MB_UNKNOWN) in the slot after the
 * last; it counts only once t->n is incremented.  NULL when out of memory.
 * For collectors that fill the table themselves (the BPF one).
 */
struct mb_proc *mb_proctab_slot(struct mb_proctab *t, int pid);

/* Strings of a process; never NULL ("" when absent). */
const char *mb_proc_str(const struct mb_proctab *t, uint32_t off);

/* Display name: the cmdline's program or "[name]" for kernel threads. */
const char *mb_proc_cmdline(const struct mb_proctab *t, const struct mb_proc *p);

/* Count p as a kernel thread / zombie in t and apply the filter (counting
 * what it drops): true when p is kept.  For collectors. */
bool mb_proctab_admit(struct mb_proctab *t, const struct mb_proc *p,
                      const struct mb_scan_filter *filter);

/* Does a process read from status pass the filter's uid, size and kernel
 * thread tests?  (The regex is applied once the command line is read.) */
bool mb_scan_filter_accepts(const struct mb_scan_filter *f, const struct mb_proc *p);

/*
 * After mb_proc_read_cmdlines(): rows whose process exited before its
 * command line was read (MB_P_GONE) are dropped, as a scan drops a process
 * that vanishes (counted in n_vanished).  The rows after n stay behind
 * them.  Returns the new n.
 */
size_t mb_proc_drop_gone(struct mb_proctab *t, size_t n);

/*
 * membudget's own PID and, on the live host, its ancestors up to (not
 * including) PID 1: the launchers (sudo, timeout, a shell's -c) whose
 * command lines carry membudget's own arguments, so that a --match on the
 * pattern would find them.  Fills up to max PIDs; returns the count.
 */
#define MB_SELF_CHAIN_MAX 32
size_t mb_proc_self_chain(struct mb_root *root, pid_t *out, size_t max);

/*
 * The PIDs whose command line matches re (not kernel threads, zombies,
 * membudget or its launchers), largest RSS+swap first, at most max of them
 * (*ret_more: how many more matched).  *ret is malloc'ed.  0 or -errno.
 */
int mb_proc_match_pids(struct mb_root *root, const regex_t *re, size_t max, int **ret,
                       size_t *ret_n, size_t *ret_more);

/* Buffer parsers, exposed for unit tests and fuzzing.  Return 0 / -EINVAL. */
int mb_status_parse(const char *buf, size_t len, struct mb_proc *p);
int mb_stat_parse(const char *buf, size_t len, struct mb_proc *p);
/* One numeric field of a /proc/PID/stat line, numbered as proc(5) does
 * (10 minflt, 12 majflt, 22 starttime).  0 / -EINVAL. */
int mb_stat_field(const char *buf, size_t len, int field, uint64_t *ret);
int mb_rollup_parse(const char *buf, size_t len, struct mb_proc *p);
/* /proc/PID/cgroup: the "0::" path, the v1 memory controller's and
 * name=systemd's, stored in t's string arena. */
void mb_cgroup_parse(struct mb_proctab *t, const char *buf, size_t len, struct mb_proc *p);

/* RSS + swap, the "consumer" measure used for top lists (unknown = -1). */
static inline int64_t mb_proc_rss_swap(const struct mb_proc *p)
{
        if (p->rss == MB_UNKNOWN)
                return -1;
        return p->rss + (p->swap == MB_UNKNOWN ? 0 : p->swap);
}

#endif
