/*
 * guard-act.h: the side effects of the guard (guard.h is the policy).
 *
 *   signal  SIGTERM to the victim, SIGKILL after guard.grace_s if it is still
 *           alive.  The process is held by a pidfd (pidfd_open), and its
 *           identity is checked before each signal: its start time in
 *           /proc/PID/stat must equal the one of the snapshot it was chosen
 *           from, so a PID reused in between is never signalled.
 *   hook    the configured argv executed without a shell (fork + execvpe),
 *           the event in MEMBUDGET_* environment variables; never waited
 *           for: reaped with WNOHANG on each tick, SIGKILLed after a time
 *           limit.
 *
 * Nothing here prints: results come back as return codes.
 */
#ifndef MB_GUARD_ACT_H
#define MB_GUARD_ACT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "guard.h"

struct mb_guard_kill {
        bool active;
        int pid;
        uint64_t starttime;
        int pidfd;      /* -1 when pidfd_open is unavailable */
        double kill_at; /* monotonic */
};

void mb_guard_kill_init(struct mb_guard_kill *k);

/*
 * Check the identity of pid (start time read from `proc_fd`, a directory
 * fd of the live /proc) and send SIGTERM.  0 on success (k is then active
 * with kill_at = now + grace_s), -ESRCH when gone, -ESTALE when the PID
 * now belongs to another process (or starttime is 0: identity unknown),
 * -errno.
 */
int mb_guard_kill_start(struct mb_guard_kill *k, int proc_fd, int pid, uint64_t starttime,
                        double grace_s, double now);

/*
 * Follow a pending kill.  Returns 0 while waiting, 1 when the process is
 * gone (k becomes inactive), 2 when SIGKILL was sent now (k becomes
 * inactive), -ESTALE when the identity changed (inactive), -errno.
 */
int mb_guard_kill_tick(struct mb_guard_kill *k, int proc_fd, double now);

void mb_guard_kill_release(struct mb_guard_kill *k);

/* Hooks in flight. */
#define MB_HOOK_MAX 8

struct mb_hooks {
        pid_t pid[MB_HOOK_MAX];
        double started[MB_HOOK_MAX];
        unsigned n;
};

/*
 * Start argv[0] (PATH lookup, no shell) with the environment plus `env`
 * ("NAME=value" strings, NULL-terminated).  Returns the pid, -EBUSY when
 * MB_HOOK_MAX hooks still run, -errno.
 */
pid_t mb_hook_spawn(struct mb_hooks *h, char *const argv[], char *const env[], double now);

/*
 * Reap finished hooks (WNOHANG) and SIGKILL those older than timeout_s.
 * For each finished one, calls done(pid, status) when non-NULL (status as
 * from waitpid).  Returns how many are still running.
 */
unsigned mb_hooks_reap(struct mb_hooks *h, double now, double timeout_s,
                       void (*done)(pid_t pid, int status, void *arg), void *arg);

/* Hooks still running after this long are SIGKILLed. */
#define MB_HOOK_TIMEOUT_S 60.0

/* The guard's state in `serve`, and where its lines go. */
struct mb_guard_runner {
        struct mb_guard *guard;
        struct mb_guard_kill *kill;
        struct mb_hooks *hooks;
        const regex_t *kill_re; /* guard.kill_match compiled; NULL = none */
        int proc_fd;            /* the live /proc */
        void (*log)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
};

/* One sample's guard step: observe, decide, log, signal (only processes
 * mb_guard_pick_victim allows), start the hook. */
void mb_guard_run(const struct mb_guard_runner *g, const struct mb_config *c,
                  const struct mb_snapshot *s, const struct mb_target *tg, double now);

/* Between samples: reap hooks, follow a pending SIGTERM -> SIGKILL. */
void mb_guard_follow(const struct mb_guard_runner *g, const struct mb_config *c, double now);

#endif
