/*
 * inspect.h: the documents of "membudget inspect": one process's memory by
 * kind of mapping (text and JSON), the summary of several (what they
 * share), and the --watch lines and growth summary.
 */
#ifndef MB_OUT_INSPECT_H
#define MB_OUT_INSPECT_H

#include <jansson.h>
#include <stdio.h>

#include "../analyze/inspect.h"
#include "../collect/smaps.h"
#include "../diag/inspect.h"

/* One inspected process as the renderers see it. */
struct mb_out_inspect {
        const struct mb_smaps *s;
        const struct mb_inspect *in;    /* latest sample */
        const struct mb_inspect *first; /* first sample (--watch), else NULL */
        double seconds;                 /* since the first sample */
        int64_t vram;                   /* GPU memory; MB_UNKNOWN without a GPU */
};

/* The process: header, kinds table, largest groups and mappings (top). */
void mb_out_inspect_text(FILE *f, const struct mb_out_inspect *t, size_t top);
json_t *mb_out_inspect_json(const struct mb_out_inspect *t, size_t top);

/*
 * The whole document of `inspect` (text or JSON): each process, then with re
 * (--match) what they share.  0, or -ENOMEM (the summary is missing).
 */
int mb_out_inspect_doc(FILE *f, bool json, const struct mb_out_inspect *p, size_t n, size_t top,
                       const char *re);

/* What the processes matching re share. */
void mb_out_inspect_summary_text(FILE *f, const struct mb_inspect_summary *sum, size_t top,
                                 const char *re, int64_t vram);
json_t *mb_out_inspect_summary_json(const struct mb_inspect_summary *sum, size_t top);

/* --watch: the heading, one line per process and sample (g NULL: the first
 * sample), a line for one that exited, and the growth since the first. */
void mb_out_inspect_watch_head(FILE *f, size_t n, double interval_s, bool until_interrupted);
void mb_out_inspect_watch_line(FILE *f, double elapsed, int pid, int64_t charge,
                               const struct mb_kind_growth *g);
void mb_out_inspect_watch_exited(FILE *f, double elapsed, int pid);
void mb_out_inspect_growth_text(FILE *f, const struct mb_out_inspect *t);
/* One process of a --watch --json sample; g NULL for the first sample. */
json_t *mb_out_inspect_watch_json(const struct mb_out_inspect *t, const struct mb_kind_growth *g);
/* The processes of ts (lib/diag/inspect.h) as the renderers see them. */
const struct mb_out_inspect *mb_out_itarget(const struct mb_itarget *t, struct mb_out_inspect *v);
/* mb_out_inspect_doc of ts.  0, or -ENOMEM. */
int mb_out_inspect_targets(FILE *f, bool json, const struct mb_itargets *ts, const char *re);
/* --watch of ts: the first sample (heading and a line each, or the first JSON
 * line), each later step (mb_itargets_step), the growth since the first. */
void mb_out_inspect_watch_first(FILE *f, bool json, const struct mb_itargets *ts, double interval_s,
                                bool until_interrupted);
void mb_out_inspect_watch_step(FILE *f, bool json, const struct mb_itargets *ts);
void mb_out_inspect_watch_end(FILE *f, bool json, const struct mb_itargets *ts);

/* "anon +10.0 MiB, heap -1.0 MiB" (largest change first, at most 3), or "steady". */
void mb_out_inspect_grew(char *buf, size_t len, const struct mb_kind_growth *g, double min_step);

#endif
