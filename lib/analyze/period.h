/*
 * period.h: statistics of recorded host samples over a period (min / mean
 * / p95 / peak, time over each budget line, swap-in activity) and the leak
 * suspects' figures.  Pure computation: `report` renders it (lib/out/report.h),
 * the diagnosis turns the suspects into findings.
 */
#ifndef MB_PERIOD_H
#define MB_PERIOD_H

#include "leaks.h"
#include "samples.h"

/* min / mean / p95 / peak of one quantity (bytes); have = any sample known. */
struct mb_report_stat {
        bool have;
        double min, mean, p95, peak;
};

enum mb_report_budget_id {
        MB_RB_RAM_MAX,
        MB_RB_SWAP_MAX,
        MB_RB_VRAM_MAX,
        MB_RB_AVAILABLE_MIN,
        MB_RB_COUNT
};

struct mb_report_budget {
        int64_t limit;       /* bytes; <= 0 = not configured */
        bool have;           /* samples of the quantity exist */
        double seconds_over; /* over the line (below it for available_min) */
        double share;        /* of the covered time, 0-1 */
};

/* Budget lines from the configuration, in bytes (<= 0 = off). */
struct mb_report_limits {
        int64_t ram_max, swap_max, vram_max, available_min;
        double thrash_swapin_ps; /* swap-in pages/s counted as heavy */
};

struct mb_report_period {
        double since, until; /* requested */
        double first, last;  /* first and last sample */
        size_t nsamples;
        double interval_s;    /* median gap between samples */
        double covered_s;     /* time the samples stand for (gaps excluded) */
        bool target_recorded; /* target totals present: ram_max applies to them */
        struct mb_report_stat ram_used, swap_used, vram_used, available, target_ram;
        struct mb_report_budget budget[MB_RB_COUNT];
        /* swap-in activity */
        bool have_swapin;
        double swapin_peak_ps, swapin_mean_ps, swapin_pages, swapin_heavy_s;
};

enum mb_report_leak_kind {
        MB_RL_PROCESS,       /* one process identity's RSS+swap */
        MB_RL_TARGET_TOTAL,  /* the target's total RAM */
        MB_RL_TARGET_NPROCS, /* the target's process count */
};

struct mb_report_leak {
        enum mb_report_leak_kind kind;
        struct mb_history_ident id; /* MB_RL_PROCESS */
        struct mb_leak leak;
        double eta_s;       /* to ram_max at this rate; 0 = already above; NAN = n/a */
        bool eta_of_target; /* a target process: eta_s is the target's total's */
};

/* The whole report (rendered by lib/out/report.h). */
struct mb_report {
        struct mb_report_limits limits;
        struct mb_leak_params leak_params;
        struct mb_report_period cur;
        bool have_before;
        struct mb_report_period before;
        struct mb_history_ident *by_peak, *by_mean; /* not owned */
        size_t npeak, nmean;
        struct mb_report_leak *leaks; /* not owned */
        size_t nleaks;
        const char *svg_path; /* chart written there, or NULL */
};

/*
 * Statistics of host rows (time order) for [since, until).  Gaps longer
 * than three median intervals (the recorder was not running) count as one
 * interval.  Pure.
 */
void mb_report_period_compute(const struct mb_history_host *rows, size_t n, double since,
                              double until, const struct mb_report_limits *lim,
                              struct mb_report_period *ret);

/* Time until a value at `rate` (bytes/s) reaches `limit`: 0 when already
 * above, NAN without a limit or growth. */
double mb_report_eta(double value, double rate, int64_t limit);

/* The one-line finding: "pid 4242 python worker: +310 MiB/h over 45 min,
 * reaches ram_max in 3.2 h". */
void mb_report_leak_text(const struct mb_report_leak *l, char *buf, size_t len);

/* "2 h 5 min", "45 min", "12 s", "3 d 4 h". */
char *mb_report_duration(double s, char *buf, size_t len);

/* "+310 MiB/h" (a slope in bytes per second). */
char *mb_report_rate(double bytes_per_s, char *buf, size_t len);

#endif
