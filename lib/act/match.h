/* match.h: the processes `limit --match` would move. */
#ifndef MB_ACT_MATCH_H
#define MB_ACT_MATCH_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

#include "../collect/proc.h"
#include "../collect/root.h"
#include "cgroup.h"

struct mb_member_list {
        struct mb_cg_member *m;
        size_t n;
};

/*
 * Scan (into tab) the processes whose command line re matches, and their
 * descendants: never PID 1, kernel threads, zombies, membudget or its
 * ancestors; only user uid when has_uid.  Each with its memory cgroup
 * (fs NULL: not looked up).  0 or -errno; ret->m malloc'd.
 */
int mb_match_members(struct mb_root *root, const char *proc_root, const struct mb_cgroup_fs *fs,
                     const regex_t *re, bool has_uid, uint32_t uid, struct mb_proctab *tab,
                     struct mb_member_list *ret);

/* Their RSS now (from the scan): what a limit must hold. */
int64_t mb_members_usage(const struct mb_proctab *tab, const struct mb_member_list *ml);

#endif
