/* apply.c: check, journal, apply in order, roll back on failure; undo from the journal. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../collect/proc.h"
#include "apply.h"
#include "cgroup.h"
#include "swap.h"
#include "sysctl.h"
#include "systemd.h"

int mb_plan_check(const struct mb_plan *p, bool is_root, char *msg, size_t len)
{
        for (size_t i = 0; i < p->n; i++)
                if (p->c[i].refused) {
                        snprintf(msg, len, "%s", p->c[i].reason);
                        return -ECANCELED;
                }
        if (is_root)
                return 0;
        for (size_t i = 0; i < p->n; i++)
                if (!p->c[i].noop) {
                        char priv[1400];
                        mb_change_privilege(&p->c[i], priv, sizeof(priv));
                        snprintf(msg, len, "needs %s", priv);
                        return -EPERM;
                }
        return 0;
}

int mb_proc_starttime(const char *proc_root, int pid, uint64_t *ret)
{
        struct mb_buf b = MB_BUF_INIT;
        struct mb_proc p;
        char path[256];
        int fd, r;

        snprintf(path, sizeof(path), "%s/%d/stat", proc_root ? proc_root : "/proc", pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = (int)mb_pread_all(fd, &b);
        close(fd);
        if (r >= 0) {
                memset(&p, 0, sizeof(p));
                r = mb_stat_parse(b.data ? b.data : "", b.len, &p);
                if (r == 0)
                        *ret = p.starttime;
        }
        mb_buf_release(&b);
        return r;
}

static void progress(struct mb_apply_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void progress(struct mb_apply_ctx *ctx, const char *fmt, ...)
{
        char buf[1024];
        va_list ap;

        if (!ctx->progress)
                return;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        ctx->progress(ctx->arg, buf);
}

static int do_file(const struct mb_change *c)
{
        char dir[1024];
        int r;

        if (!c->new_value) {
                if (unlink(c->target) < 0 && errno != ENOENT)
                        return -errno;
                return 0;
        }
        mb_strlcpy(dir, c->target, sizeof(dir));
        r = mb_mkdir_p(dirname(dir), 0755);
        if (r < 0)
                return r;
        return mb_write_file_atomic(c->target, c->new_value, strlen(c->new_value), 0644);
}

static int do_move(const struct mb_change *c, struct mb_apply_ctx *ctx)
{
        uint64_t st;
        int r;

        if (c->starttime) {
                r = mb_proc_starttime(ctx->proc_root, c->pid, &st);
                if (r < 0 || st != c->starttime) {
                        progress(ctx, "process %d is gone, skipping", c->pid);
                        return 0;
                }
        }
        if (!c->new_value)
                return -EINVAL;
        r = mb_cgroup_move(c->new_value, c->pid);
        if (r == -ESRCH) {
                progress(ctx, "process %d is gone, skipping", c->pid);
                return 0;
        }
        return r;
}

static int do_exec(const struct mb_change *c, struct mb_apply_ctx *ctx)
{
        char buf[1024], *argv[32];
        size_t n = 0;

        mb_strlcpy(buf, c->new_value ? c->new_value : "", sizeof(buf));
        for (char *sv, *s = strtok_r(buf, "\n", &sv); s && n + 1 < MB_ARRAY_SIZE(argv);
             s = strtok_r(NULL, "\n", &sv))
                argv[n++] = s;
        argv[n] = NULL;
        if (n == 0)
                return -EINVAL;
        return mb_run_argv(argv, ctx->msg, sizeof(ctx->msg));
}

int mb_change_do(const struct mb_change *c, struct mb_apply_ctx *ctx)
{
        int r = 0;

        ctx->msg[0] = '\0';
        switch (c->action) {
        case MB_ACT_SYSCTL:
                r = mb_sysctl_write(c->target, c->new_value ? c->new_value : "");
                break;
        case MB_ACT_FILE:
                r = do_file(c);
                break;
        case MB_ACT_DROP_CACHES:
                sync();
                r = mb_sysctl_write(c->target, c->new_value ? c->new_value : "3");
                break;
        case MB_ACT_SWAP_CYCLE:
                return mb_swap_cycle_do(c, ctx->proc_root, ctx->progress, ctx->arg, ctx->msg,
                                        sizeof(ctx->msg));
        case MB_ACT_CGROUP_CREATE:
                r = mb_cgroup_create(c->target);
                break;
        case MB_ACT_CGROUP_REMOVE:
                r = mb_cgroup_remove(c->target);
                break;
        case MB_ACT_CGROUP_WRITE:
                r = mb_cgroup_write(c->target, c->new_value ? c->new_value : "");
                if (r == -EINVAL && strstr(c->target, "/memory.move_charge_at_immigrate")) {
                        /* removed from recent kernels: say what that means */
                        progress(ctx,
                                 "this kernel no longer moves charges (%s refused): the "
                                 "moved processes' pages stay charged to their old group; "
                                 "only new allocations count against the limit",
                                 c->target);
                        r = 0;
                }
                break;
        case MB_ACT_CGROUP_MOVE:
                r = do_move(c, ctx);
                break;
        case MB_ACT_EXEC:
                r = do_exec(c, ctx);
                if (r < 0)
                        return r;
                break;
        case MB_ACT_UNIT_PROPS:
                return mb_systemd_set_props(c->target, c->new_value ? c->new_value : "", c->restore,
                                            ctx->msg, sizeof(ctx->msg));
        default:
                r = -EINVAL;
        }
        if (r < 0 && !ctx->msg[0]) {
                if (c->action == MB_ACT_CGROUP_MOVE)
                        snprintf(ctx->msg, sizeof(ctx->msg), "cannot move %s into '%s': %s",
                                 c->target, c->new_value ? c->new_value : "?", mb_strerror(r));
                else if (c->action == MB_ACT_CGROUP_REMOVE && (r == -EBUSY || r == -ENOTEMPTY))
                        snprintf(ctx->msg, sizeof(ctx->msg),
                                 "cannot remove '%s': it still has processes or children",
                                 c->target);
                else
                        snprintf(ctx->msg, sizeof(ctx->msg), "cannot %s '%s': %s",
                                 c->action == MB_ACT_CGROUP_CREATE   ? "create"
                                 : c->action == MB_ACT_CGROUP_REMOVE ? "remove"
                                                                     : "write",
                                 c->target, mb_strerror(r));
        }
        return r;
}

