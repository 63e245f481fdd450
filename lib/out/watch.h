/* watch.h: the lines of `membudget watch` (text, CSV, JSON lines) from
 * one tick of the diagnosis sampler. */
#ifndef MB_OUT_WATCH_H
#define MB_OUT_WATCH_H

#include <stdio.h>

#include "../analyze/target.h"
#include "../collect/snapshot.h"

/* What one tick shows. */
struct mb_watch_tick {
        double wall;
        int64_t ram_used, ram_avail, swap_used, vram_used, vram_total;
        struct mb_rates rates;
        double psi_some10, psi_full10;
        const struct mb_proc *top;
        struct mb_target tg;
};

/* The tick of a sample: host figures, the largest consumer, the target. */
void mb_watch_tick_fill(const struct mb_snapshot *s, const struct mb_target *tg,
                        struct mb_watch_tick *k);
void mb_out_watch_text(FILE *f, const struct mb_watch_tick *k);
void mb_out_watch_csv_header(FILE *f);
void mb_out_watch_csv(FILE *f, const struct mb_watch_tick *k);
void mb_out_watch_json(FILE *f, const struct mb_watch_tick *k, const struct mb_proctab *t);

enum mb_watch_fmt { MB_WATCH_TEXT, MB_WATCH_CSV, MB_WATCH_JSON, MB_WATCH_SCREEN };
/* One tick's line in fmt (nothing for MB_WATCH_SCREEN: screen.h draws it). */
void mb_out_watch_line(FILE *f, enum mb_watch_fmt fmt, const struct mb_watch_tick *k,
                       const struct mb_proctab *t);

#endif
