/*
 * baseline.h: the "before" column.  The metrics at one moment, saved as JSON
 * in the state directory (baseline.json), written atomically (temp file,
 * fsync, rename; mode 0600), so an interrupted write leaves the old one.
 */
#ifndef MB_BASELINE_H
#define MB_BASELINE_H

#include "../analyze/budget.h"

#define MB_BASELINE_FILE "baseline.json"

/* 0 or -errno. */
int mb_baseline_save(const char *state_dir, const struct mb_metrics *m);
/* 0, -ENOENT when none was saved, -EINVAL with err filled when garbled. */
int mb_baseline_load(const char *state_dir, struct mb_metrics *ret, struct mb_error *err);
/* 0, or -ENOENT when there was none. */
int mb_baseline_clear(const char *state_dir);

#endif