int mb_change_inverse(const struct mb_change *c, struct mb_plan *into)
{
        const struct mb_action_kind *k;
        struct mb_change *x;
        const char *how;

        if ((unsigned)c->action >= MB_ACT_COUNT)
                return -EINVAL;
        k = &mb_action_kinds[c->action];
        how = k->undo_how;
        if (c->action == MB_ACT_FILE && !c->current)
                how = "remove the file";
        x = mb_plan_add(into, k->inverse, c->target, c->new_value, c->current, how);
        if (!x)
                return -ENOMEM;
        x->pid = c->pid;
        x->starttime = c->starttime;
        x->prio = c->prio;
        x->restore = c->action == MB_ACT_UNIT_PROPS;
        if (k->irreversible)
                x->noop = true;
        if (c->action == MB_ACT_CGROUP_WRITE && !c->current)
                x->noop = true; /* a controller switched on is left on */
        if (c->action == MB_ACT_UNIT_PROPS && !c->current)
                x->noop = true; /* the values before are unknown */
        return 0;
}

static void rollback(struct mb_plan *p, size_t upto, struct mb_apply_ctx *ctx)
{
        for (size_t k = upto; k-- > 0;) {
                struct mb_change *c = &p->c[k];
                struct mb_plan inv;
                char saved[4096];

                if (c->noop || c->refused)
                        continue;
                mb_plan_init(&inv);
                if (mb_change_inverse(c, &inv) == 0 && !inv.c[0].noop) {
                        mb_strlcpy(saved, ctx->msg, sizeof(saved));
                        if (mb_change_do(&inv.c[0], ctx) == 0) {
                                progress(ctx, "rolled back: %s %s", mb_action_name(c->action),
                                         c->target);
                                if (ctx->journal && c->undoes_seq >= 0)
                                        mb_journal_mark_undone(ctx->journal, ctx->journal->run,
                                                               c->undoes_seq);
                        } else {
                                progress(ctx, "could not roll back %s %s: %s",
                                         mb_action_name(c->action), c->target, ctx->msg);
                        }
                        mb_strlcpy(ctx->msg, saved, sizeof(ctx->msg));
                }
                mb_plan_release(&inv);
        }
}

