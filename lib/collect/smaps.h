/*
 * smaps.h: the full /proc/PID/smaps of ONE process, parsed into mappings.
 *
 * smaps is a sequence of entries, one per VMA:
 *
 *   7f12a0000000-7f12a4000000 rw-p 00000000 00:00 0          [anon:arena]
 *   Size:              65536 kB
 *   Rss:               49152 kB
 *   ...
 *   VmFlags: rd wr mr mw me ac
 *
 * The header's path is everything after the inode and its padding: it may
 * contain spaces, end in " (deleted)", or be a pseudo-path ([heap],
 * [stack], [vdso], [vsyscall], [anon:NAME], /SYSV0000 (deleted),
 * /memfd:NAME (deleted), /dev/zero (deleted) for shared anonymous memory).
 * Lines that are neither a header nor a "Key: value" line are skipped and
 * counted.  Reading costs about as much as smaps_rollup (the kernel walks
 * every page table: ~7 ms per resident GiB, LINUX-MEMORY-REFERENCE.md §2.3),
 * so this is read for chosen processes only, once per sample.
 */
#ifndef MB_SMAPS_H
#define MB_SMAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "root.h"

enum mb_mapping_flags {
        MB_MAP_DELETED = 1u << 0, /* path ended in " (deleted)" (stripped from path) */
        MB_MAP_TMPFS = 1u << 1,   /* on a tmpfs/shm mount (from mountinfo) */
        MB_MAP_EXE = 1u << 2,     /* the process's executable file */
};

/* Per-mapping counters, in bytes (smaps prints kB). */
enum mb_smaps_field {
        MB_SM_SIZE,
        MB_SM_RSS,
        MB_SM_PSS,
        MB_SM_SHARED_CLEAN,
        MB_SM_SHARED_DIRTY,
        MB_SM_PRIVATE_CLEAN,
        MB_SM_PRIVATE_DIRTY,
        MB_SM_REFERENCED,
        MB_SM_ANONYMOUS,
        MB_SM_ANON_HUGE, /* AnonHugePages */
        MB_SM_SHARED_HUGETLB,
        MB_SM_PRIVATE_HUGETLB,
        MB_SM_SWAP,
        MB_SM_SWAP_PSS,
        MB_SM_LOCKED,
        MB_SM_FIELD_COUNT
};

struct mb_mapping {
        uint64_t start, end; /* [start, end) */
        uint64_t offset;
        uint64_t inode;
        uint32_t dev_major, dev_minor;
        uint32_t path; /* offset in the strings arena; 0 = no path (anonymous) */
        uint32_t flags;
        char perms[5]; /* "rw-p" */
        int64_t v[MB_SM_FIELD_COUNT];
};

struct mb_smaps {
        struct mb_mapping *m;
        size_t n, cap;
        struct mb_buf strings; /* paths; offset 0 is "" */
        /* What the last read / parse saw. */
        uint32_t fields_seen; /* bit per enum mb_smaps_field seen in any mapping */
        unsigned n_garbled;   /* lines skipped as unparsable */
        bool truncated;       /* the mapping cap was reached; the rest skipped */
        bool fs_known;        /* MB_MAP_TMPFS is meaningful (mountinfo was read) */
        /* Identity of the process (mb_smaps_read only). */
        int pid;
        uint32_t uid;
        uint64_t starttime; /* clock ticks after boot; with pid, the identity */
        char name[64];      /* comm */
        char *cmdline;      /* NUL-free command line, "" when empty; owned */
        char *exe;          /* readlink of /proc/PID/exe, NULL when unreadable; owned */
        /* Parser state between lines. */
        bool in_entry;
        bool skipping; /* mappings beyond the cap */
};

/* Cap on the number of mappings kept (vm.max_map_count defaults to 65530). */
#define MB_SMAPS_MAX_MAPPINGS (1u << 20)

void mb_smaps_init(struct mb_smaps *s);
/* Free everything; accepts a released object. */
void mb_smaps_release(struct mb_smaps *s);
/* Forget the mappings (keep allocations) before a new parse. */
void mb_smaps_reset(struct mb_smaps *s);

/* Path of a mapping; never NULL ("" when anonymous). */
const char *mb_mapping_path(const struct mb_smaps *s, const struct mb_mapping *m);

/* USS of a mapping: Private_Clean + Private_Dirty + Private_Hugetlb. */
int64_t mb_mapping_uss(const struct mb_mapping *m);

/*
 * Parse smaps text, appending to s (call mb_smaps_reset first for a fresh
 * parse).  A buffer may end in the middle of an entry but must end at a line
 * boundary (the last line may lack its newline).  Garbled lines are counted
 * in s->n_garbled.  Returns 0, or -ENOMEM.
 */
int mb_smaps_parse(struct mb_smaps *s, const char *buf, size_t len);

/*
 * Parse one line (without its newline).  Same rules as mb_smaps_parse.
 */
int mb_smaps_parse_line(struct mb_smaps *s, const char *line, size_t len);

/*
 * Parse /proc/PID/mountinfo text and mark the mappings whose device is a
 * tmpfs, shm or ramfs mount with MB_MAP_TMPFS; sets s->fs_known.
 */
void mb_smaps_mark_tmpfs(struct mb_smaps *s, const char *mountinfo, size_t len);

/*
 * Mark the mappings of the executable exe (a path as smaps prints it,
 * without " (deleted)") with MB_MAP_EXE.  NULL or "": the first mapping
 * with a path and an inode is taken as the program (as in a captured tree
 * without the exe link).
 */
void mb_smaps_mark_exe(struct mb_smaps *s, const char *exe);

/*
 * Read process pid under the proc root: status (name, uid), stat
 * (starttime), cmdline, exe, mountinfo and the whole of smaps, all relative
 * to one /proc/PID directory fd, so a reused pid cannot mix two processes.
 * smaps is read in chunks (memory bounded by the mappings kept).
 * Returns 0, or -ENOENT/-ESRCH (no such process, or it exited), -EACCES
 * (smaps needs ptrace read access: not root), -ENOMEM, or another -errno.
 * A kernel thread or a zombie reads as 0 mappings.
 */
int mb_smaps_read(struct mb_root *root, int pid, struct mb_smaps *s);

/* "PROC_ROOT/PID/smaps", for messages.  Returns buf. */
const char *mb_smaps_path(const struct mb_root *root, int pid, char *buf, size_t len);

#endif
