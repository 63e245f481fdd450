/*
 * scope.h: transient systemd scopes, "the systemd way" to limit processes
 * where systemd is PID 1: systemd then accounts for them, shows them
 * (systemctl status, systemd-cgls) and enforces the limits as unit
 * properties (MemoryMax=, MemoryHigh=, MemorySwapMax=), instead of a raw
 * cgroup that systemd does not know about.  A scope groups processes that
 * already run: it can adopt existing PIDs (the PIDs property), and a
 * command started by `run` is adopted before it execs.
 *
 * Ways, tried in this order by mb_scope_start():
 *   MB_SCOPE_SDBUS    StartTransientUnit over D-Bus with sd-bus from
 *                     libsystemd.so.0, loaded at run time (dynlib.h);
 *   MB_SCOPE_BUSCTL   the same call through `busctl` (execv, no shell);
 * and for a command not yet started, mb_scope_run_argv() builds
 *   MB_SCOPE_SYSTEMD_RUN  `systemd-run --scope ... -- CMD` (exec it).
 * Every scope is made with CollectMode=inactive-or-failed (systemd-run
 * --collect): one whose command the OOM killer ended (result "oom-kill",
 * state failed) is unloaded when it stops, not left listed as failed.
 * Plan (pure): mb_scope_plan(), the argv builders.  Apply: mb_scope_start(),
 * mb_scope_wait().  A scope stops (and systemd removes its cgroup) when its
 * last process exits: to read memory.peak/memory.events after the command
 * ended, keep a pin process in it (mb_scope_pin_spawn()).
 */
#ifndef MB_ACT_SCOPE_H
#define MB_ACT_SCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgroup.h"

enum mb_scope_way { MB_SCOPE_NONE, MB_SCOPE_SDBUS, MB_SCOPE_BUSCTL, MB_SCOPE_SYSTEMD_RUN };

/* "sd-bus (libsystemd)", "busctl", "systemd-run --scope", "". */
const char *mb_scope_way_name(enum mb_scope_way w);

struct mb_scope {
        char unit[256];          /* "membudget-NAME.scope" */
        char slice[256];         /* "" = systemd's default (system.slice) */
        char description[256];   /* "" = none */
        struct mb_cg_limits lim; /* -1 = not set */
};

/*
 * Is systemd the init system (ROOT/run/systemd/system is a directory, as
 * sd_booted() tests)?  root NULL = "/".
 */
bool mb_systemd_booted(const char *root);

/*
 * Plan (pure): the scope for NAME ([A-Za-z0-9_.-], the cgroup names' rule;
 * it becomes "membudget-NAME.scope"), in slice (NULL or "" = default; must
 * end in ".slice"), with the limits (max, high, swap_max; -1 = not set).
 * 0, or -EINVAL (bad name or slice).
 */
int mb_scope_plan(const char *name, const char *slice, const char *description,
                  const struct mb_cg_limits *lim, struct mb_scope *ret);

/*
 * The unit properties as "MemoryMax=67108864 MemoryHigh=... " (for the
 * plan table and the messages).  Pure.
 */
void mb_scope_props_text(const struct mb_scope *s, char *buf, size_t len);

/*
 * argv for `systemd-run --scope --quiet --unit=U [--slice=S]
 * [--description=D] -p MemoryAccounting=yes -p MemoryMax=N ... -- CMD...`
 * into argv (NULL-terminated; cap entries) with its strings in store
 * (storelen bytes).  Returns the count, or -ENOSPC.  Pure.
 */
int mb_scope_run_argv(const struct mb_scope *s, char *const cmd[], char **argv, size_t cap,
                      char *store, size_t storelen);

/* argv for the busctl fallback of StartTransientUnit with PIDs pids.  As
 * above.  Pure. */
int mb_scope_busctl_argv(const struct mb_scope *s, const pid_t *pids, size_t n, char **argv,
                         size_t cap, char *store, size_t storelen);

/*
 * Apply: start the scope with pids in it (they move into its cgroup), by
 * sd-bus or else busctl.  *way says which worked.  0, or -errno with msg
 * saying why (the bus's error name and text).
 */
int mb_scope_start(const struct mb_scope *s, const pid_t *pids, size_t n, enum mb_scope_way *way,
                   char *msg, size_t len);

/*
 * Wait until PROC/PID/cgroup (v2 line) shows pid in the scope (its path
 * ends in "/UNIT"); the path into cgpath.  systemd moves the PIDs when the
 * start job runs, just after the call returns.  0, or -ETIMEDOUT.
 */
int mb_scope_wait(const char *proc_root, pid_t pid, const char *unit, double timeout_s,
                  char *cgpath, size_t len);

/*
 * A process that only waits (pause(); SIGKILL when its parent dies) to keep
 * a scope alive after the command in it has ended, so that its memory.peak
 * and memory.events can still be read.  It closes every descriptor but
 * 0-2.  Its pid, or -errno.  Kill it with SIGKILL and reap it when done.
 */
pid_t mb_scope_pin_spawn(void);

#endif
