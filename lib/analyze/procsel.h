/*
 * procsel.h: process columns, sorting, top-N and grouping.  Pure functions
 * over a struct mb_proctab; the CLI and every renderer share the column
 * table so names, JSON keys and scan needs can never disagree.
 */
#ifndef MB_PROCSEL_H
#define MB_PROCSEL_H

#include "../collect/proc.h"

enum mb_col {
        MB_COL_PID,
        MB_COL_PPID,
        MB_COL_USER,
        MB_COL_NAME,
        MB_COL_CMDLINE,
        MB_COL_RSS,
        MB_COL_PSS,
        MB_COL_USS,
        MB_COL_SWAP,
        MB_COL_SWAPPSS,
        MB_COL_VSZ,
        MB_COL_RSS_ANON,
        MB_COL_RSS_FILE,
        MB_COL_RSS_SHMEM,
        MB_COL_GPU,
        MB_COL_COUNT
};

struct mb_coldef {
        const char *name;   /* option and CSV name */
        const char *json;   /* JSON key */
        const char *header; /* table header */
        bool size;          /* a byte size (right-aligned, binary units) */
        unsigned scan;      /* scan flags it needs */
};

extern const struct mb_coldef mb_cols[MB_COL_COUNT];

/* Column by name; -1 when unknown. */
int mb_col_lookup(const char *name);

/* Parse "pid,rss,swap" into cols (at most MB_COL_COUNT).  Returns the count,
 * or -EINVAL with *bad pointing at the offending name (static copy). */
int mb_cols_parse(const char *list, enum mb_col *cols, const char **bad);

/* Size value of a process for a size column (MB_UNKNOWN when unknown). */
int64_t mb_col_value(const struct mb_proc *p, enum mb_col c);

/* Sort t->p by a column: sizes largest first, unknown last; text and ids
 * ascending.  Ties broken by pid.  Stable across runs. */
void mb_procs_sort(struct mb_proctab *t, enum mb_col by);

/* Sort by RSS + swap, largest first (the "consumer" order). */
void mb_procs_sort_consumers(struct mb_proctab *t);

/* Grouped rows (ps_mem style by name, or by cgroup). */
enum mb_group_by { MB_GROUP_NONE, MB_GROUP_NAME, MB_GROUP_CGROUP };

struct mb_group {
        char key[256];
        unsigned count;
        int64_t sum[MB_COL_COUNT]; /* for size columns; MB_UNKNOWN when no member knew */
};

struct mb_groups {
        struct mb_group *g;
        size_t n;
};

int mb_procs_group(const struct mb_proctab *t, enum mb_group_by by, struct mb_groups *ret);
void mb_groups_sort(struct mb_groups *g, enum mb_col by);
void mb_groups_release(struct mb_groups *g);

/* The key a process is grouped under for --group cgroup. */
const char *mb_proc_cgroup_key(const struct mb_proctab *t, const struct mb_proc *p);

/* Sum of a size column over the table (unknown skipped); *known gets the
 * number of processes that had the value. */
int64_t mb_procs_sum(const struct mb_proctab *t, enum mb_col c, size_t *known);

/* What a listing shows and how: the scan it needs follows from it. */
struct mb_listing {
        const enum mb_col *cols;
        int ncols;
        bool cols_given; /* else JSON carries every field */
        enum mb_col sort;
        enum mb_group_by group;
        bool json;
        bool has_match; /* a command-line match over every process */
        bool by_user;   /* filtered on a user */
};

/* The MB_SCAN_* flags a listing needs: only what its columns, sort key and
 * grouping read; uids and ppids only where shown, sorted on or filtered;
 * command lines for the rows shown only (MB_SCAN_CMDLINE_LATER) unless a
 * match or a grouping needs every one.  Pure. */
unsigned mb_listing_scan(const struct mb_listing *l);

#endif
