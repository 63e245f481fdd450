/* run.h: the report of `membudget run` (text and JSON). */
#ifndef MB_OUT_RUN_H
#define MB_OUT_RUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../act/runner.h"

struct mb_run_report {
        const char *command;
        const char *cgroup;                /* NULL: ran without a cgroup */
        const char *scope_unit;            /* NULL: not in a transient scope */
        const char *scope_way;             /* how the scope was made */
        int64_t max, high, swap_max;       /* limits; < 0 = none */
        int64_t rss, swap, tree, cg, vram; /* peaks; vram MB_UNKNOWN = no data */
        int64_t oom_kills;
        unsigned samples;
        size_t max_procs;
        double wall_s;
        int signal;      /* 0 = exited */
        int exit_status; /* the exit code membudget returns */
        bool broke_ram, broke_swap, broke_vram, broke;
};

/*
 * The report of a run that ended: rc's group or scope, the peaks, the
 * limits given and whether a peak broke the budget (bytes; < 0 = no
 * budget; ram_budget is always set).  Pure.
 */
void mb_out_run_fill(const struct mb_runner *rc, const struct mb_run_peaks *pk,
                     const struct mb_cg_limits *lim, const char *command, int64_t ram_budget,
                     int64_t swap_budget, int64_t vram_budget, struct mb_run_report *r);

/* "membudget run: CMD" then the peak lines (to stderr in the CLI). */
void mb_out_run_text(FILE *f, const struct mb_run_report *r);
json_t *mb_out_run_json(const struct mb_run_report *r);

#endif
