/*
 * runner.h: `membudget run`'s engine: a fresh memory cgroup with limits
 * (not journaled: it is removed afterwards), the command forked held at a
 * pipe until it is inside, its whole process tree sampled every 100 ms
 * (RSS, swap, cgroup usage, VRAM), then the group's peak and OOM kills and
 * the group removed (what is left in it goes back to our own group).
 * Nothing here prints: warnings go to the warn callback.
 */
#ifndef MB_ACT_RUNNER_H
#define MB_ACT_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../collect/gpu.h"
#include "../collect/proc.h"
#include "../collect/root.h"
#include "cgroup.h"
#include "scope.h"

struct mb_run_peaks {
        int64_t rss, swap, tree, cg, cg_swap, vram;
        int64_t oom_kills;
        unsigned samples;
        size_t max_procs;
};

struct mb_runner {
        struct mb_root *root;
        const char *proc_root;
        void (*warn)(const char *msg); /* may be NULL */
        struct mb_cgroup_fs fs;
        bool have_cg;
        char dir[1200];
        pid_t pid;
        struct mb_proctab tab;
        struct mb_gpus gpus;
        bool gpu_ok;
        int *cgpids;
        size_t ncgpids;
        bool removed; /* the group existed and was removed (or the scope ended) */
        /* the systemd way (lib/act/run.h chose it): the command is adopted
         * by a transient scope before it execs, a pin process keeps the
         * scope until its peaks are read; a raw group when that fails */
        bool want_scope;
        struct mb_cg_limits lim; /* the scope's limits, and the fallback's */
        char description[256];
        struct mb_scope scope;
        enum mb_scope_way way;
        pid_t pin;
        bool in_scope;
};

/* Zeroed, with these set (warn may be NULL). */
void mb_runner_init(struct mb_runner *rc, struct mb_root *root, const char *proc_root,
                    void (*warn)(const char *msg));

/* Create MOUNT/membudget/run-PID with lim (rc->fs detected).  0 or -errno (msg). */
int mb_runner_group(struct mb_runner *rc, const struct mb_cg_limits *lim, char *msg, size_t len);

/* Fork and exec cmd (PATH lookup), in the scope (want_scope) or the group
 * when there is one; a scope that cannot be made is warned about and a raw
 * group made instead.  0, or
 * -errno when pipe or fork failed; *child_errno = exec's errno (0 = ran). */
int mb_runner_start(struct mb_runner *rc, char **cmd, int *child_errno);

/* Sample until the child exits; its wait status. */
int mb_runner_wait(struct mb_runner *rc, struct mb_run_peaks *pk);

/* The group's peak and OOM kills, then the group removed (also after a
 * failed start); a scope's pin is killed and reaped (systemd removes the
 * scope when it is empty). */
void mb_runner_finish(struct mb_runner *rc, struct mb_run_peaks *pk);

void mb_runner_release(struct mb_runner *rc);

#endif
