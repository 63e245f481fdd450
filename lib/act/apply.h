/*
 * apply.h: carrying out a plan (needs root), and undoing from the journal.
 *
 * mb_plan_apply() checks every change first (nothing refused, running as
 * root), then for each change appends its previous value to the journal
 * (fsynced) BEFORE making it, applies the changes in order, and on the
 * first failure reverts the ones already applied, in reverse order.
 */
#ifndef MB_APPLY_H
#define MB_APPLY_H

#include "journal.h"
#include "plan.h"

struct mb_apply_ctx {
        struct mb_journal *journal; /* NULL: not recorded (temporary changes) */
        const char *proc_root;      /* "/proc" when NULL: identity checks, meminfo */
        bool rollback;              /* revert applied changes on failure (not for undo) */
        /* Progress lines ("swapoff /swapfile: 1.2 GiB back in RAM"); may be NULL. */
        void (*progress)(void *arg, const char *msg);
        void *arg;
        char msg[4096]; /* why it failed */
        size_t applied; /* changes applied (and kept) */
};

/*
 * Can p be applied?  0; -ECANCELED when a change is refused (msg = its
 * reason); -EPERM when not root (msg = "needs root (CAP_SYS_ADMIN) to write
 * /proc/sys/vm/swappiness").
 */
int mb_plan_check(const struct mb_plan *p, bool is_root, char *msg, size_t len);

/* Apply; 0 or -errno with ctx->msg filled. */
int mb_plan_apply(struct mb_plan *p, struct mb_apply_ctx *ctx);

/* Perform one change (no journal).  0 or -errno with ctx->msg filled. */
int mb_change_do(const struct mb_change *c, struct mb_apply_ctx *ctx);

/* The change that reverts c (pure).  Changes that cannot be reverted
 * (drop caches, a finished swap cycle, a program run) come back as noop
 * with the reason in how.  0 or -ENOMEM. */
int mb_change_inverse(const struct mb_change *c, struct mb_plan *into);

/*
 * Undo plan from the journal (pure): the entries not yet undone, newest
 * first; only those of run `run` when non-NULL.  Each change carries
 * undoes_run/undoes_seq.  Returns the number of entries selected.
 */
int mb_undo_plan(const struct mb_journal_entries *e, const char *run, struct mb_plan *plan);

/* Refuse (mark refused, with the reason) every change of an undo plan
 * whose path membudget never writes (mb_journal_path_allowed).  Returns
 * how many were refused. */
size_t mb_undo_refuse_foreign(struct mb_plan *plan, const char *etc_root, const char *proc_root,
                              const char *sys_root);

/*
 * `limit --release` (pure): the undo plan of every journal entry not undone
 * that touched group dir (moves into it, its writes and creation), the
 * processes in it now that the journal does not know (pids: children
 * started there) moved where the first recorded one came from (else to
 * `root_dir`), and the group removed when it `exists`.  -ENOENT when the
 * group neither exists nor is in the journal; -ENOMEM.
 */
int mb_release_plan(const struct mb_journal_entries *all, const char *dir, bool exists,
                    const char *root_dir, const int *pids, size_t npids, struct mb_plan *plan);

/* The newest run that still has entries not undone; NULL when none. */
const char *mb_undo_last_run(const struct mb_journal_entries *e);

/* Identity of a live process: starttime from PROC/PID/stat; 0 or -errno. */
int mb_proc_starttime(const char *proc_root, int pid, uint64_t *ret);

#endif
