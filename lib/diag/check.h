/*
 * check.h: the checklist of `membudget check` (the plan's success table
 * itself is analyze/budget.h): vm.swappiness applied and persisted, the
 * target under a memory limit, monitoring recorded in the last hour.
 * Reads the cgroup files under the root's /sys and the history file.
 */
#ifndef MB_DIAG_CHECK_H
#define MB_DIAG_CHECK_H

#include "diag.h"

enum { MB_CHECK_SWAPPINESS, MB_CHECK_LIMIT, MB_CHECK_MONITOR, MB_CHECK_COUNT };

struct mb_check_item {
        const char *item;
        bool done;
        char detail[1600];
        char how[256];
};

/*
 * Fill the checklist for the sample in d.  `history` is the history file
 * (its last sample must be under an hour old: a file that is not a history,
 * or one without samples, does not count).
 */
void mb_check_items(struct mb_root *root, const struct mb_diag *d, const char *history,
                    struct mb_check_item items[MB_CHECK_COUNT]);

#endif
