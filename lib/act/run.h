/*
 * run.h: how `membudget run` holds its command (plan, pure) and the setup
 * of that way (apply).  Where systemd is PID 1 on a pure cgroup v2
 * hierarchy (and no captured --sys-root/--proc-root tree is read) the
 * command runs in a transient scope (scope.h): systemd accounts for it and
 * enforces the limits as unit properties.  Elsewhere a raw memory cgroup
 * under MOUNT/membudget/ (runner.h), or no group with a warning.
 */
#ifndef MB_ACT_RUN_H
#define MB_ACT_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "runner.h"

enum mb_run_way {
        MB_RUN_NOGROUP, /* no group can be made: limits not enforced */
        MB_RUN_CGROUP,  /* a raw cgroup MOUNT/membudget/run-PID */
        MB_RUN_SCOPE,   /* a transient scope membudget-run-PID.scope */
};

struct mb_run_plan {
        enum mb_run_way way;
        char why[1200]; /* MB_RUN_NOGROUP: why not */
};

/*
 * Plan (pure): fs is the memory hierarchy found (NULL: none), systemd
 * whether systemd is PID 1, capture whether a captured tree is read
 * (--sys-root/--proc-root), is_root whether we may make groups.
 */
void mb_run_plan(const struct mb_cgroup_fs *fs, bool systemd, bool capture, bool is_root,
                 struct mb_run_plan *ret);

/* Pure: is fs the pure (unified) cgroup v2 hierarchy at SYS/fs/cgroup? */
bool mb_cgroup_pure_v2(const struct mb_cgroup_fs *fs);

/*
 * Apply: set rc up for the plan's way (rc->fs detected): the raw group
 * created with lim, or the scope wanted (made at mb_runner_start).  cmd[0]
 * names the scope's description.  0; -errno with msg (NOGROUP: p->why).
 */
int mb_run_setup(struct mb_runner *rc, const struct mb_run_plan *p, const struct mb_cg_limits *lim,
                 char *const cmd[], char *msg, size_t len);

#endif