int mb_plan_apply(struct mb_plan *p, struct mb_apply_ctx *ctx)
{
        int r;

        ctx->applied = 0;
        r = mb_plan_check(p, geteuid() == 0, ctx->msg, sizeof(ctx->msg));
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n; i++) {
                struct mb_change *c = &p->c[i];
                int seq = -1;

                if (c->noop) {
                        if (ctx->journal && c->undoes_seq >= 0)
                                mb_journal_mark_undone(ctx->journal, c->undoes_run, c->undoes_seq);
                        continue;
                }
                if (ctx->journal) {
                        r = c->undoes_seq >= 0
                                ? mb_journal_mark_undone(ctx->journal, c->undoes_run, c->undoes_seq)
                                : (seq = mb_journal_append(ctx->journal, c));
                        if (r < 0) {
                                snprintf(ctx->msg, sizeof(ctx->msg),
                                         "cannot write the journal '%s': %s", ctx->journal->path,
                                         mb_strerror(r));
                                if (ctx->rollback)
                                        rollback(p, i, ctx);
                                return r;
                        }
                }
                r = mb_change_do(c, ctx);
                if (r < 0) {
                        /* the change did not happen: its journal record is void */
                        if (ctx->journal && seq >= 0)
                                mb_journal_mark_undone(ctx->journal, ctx->journal->run, seq);
                        if (ctx->rollback)
                                rollback(p, i, ctx);
                        return r;
                }
                /* remember the record so a rollback can mark it */
                if (seq >= 0)
                        c->undoes_seq = seq;
                ctx->applied++;
        }
        return 0;
}

size_t mb_undo_refuse_foreign(struct mb_plan *plan, const char *etc_root, const char *proc_root,
                              const char *sys_root)
{
        size_t n = 0;

        for (size_t i = 0; i < plan->n; i++) {
                struct mb_change *c = &plan->c[i];
                if (c->noop || mb_journal_path_allowed(c, etc_root, proc_root, sys_root))
                        continue;
                c->refused = true;
                snprintf(c->reason, sizeof(c->reason),
                         "the journal names '%.300s', which membudget never writes: the journal "
                         "was edited by someone else; nothing changed",
                         c->target);
                n++;
        }
        return n;
}

const char *mb_undo_last_run(const struct mb_journal_entries *e)
{
        for (size_t i = e->n; i-- > 0;)
                if (!e->e[i].undone)
                        return e->e[i].run;
        return NULL;
}

int mb_undo_plan(const struct mb_journal_entries *e, const char *run, struct mb_plan *plan)
{
        int k = 0;

        for (size_t i = e->n; i-- > 0;) {
                const struct mb_journal_entry *x = &e->e[i];
                struct mb_change *c;

                if (x->undone || (run && strcmp(run, x->run)))
                        continue;
                if (mb_change_inverse(&x->change, plan) < 0)
                        return -ENOMEM;
                c = &plan->c[plan->n - 1];
                mb_strlcpy(c->undoes_run, x->run, sizeof(c->undoes_run));
                c->undoes_seq = x->seq;
                k++;
        }
        return k;
}

static bool in_dir(const char *path, const char *dir)
{
        size_t n = strlen(dir);

        return path && !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

int mb_release_plan(const struct mb_journal_entries *all, const char *dir, bool exists,
                    const char *root_dir, const int *pids, size_t npids, struct mb_plan *plan)
{
        struct mb_journal_entries sel = {0};
        const char *back = NULL;
        bool removes = false;
        int r = 0;

        sel.e = calloc(all->n + 1, sizeof(*sel.e));
        if (!sel.e)
                return -ENOMEM;
        for (size_t i = 0; i < all->n; i++) {
                const struct mb_change *c = &all->e[i].change;
                bool hit = c->action == MB_ACT_CGROUP_MOVE ? in_dir(c->new_value, dir)
                                                           : in_dir(c->target, dir);
                if (!hit || all->e[i].undone)
                        continue;
                sel.e[sel.n++] = all->e[i]; /* shared with `all`: not released here */
                if (c->action == MB_ACT_CGROUP_MOVE && !back)
                        back = c->current;
        }
        if (!exists && sel.n == 0) {
                free(sel.e);
                return -ENOENT;
        }
        for (size_t i = 0; i < npids; i++) {
                bool known = false;
                for (size_t k = 0; k < sel.n; k++)
                        if (sel.e[k].change.action == MB_ACT_CGROUP_MOVE &&
                            sel.e[k].change.pid == pids[i])
                                known = true;
                if (!known) {
                        char t[64];
                        struct mb_change *c;
                        snprintf(t, sizeof(t), "pid %d", pids[i]);
                        c = mb_plan_add(plan, MB_ACT_CGROUP_MOVE, t, dir, back ? back : root_dir,
                                        "started inside the group: moved out with it");
                        if (!c) {
                                r = -ENOMEM;
                                goto out;
                        }
                        c->pid = pids[i];
                }
        }
        if (mb_undo_plan(&sel, NULL, plan) < 0) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < plan->n; i++)
                removes |= plan->c[i].action == MB_ACT_CGROUP_REMOVE;
        if (exists && !removes &&
            !mb_plan_add(plan, MB_ACT_CGROUP_REMOVE, dir, "present", NULL, "remove the group"))
                r = -ENOMEM;
out:
        free(sel.e);
        return r;
}
