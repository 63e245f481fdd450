/*
 * collector.h: the process collectors as one ops table.  A scan goes to the
 * first collector, in order of preference, that can serve it: BPF (status
 * fields from mm_struct counters, live host only), then /proc (everything,
 * any root).  The CLI sets the mode once (MEMBUDGET_COLLECTOR, parsed in
 * main.c); nothing below reads the environment.
 */
#ifndef MB_COLLECTOR_H
#define MB_COLLECTOR_H

#include "proc.h"

enum mb_collector_mode {
        MB_COLLECTOR_AUTO, /* the first collector that can serve the scan */
        MB_COLLECTOR_PROC, /* /proc only (MEMBUDGET_COLLECTOR=proc) */
};

/* "auto", "proc" (or "" = auto): 0, or -EINVAL. */
int mb_collector_mode_parse(const char *s, enum mb_collector_mode *ret);
/* Process-wide; the CLI sets it before the first scan. */
void mb_collector_set_mode(enum mb_collector_mode m);

struct mb_collector {
        const char *name;
        /* NULL when it may serve this scan, else why not (for --debug). */
        const char *(*why_not)(const struct mb_root *root, unsigned flags,
                               const struct mb_scan_filter *filter);
        /* Like mb_proc_scan(): the count, -ENOTSUP (try the next one) or -errno. */
        int (*scan)(struct mb_root *root, unsigned flags, const struct mb_scan_filter *filter,
                    struct mb_proctab *t);
        /* Why it could not scan after trying (-ENOTSUP), or NULL. */
        const char *(*unavailable)(void);
};

/* In order of preference; the last (/proc) serves every scan. */
extern const struct mb_collector mb_collectors[];
extern const size_t mb_ncollectors;

/*
 * Scan with the first collector that can.  *used: its name; *why: why the
 * preferred one (the first) was not used, or "" when it was.  Returns like
 * mb_proc_scan().
 */
int mb_collect_procs(struct mb_root *root, unsigned flags, const struct mb_scan_filter *filter,
                     struct mb_proctab *t, const char **used, const char **why);

#endif
