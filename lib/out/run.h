/* run.h: the report of `membudget run` (text and JSON). */
#ifndef MB_OUT_RUN_H
#define MB_OUT_RUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct mb_run_report {
        const char *command;
        const char *cgroup;                /* NULL: ran without a cgroup */
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

/* "membudget run: CMD" then the peak lines (to stderr in the CLI). */
void mb_out_run_text(FILE *f, const struct mb_run_report *r);
json_t *mb_out_run_json(const struct mb_run_report *r);

#endif
