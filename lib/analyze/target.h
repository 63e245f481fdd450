/*
 * target.h: the service the budget is for.  With target.match (a regex on
 * the whole command line) and/or target.unit (a systemd unit, found in the
 * process's cgroup path), the target is those processes and all their
 * descendants.  Its RAM is the sum of PSS where readable (RSS otherwise,
 * and says so), its swap the sum of SwapPss where readable (VmSwap
 * otherwise), its VRAM the sum of per-process GPU memory.
 */
#ifndef MB_TARGET_H
#define MB_TARGET_H

#include <regex.h>

#include "../collect/proc.h"

struct mb_target {
        bool configured; /* a match or unit was given */
        unsigned nprocs;
        int64_t ram; /* PSS (or RSS fallback) sum */
        int64_t swap;
        int64_t vram;          /* MB_UNKNOWN when no per-process GPU data */
        unsigned rss_fallback; /* processes counted by RSS: PSS unreadable */
        unsigned swap_fallback;
        /* Workers: the children of the target's parent process(es) (the
         * target's processes whose parent is not one of them); a target of
         * lone processes is its own workers.  The parent is left out. */
        unsigned nworkers;
        int64_t worker_median; /* median RSS+swap of a worker; MB_UNKNOWN: none */
        int64_t parents_mem;   /* RSS+swap of the parent(s) of the workers (0: none) */
};

/*
 * Mark MB_P_TARGET on the matching processes and their descendants
 * (zombies are not target processes: they hold no memory).
 * `match` may be NULL; `unit` may be NULL or "".  Needs the table scanned
 * with MB_SCAN_CMDLINE (and MB_SCAN_CGROUP for a unit).  Returns the count.
 */
unsigned mb_target_mark(struct mb_proctab *t, const regex_t *match, const char *unit, int self_pid);

/* How the target's RAM was counted, for the outputs: "PSS", or "RSS"
 * when some process's PSS was unreadable ("PSS+RSS" when mixed). */
const char *mb_target_ram_kind(const struct mb_target *tg);

/* target.user: unmark the processes of every other user (issue 15.9: a
 * local user's process whose arguments carry the pattern never counts).
 * NULL or "" keeps all; an unknown user unmarks all and gives -ENOENT. */
int mb_target_keep_user(struct mb_proctab *t, const char *user);

/* Sum the marked processes (call after PSS was read for them). */
void mb_target_sum(const struct mb_proctab *t, bool configured, struct mb_target *ret);

#endif
