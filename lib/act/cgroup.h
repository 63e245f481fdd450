/*
 * cgroup.h: memory cgroups for `limit --match` and `run`, v2 or v1.
 *
 * The hierarchy is found under a sys root (default /sys, or --sys-root for
 * a fixture tree): v2 when SYS/fs/cgroup (or SYS/fs/cgroup/unified) lists
 * "memory" in cgroup.controllers; otherwise v1 when SYS/fs/cgroup/memory
 * has memory.limit_in_bytes.  membudget's groups live in MOUNT/membudget/.
 *
 * Limits: v2 memory.max, memory.high, memory.swap.max.  v1
 * memory.limit_in_bytes, memory.soft_limit_in_bytes (for --high), and
 * memory.memsw.limit_in_bytes = max + swap-max where swap accounting is on;
 * without it --swap-max 0 becomes memory.swappiness = 0 in the group.
 */
#ifndef MB_ACT_CGROUP_H
#define MB_ACT_CGROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "../collect/proc.h"
#include "plan.h"

enum mb_cg_version { MB_CG_NONE, MB_CG_V1, MB_CG_V2 };

struct mb_cgroup_fs {
        enum mb_cg_version version;
        char mount[1024]; /* the memory hierarchy's root directory */
        bool memsw;       /* v1: memory.memsw.* present (swap accounting) */
        bool swap_max;    /* v2: memory.swap.max present */
};

/* Find the memory hierarchy under sys_root ("/sys" when NULL).  0, or
 * -ENOENT when there is none. */
int mb_cgroup_detect(const char *sys_root, struct mb_cgroup_fs *ret);

/* Group names: [A-Za-z0-9_.-], 1-64 chars, not "." or "..". */
bool mb_cgroup_name_valid(const char *name);

/* MOUNT/membudget/NAME */
void mb_cgroup_dir(const struct mb_cgroup_fs *fs, const char *name, char *buf, size_t len);

/* Limits in bytes; -1 = not set. */
struct mb_cg_limits {
        int64_t max, high, swap_max;
};

/* Values now in an existing group (strings as read); "" = file absent. */
struct mb_cg_values {
        char max[32], high[32], swap[32], swappiness[16];
        char move_charge[16]; /* v1 memory.move_charge_at_immigrate */
};

struct mb_cg_member {
        int pid;
        uint32_t uid;
        uint64_t starttime;
        char comm[64];
        char from[1024]; /* its memory cgroup directory now */
};

/*
 * Plan a limit group (pure): create MOUNT/membudget/NAME unless `exists`
 * (then `now` holds its values), write the limits, move the members.
 */
int mb_cgroup_limit_plan(const struct mb_cgroup_fs *fs, const char *name,
                         const struct mb_cg_limits *lim, bool exists,
                         const struct mb_cg_values *now, const struct mb_cg_member *m, size_t n,
                         struct mb_plan *plan);

/* Read the limit values of group dir. */
void mb_cgroup_values_read(const struct mb_cgroup_fs *fs, const char *dir,
                           struct mb_cg_values *ret);

/* The memory cgroup directory of pid, from PROC/PID/cgroup.  0 or -errno. */
int mb_cgroup_of(const struct mb_cgroup_fs *fs, const char *proc_root, int pid, char *buf,
                 size_t len);

/* Primitives (0 or -errno). */
int mb_cgroup_write(const char *path, const char *value);
int mb_cgroup_create(const char *dir); /* parents too; v2: enables +memory on the way */
int mb_cgroup_remove(const char *dir); /* also the empty membudget/ parent */
int mb_cgroup_move(const char *dir, int pid);
/* A number from a file ("max" = INT64_MAX); or a "key value" line's value. */
int mb_cgroup_read_i64(const char *dir, const char *file, int64_t *ret);
int mb_cgroup_read_key(const char *dir, const char *file, const char *key, int64_t *ret);
/* PIDs in dir/cgroup.procs; *ret malloc'd. */
int mb_cgroup_pids(const char *dir, int **ret, size_t *n);

/* OOM kills in group dir (v2 memory.events oom_kill, v1 memory.oom_control
 * oom_kill).  0 or -errno. */
int mb_cgroup_oom_kills(const struct mb_cgroup_fs *fs, const char *dir, int64_t *ret);

/* A memory cgroup whose usage plus swapped pages exceed its hard limit. */
struct mb_cg_risk {
        char dir[1024];
        int64_t usage, swap, limit;
};

/*
 * Walk the whole memory hierarchy (depth <= 16) for groups with a hard
 * limit where usage + swap > limit (v1: memory.usage_in_bytes + memory.stat
 * total_swap vs memory.limit_in_bytes; v2: memory.current +
 * memory.swap.current vs memory.max): a swapoff would bring their pages
 * back over the limit and their OOM killer would kill.  The first `max`
 * go to ret; returns how many there are (or -errno for the root).
 */
int mb_cgroup_swap_risks(const struct mb_cgroup_fs *fs, struct mb_cg_risk *ret, size_t max);

/* Pure: refuse every swap-cycle change of plan, naming the first risky
 * group (n of them in all). */
void mb_swap_cycle_refuse_cgroups(struct mb_plan *plan, const struct mb_cg_risk *r, size_t n);

/*
 * Pure: a plan note when the limit is below what the processes use now
 * (usage in bytes; < 0 = unknown): they will be pushed to swap or
 * OOM-killed.  `what` names them ("the unit", "the 4 matching processes").
 */
/*
 * `check`'s "target under a memory limit" (issue 15.3): true only when every
 * MB_P_TARGET process of t sits in a memory cgroup (or below one) whose hard
 * limit (v1 memory.limit_in_bytes, v2 memory.max, read through sys_fd) is
 * below ram.  detail names the limit found, or the first process outside.
 */
bool mb_target_all_limited(int sys_fd, const struct mb_proctab *t, uint64_t ram, char *detail,
                           size_t dlen);

/* Past this many matches `limit --match` wants --user or --force. */
#define MB_LIMIT_MATCH_MAX 16

/*
 * Pure: the safety policy of `limit --match` (issue 15.2).  Notes how many
 * processes match and whose; when more than MB_LIMIT_MATCH_MAX match, or
 * some belong to a user other than `self`, and neither user_given nor force,
 * every move is refused with the reason.  Returns how many were refused.
 */
size_t mb_limit_match_policy(struct mb_plan *plan, const struct mb_cg_member *m, size_t n,
                             uint32_t self, bool user_given, bool force);

int mb_limit_usage_note(struct mb_plan *plan, const char *what, int64_t usage, int64_t limit);

#endif
