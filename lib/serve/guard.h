/*
 * guard.h: the guard policy of `serve` (opt-in, config section "guard").
 *
 * Conditions (each off unless configured):
 *   swap_used   swap used > guard.swap_used_mb
 *   target_ram  the target's RAM > memory.ram_max_mb (guard.target_over_ram)
 *   available   MemAvailable < guard.available_min_mb
 *   psi_full    PSI memory full avg10 > guard.psi_full_avg10 (percent)
 * A condition that has held continuously for guard.for_s seconds is an
 * event.  Events lead to actions (log, hook, signal), at most one round of
 * actions per guard.rate_limit_s; while a condition keeps holding, it fires
 * again once the rate limit has passed.  guard.dry_run: the actions are only
 * described, never taken.
 *
 * The victim of the signal action is the process with the largest RSS+swap
 * whose whole command line matches guard.kill_match; never PID 1, a kernel
 * thread, a zombie, membudget itself, or anything that does not match.
 *
 * This file is the pure part (no clock, no /proc, no signals): the caller
 * passes the monotonic time.  guard-act.c holds the side effects.
 */
#ifndef MB_GUARD_H
#define MB_GUARD_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

#include "../analyze/target.h"
#include "../collect/snapshot.h"
#include "../config/config.h"

/* Order shared with struct mb_prom_guard (prom.h). */
enum mb_guard_cond {
        MB_GC_SWAP_USED,
        MB_GC_TARGET_RAM,
        MB_GC_AVAILABLE,
        MB_GC_PSI_FULL,
        MB_GC_COUNT
};
extern const char *const mb_guard_cond_names[MB_GC_COUNT];

enum mb_guard_action { MB_GA_LOG, MB_GA_HOOK, MB_GA_SIGNAL, MB_GA_COUNT };

/* What the guard looks at in one sample. */
struct mb_guard_obs {
        bool enabled[MB_GC_COUNT]; /* condition configured and measurable now */
        bool holds[MB_GC_COUNT];
        double value[MB_GC_COUNT]; /* bytes, or percent for psi_full */
        double threshold[MB_GC_COUNT];
};

/* Evaluate the conditions on a snapshot (pure). */
void mb_guard_observe(const struct mb_snapshot *s, const struct mb_target *tg,
                      const struct mb_config *c, struct mb_guard_obs *ret);

struct mb_guard {
        double since[MB_GC_COUNT]; /* monotonic start of the current episode; < 0 = not holding */
        double last_action;        /* monotonic time of the last round of actions; < 0 = never */
        unsigned long long events[MB_GC_COUNT];
        unsigned long long actions[MB_GA_COUNT];
};

void mb_guard_init(struct mb_guard *g);

/* One event: a condition that held long enough. */
struct mb_guard_event {
        enum mb_guard_cond cond;
        double value, threshold, held_s;
};

/* The decision for one sample. */
struct mb_guard_decision {
        struct mb_guard_event ev[MB_GC_COUNT];
        unsigned nev;      /* conditions due now */
        bool rate_limited; /* events were due but the rate limit held them back */
        double retry_in_s; /* when rate_limited: seconds until actions are allowed */
        bool act;          /* take the actions now (nev > 0 and not rate limited) */
        bool dry_run;
        bool log, hook, signal; /* which actions (from the config) */
};

/*
 * Advance the policy to time `now` (monotonic seconds) with one
 * observation.  Updates episode starts and, when act is set, last_action
 * and the counters.  Pure.
 */
void mb_guard_step(struct mb_guard *g, const struct mb_config *c, const struct mb_guard_obs *o,
                   double now, struct mb_guard_decision *ret);

/*
 * The victim: the non-excluded process with the largest RSS+swap whose
 * command line matches `kill_match` (NULL = none ever).  Returns its index
 * in t->p, or -1.  Excluded: pid <= 1, kernel threads (flag or empty
 * command line), zombies, self_pid.
 */
/* Who the guard may signal (issue 15.9). */
struct mb_guard_victim_rules {
        const regex_t *kill_match; /* NULL: nobody */
        int self_pid;              /* never it nor its ancestors (ppid chain in the table) */
        bool any_user;             /* guard.kill_user "*" */
        uint32_t uid;              /* else only this user's processes */
};

/*
 * The user guard.kill_user allows into r: "*" any, a user name, or ""
 * meaning the owner of the target's processes (the first MB_P_TARGET one in
 * t) when target.unit is set, else root.  0, or -ENOENT for an unknown user.
 */
int mb_guard_kill_rules(const struct mb_config *c, const struct mb_proctab *t,
                        struct mb_guard_victim_rules *r);

/*
 * The largest (RSS + swap) process that kill_match finds on its command
 * line, of an allowed user; never PID 1, kernel threads, zombies, processes
 * without a command line, self_pid or its ancestors.  Index in t or -1.
 */
int mb_guard_pick_victim(const struct mb_proctab *t, const struct mb_guard_victim_rules *r);

#endif
