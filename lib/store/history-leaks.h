/*
 * history-leaks.h: leak suspects from the history store.  Runs the pure
 * detector (analyze/leaks.h) over every process identity's RSS+swap and
 * over the target's totals, and turns the suspects into findings for the
 * problems engine, so that `status` and `check` name a leaking process when
 * a history is being recorded.
 */
#ifndef MB_HISTORY_LEAKS_H
#define MB_HISTORY_LEAKS_H

#include "../analyze/problems.h"
#include "../analyze/period.h"
#include "history.h"

/*
 * Suspects in [since, until): processes (largest slope first), then the
 * target's total RAM and process count (rows: the host rows of the same
 * period, for the target).  ram_max in bytes (<= 0: no ETA).  Caller frees
 * *ret.  Returns 0, -ENOMEM or -EIO (err filled).
 */
int mb_history_find_leaks(struct mb_history *h, const struct mb_history_host *rows, size_t n,
                          double since, double until, const struct mb_leak_params *p,
                          int64_t ram_max, struct mb_report_leak **ret, size_t *ret_n,
                          struct mb_error *err);

/*
 * Append a "memory-leak" finding per suspect over the last leak window
 * (default 30 min, 50 MiB/h) before `now` in the history file at `path`.
 * A missing file or an empty window adds nothing and returns 0.  Returns
 * the number of findings added, or -errno with err filled.
 */
int mb_history_leak_findings(const char *path, double now, int64_t ram_max, struct mb_findings *fs,
                             struct mb_error *err);

/*
 * Suspects over the last leak window (default 30 min, 50 MiB/h) before
 * `now`, from an open history.  Caller frees *ret.  0 or -errno.
 */
int mb_history_recent_leaks(struct mb_history *h, double now, int64_t ram_max,
                            struct mb_report_leak **ret, size_t *ret_n, struct mb_error *err);

/* One "memory-leak" / "target-growth" finding per suspect.  Count or -ENOMEM. */
int mb_leaks_to_findings(const struct mb_report_leak *lk, size_t n, struct mb_findings *fs);

#endif
