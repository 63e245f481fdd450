/*
 * inspect.h: the processes `inspect` looks at, sampled again and again for
 * --watch: each one's smaps, its analysis (lib/analyze/inspect.h), its
 * first and previous samples and its growth between the last two.
 */
#ifndef MB_DIAG_INSPECT_H
#define MB_DIAG_INSPECT_H

#include <regex.h>

#include "../analyze/inspect.h"
#include "../collect/root.h"
#include "../collect/smaps.h"

struct mb_itarget {
        int pid;
        struct mb_smaps s;
        struct mb_inspect in;   /* latest */
        struct mb_inspect prev; /* previous sample (watch) */
        struct mb_inspect first;
        double t_first, t_prev, t_now;
        bool gone;
        int64_t vram; /* GPU memory the driver charges it; MB_UNKNOWN without a GPU */
        /* The last step (mb_itargets_step): */
        bool exited; /* it exited (or its pid was reused) in this step */
        bool grew;   /* g holds its growth since the previous sample */
        struct mb_kind_growth g;
};

struct mb_itargets {
        struct mb_itarget *t;
        size_t n;        /* inspected */
        size_t alive;    /* not gone */
        size_t more;     /* matching processes left out (max_procs) */
        unsigned denied; /* matching processes whose smaps was unreadable */
        double start;    /* the first sample (monotonic) */
        long samples;    /* taken so far */
        size_t top;      /* groups and mappings kept per analysis */
};

enum mb_iopen {
        MB_IOPEN_OK,
        MB_IOPEN_NOMEM,
        MB_IOPEN_LIST,  /* the process list could not be read: r */
        MB_IOPEN_NONE,  /* no process matches, or (denied) none could be read */
        MB_IOPEN_READ,  /* PID mode: its smaps could not be read: pid, r */
        MB_IOPEN_EMPTY, /* PID mode: no user memory (kernel thread, zombie): pid, name */
};

struct mb_iopen_err {
        int r;
        int pid;
        char name[64];
};

/*
 * The process pid, or (match not NULL) the max_procs largest whose command
 * line matches; sampled and analyzed (top groups and mappings), with their
 * GPU memory.  Processes that vanish meanwhile or cannot be read are
 * skipped with match (ts->denied counts the latter).  Release ts after any
 * outcome.
 */
enum mb_iopen mb_itargets_open(struct mb_root *root, int pid, const regex_t *match,
                               size_t max_procs, size_t top, struct mb_itargets *ts,
                               struct mb_iopen_err *e);
void mb_itargets_release(struct mb_itargets *ts);

/* --watch: the current samples become the first (growth is from them). */
void mb_itargets_watch_start(struct mb_itargets *ts);
/* Sample every process still alive again: its exited, grew and g. */
void mb_itargets_step(struct mb_root *root, struct mb_itargets *ts);

#endif
