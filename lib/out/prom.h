/*
 * prom.h: the Prometheus text exposition format 0.0.4 (what `serve`
 * answers on /metrics).
 *
 * Every metric comes from one descriptor table (name, type, help), so a
 * HELP/TYPE pair and its samples cannot disagree: the writer emits HELP and
 * TYPE the first time a metric gets a sample, refuses to reopen a metric
 * once another one was written (a family must be contiguous), and escapes
 * label values in one place (backslash, double quote, line feed; invalid
 * UTF-8 becomes U+FFFD).  Names follow the conventions: prefix membudget_,
 * base units _bytes / _seconds, counters end in _total.  Pure: renders into
 * a struct mb_buf, never prints.
 */
#ifndef MB_PROM_H
#define MB_PROM_H

#include <stdbool.h>
#include <stddef.h>

#include "../analyze/budget.h"
#include "../analyze/problems.h"
#include "../collect/snapshot.h"
#include "../config/config.h"
#include "../util/util.h"

/* The Content-Type of the format. */
#define MB_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum mb_prom_type { MB_PROM_GAUGE, MB_PROM_COUNTER };

enum mb_prom_metric {
        MB_PM_UP,
        MB_PM_BUILD_INFO,
        MB_PM_SAMPLE_DURATION,
        MB_PM_SAMPLE_TIMESTAMP,
        MB_PM_MEM_TOTAL,
        MB_PM_MEM_AVAILABLE,
        MB_PM_MEM_USED,
        MB_PM_MEM_FREE,
        MB_PM_MEM_BUFF_CACHE,
        MB_PM_SWAP_TOTAL,
        MB_PM_SWAP_USED,
        MB_PM_SWAP_IN,
        MB_PM_SWAP_OUT,
        MB_PM_PSI_SOME_RATIO,
        MB_PM_PSI_FULL_RATIO,
        MB_PM_PSI_SOME_TOTAL,
        MB_PM_PSI_FULL_TOTAL,
        MB_PM_SWAPPINESS,
        MB_PM_GPU_INFO,
        MB_PM_GPU_TOTAL,
        MB_PM_GPU_USED,
        MB_PM_TARGET_PROCESSES,
        MB_PM_TARGET_RAM,
        MB_PM_TARGET_SWAP,
        MB_PM_TARGET_VRAM,
        MB_PM_BUDGET_TOTAL_MAX,
        MB_PM_BUDGET_RAM_MAX,
        MB_PM_BUDGET_VRAM_MAX,
        MB_PM_BUDGET_SWAP_MAX,
        MB_PM_BUDGET_AVAILABLE_MIN,
        MB_PM_BUDGET_MET,
        MB_PM_PROC_RSS,
        MB_PM_PROC_SWAP,
        MB_PM_PROBLEM,
        MB_PM_LEAK_SLOPE,
        MB_PM_GUARD_EVENTS,
        MB_PM_GUARD_ACTIONS,
        MB_PM_SAMPLE_AGE,
        MB_PM_COUNT
};

struct mb_prom_desc {
        const char *name;
        enum mb_prom_type type;
        const char *help;
};

/* Indexed by enum mb_prom_metric. */
extern const struct mb_prom_desc mb_prom_descs[MB_PM_COUNT];

/* A writer over a buffer. */
struct mb_prom {
        struct mb_buf *b;
        int cur;                /* metric of the last sample, -1 = none */
        bool seen[MB_PM_COUNT]; /* HELP/TYPE written */
        int err;                /* first error: -ENOMEM, -EINVAL (non-contiguous family) */
};

void mb_prom_begin(struct mb_prom *p, struct mb_buf *b);

/*
 * One sample.  `labels` is NULL or a NULL-terminated list of name, value,
 * name, value, ...  Writes HELP/TYPE first when the metric is new.  Errors
 * are kept in p->err (the first one wins) and the sample is dropped.
 */
void mb_prom_sample(struct mb_prom *p, enum mb_prom_metric m, const char *const *labels, double v);

/* 0, or the first error. */
int mb_prom_end(struct mb_prom *p);

/* Append a label value escaped (\\, \", \n; invalid UTF-8 -> U+FFFD; other
 * controls, C1 and bidi overrides -> '?', lib/util/text.h). */
int mb_prom_escape_label(struct mb_buf *b, const char *v);
/* Append a HELP docstring escaped (\\ and \n only). */
int mb_prom_escape_help(struct mb_buf *b, const char *v);
/* A sample value: integers exactly, NaN, +Inf, -Inf, else MB_REAL_DIGITS
 * significant digits (no float noise such as 0.58354049000000074). */
void mb_prom_format_value(double v, char *buf, size_t len);

/* A leak slope to export (from the history store). */
struct mb_prom_leak {
        int pid;
        char name[64];
        double slope; /* bytes per second */
};

/* Counters of the guard, per condition and per action. */
struct mb_prom_guard {
        bool enabled;
        unsigned long long events[4];  /* swap_used, target_ram, available, psi_full */
        unsigned long long actions[3]; /* log, hook, signal */
};

struct mb_prom_input {
        const struct mb_snapshot *snap; /* NULL when the sample failed */
        const struct mb_target *target;
        const struct mb_config *cfg;
        const struct mb_metrics *budget;    /* NULL = none */
        const struct mb_findings *findings; /* NULL = none */
        const struct mb_prom_leak *leaks;   /* flagged leak slopes */
        size_t nleaks;
        const struct mb_prom_guard *guard; /* NULL = no guard metrics */
        size_t top_n;                      /* top processes exported */
        const char *version;
        double sample_duration_s;
};

/* Render a whole sample (everything but membudget_sample_age_seconds). */
int mb_prom_render(struct mb_buf *b, const struct mb_prom_input *in);

/* Append membudget_sample_age_seconds (per scrape). */
int mb_prom_render_age(struct mb_buf *b, double age_s);

#endif
