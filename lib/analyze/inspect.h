/*
 * inspect.h: where one process's memory lives.  Pure functions of parsed
 * smaps (lib/collect/smaps.h): each mapping is classified into a kind
 * (heap, anonymous mmap, stack, executable, library, other file, shared
 * memory, GPU driver, tmpfs file, other), summed per kind and per group
 * (a library by basename, a named anonymous region, a shm segment), and
 * the largest mappings are picked.  Two samples give growth per kind; many
 * processes give a summary of what they share.
 */
#ifndef MB_INSPECT_H
#define MB_INSPECT_H

#include "../collect/smaps.h"

enum mb_map_kind {
        MB_MK_HEAP,  /* [heap]: brk memory (malloc's main arena) */
        MB_MK_ANON,  /* anonymous private mmap: allocator pools, Python arenas, [anon:NAME] */
        MB_MK_STACK, /* [stack], [stack:TID] */
        MB_MK_EXE,   /* the program's own file */
        MB_MK_LIB,   /* shared libraries (*.so, *.so.N), grouped by basename */
        MB_MK_FILE,  /* other file-backed mappings (data files, model weights, locale) */
        MB_MK_SHM,   /* /dev/shm, SysV (/SYSV...), memfd:, shared anonymous (/dev/zero) */
        MB_MK_GPU,   /* /dev/nvidia..., /dev/dri/..., /dev/kfd */
        MB_MK_TMPFS, /* other files on tmpfs/ramfs */
        MB_MK_OTHER, /* [vdso], [vvar], [vsyscall], anon_inode:..., unknown */
        MB_MK_COUNT
};

struct mb_map_kind_info {
        const char *id;    /* stable JSON id: "heap", "anon", ... */
        const char *title; /* for people: "anonymous mmap" */
};
extern const struct mb_map_kind_info mb_map_kinds[MB_MK_COUNT];

/* Kind by its JSON id; -1 when unknown. */
int mb_map_kind_lookup(const char *id);

/*
 * The kind of a mapping.  Files on tmpfs are recognised by the collector's
 * MB_MAP_TMPFS flag when it read mountinfo (s->fs_known), otherwise by the
 * /run/ and /var/run/ prefixes.
 */
enum mb_map_kind mb_map_classify(const struct mb_smaps *s, const struct mb_mapping *m);

/*
 * The group a mapping is summed into within its kind: a basename for
 * files and libraries, the pseudo-path for [anon:NAME], the path for shm,
 * GPU and tmpfs files, "anonymous" for unnamed anonymous memory.  Sets
 * *len; the result points into s's strings or a static string.
 */
const char *mb_map_label(const struct mb_smaps *s, const struct mb_mapping *m, enum mb_map_kind k,
                         size_t *len);

/* Sums over mappings, in bytes. */
struct mb_memsum {
        int64_t size; /* virtual */
        int64_t rss, pss, uss, swap, swappss;
        int64_t anon_huge, locked, dirty; /* AnonHugePages, Locked, Shared+Private_Dirty */
        uint32_t count;                   /* mappings */
};

static inline int64_t mb_memsum_charge(const struct mb_memsum *m)
{
        return mb_add_sat(m->rss, m->swap);
}

struct mb_inspect_group {
        enum mb_map_kind kind;
        uint32_t label; /* offset in the result's labels */
        struct mb_memsum sum;
};

struct mb_inspect {
        struct mb_memsum kinds[MB_MK_COUNT];
        struct mb_memsum total;
        struct mb_inspect_group *groups; /* largest RSS+swap first */
        size_t ngroups;
        size_t *top; /* indices into the smaps' mappings, largest RSS+swap first */
        size_t ntop;
        struct mb_buf labels;
};

void mb_inspect_init(struct mb_inspect *in);
void mb_inspect_release(struct mb_inspect *in);

/*
 * Classify and sum s into *ret (previous contents replaced), keeping the
 * top_n mappings by RSS+swap (ties: lower address first).  Returns 0 or
 * -ENOMEM.
 */
int mb_inspect_analyze(const struct mb_smaps *s, size_t top_n, struct mb_inspect *ret);

const char *mb_inspect_label(const struct mb_inspect *in, uint32_t label);

/*
 * Growth between two samples of one process, per kind, measured as
 * RSS+swap (so a leak pushed into swap still counts as grown).
 */
struct mb_kind_growth {
        double seconds;
        int64_t delta[MB_MK_COUNT]; /* bytes, after - before */
        double rate_per_min[MB_MK_COUNT];
        int64_t total_delta;
};

/* Returns 0, or -EINVAL when seconds <= 0. */
int mb_inspect_growth(const struct mb_inspect *before, const struct mb_inspect *after,
                      double seconds, struct mb_kind_growth *ret);

/*
 * The problems-engine hook: does one kind dominate the process's growth?
 * A kind dominates when it grew the most, by at least min_bytes, and
 * accounts for at least half of the sum of all kinds' growth.
 */
struct mb_inspect_finding {
        enum mb_map_kind kind;
        int64_t delta_bytes;
        double rate_bytes_per_min;
        double share; /* of the summed positive growth, 0..1 */
        int64_t total_growth_bytes;
};

/* 1 with *ret filled when a kind dominates, 0 when none does, -EINVAL for seconds <= 0. */
int mb_inspect_dominant_growth(const struct mb_inspect *before, const struct mb_inspect *after,
                               double seconds, int64_t min_bytes, struct mb_inspect_finding *ret);

/*
 * What a set of processes (e.g. forked DataLoader workers) share.  Groups
 * are merged across processes by (kind, label).  The sum of PSS over the
 * processes counts each shared page once in total; RSS summed over-counts
 * it.  shared = pss - uss: the part of the total that is not private to any
 * one process.
 */
struct mb_inspect_shared_row {
        enum mb_map_kind kind;
        uint32_t label; /* offset in the summary's labels */
        uint32_t procs; /* processes that map it */
        int64_t rss, pss, uss, swap;
};

struct mb_inspect_summary {
        unsigned nprocs;
        int64_t rss, pss, uss, swap; /* sums over the processes */
        struct mb_memsum kinds[MB_MK_COUNT];
        struct mb_inspect_shared_row *rows; /* largest shared part (pss - uss) first */
        size_t nrows;
        struct mb_buf labels;
};

void mb_inspect_summary_init(struct mb_inspect_summary *sum);
void mb_inspect_summary_release(struct mb_inspect_summary *sum);

/* Summarize n analyses into *ret.  Returns 0 or -ENOMEM. */
int mb_inspect_summarize(const struct mb_inspect *const *ins, size_t n,
                         struct mb_inspect_summary *ret);

#endif
