/* limit.c: see limit.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/size.h"
#include "../util/util.h"
#include "limit.h"
#include "proclimits.h"
#include "run.h"
#include "sysctl.h"
#include "systemd.h"

static bool ends_with(const char *s, const char *suffix)
{
        size_t a = strlen(s), b = strlen(suffix);

        return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* What the unit uses now (bytes), from systemd or its cgroup; -1 unknown. */
static int64_t unit_usage(const char *sys_root, const char *unit, const char *props)
{
        const char *p = props ? strstr(props, "MemoryCurrent=") : NULL;
        struct mb_cgroup_fs fs;
        char dir[1400];
        int64_t v;

        if (p && p[14] >= '0' && p[14] <= '9')
                return strtoll(p + 14, NULL, 10);
        if (mb_cgroup_detect(sys_root, &fs) < 0)
                return -1;
        snprintf(dir, sizeof(dir), "%s/system.slice/%s", fs.mount, unit);
        if (mb_cgroup_read_i64(
                dir, fs.version == MB_CG_V2 ? "memory.current" : "memory.usage_in_bytes", &v) < 0)
                return -1;
        return v;
}

int mb_limit_unit_read(const char *name, const char *etc, const char *proc_root,
                       const char *sys_root, struct mb_limit_unit *ret)
{
        memset(ret, 0, sizeof(*ret));
        if (mb_unit_name(name, ret->unit, sizeof(ret->unit)) < 0)
                return -EINVAL;
        snprintf(ret->path, sizeof(ret->path), "%s/etc/systemd/system/%s.d/%s", etc ? etc : "",
                 ret->unit, MB_DROPIN_NAME);
        ret->dropin = mb_read_text(ret->path);
        ret->pid1 = mb_systemd_is_pid1(proc_root);
        if (ret->pid1)
                ret->have_props =
                    mb_systemd_unit_props(ret->unit, true, ret->props, sizeof(ret->props), ret->msg,
                                          sizeof(ret->msg)) == 0;
        if (ret->have_props)
                mb_systemd_control_dropins(ret->unit, ret->control, sizeof(ret->control));
        ret->usage = unit_usage(sys_root, ret->unit, ret->have_props ? ret->props : NULL);
        return 0;
}

void mb_limit_unit_release(struct mb_limit_unit *u)
{
        free(u->dropin);
        u->dropin = NULL;
}

int mb_limit_unit_plan(const struct mb_limit_unit *u, const struct mb_cg_limits *lim,
                       struct mb_plan *plan)
{
        /* the values before, without MemoryCurrent (a reading, not a setting) */
        const char *nl = u->have_props && !strncmp(u->props, "MemoryCurrent=", 14)
                             ? strchr(u->props, '\n')
                             : NULL;
        const char *props = u->have_props ? (nl ? nl + 1 : u->props) : NULL;
        char what[300], before[sizeof(u->props) + sizeof(u->control)];
        int r;

        /* and which of them had a runtime drop-in: undo keeps those */
        if (props)
                snprintf(before, sizeof(before), "%s%s", props, u->control);
        r = mb_systemd_limit_plan(u->unit, u->path, u->dropin, lim, u->pid1, props ? before : NULL,
                                  plan);
        if (r < 0)
                return r;
        snprintf(what, sizeof(what), "the unit %s", u->unit);
        return mb_limit_usage_note(plan, what, u->usage, lim->max);
}

bool mb_limit_scope_way(const struct mb_cgroup_fs *fs, bool systemd, bool capture)
{
        return systemd && !capture && mb_cgroup_pure_v2(fs);
}

int mb_limit_scope_of(const struct mb_cgroup_fs *fs, const char *name,
                      const struct mb_cg_limits *lim, struct mb_scope *sc, char *dir, size_t len)
{
        char n[128], d[300];
        int r;

        snprintf(n, sizeof(n), "match-%s", name);
        snprintf(d, sizeof(d), "membudget limit --match (group %s)", name);
        r = mb_scope_plan(n, "system.slice", d, lim, sc);
        if (r < 0)
                return r;
        snprintf(dir, len, "%.900s/system.slice/%s", fs->mount, sc->unit);
        return 0;
}

int mb_limit_match_read(struct mb_root *root, const char *proc_root, const char *sys_root,
                        bool systemd, const regex_t *re, bool has_uid, uint32_t uid,
                        const char *name, const struct mb_cg_limits *lim,
                        struct mb_limit_match *ret)
{
        int r;

        memset(ret, 0, sizeof(*ret));
        mb_proctab_init(&ret->tab);
        if (mb_cgroup_detect(sys_root, &ret->fs) < 0) {
                snprintf(ret->msg, sizeof(ret->msg),
                         "no cgroup memory controller under '%.900s/fs/cgroup' (neither v2 with "
                         "memory nor v1 memory)",
                         sys_root ? sys_root : "/sys");
                return -ENOENT;
        }
        r = mb_match_members(root, proc_root, &ret->fs, re, has_uid, uid, &ret->tab, &ret->ml);
        if (r < 0) {
                snprintf(ret->msg, sizeof(ret->msg), "cannot scan processes: %s", mb_strerror(r));
                return r;
        }
        ret->scope_way = mb_limit_scope_way(&ret->fs, systemd, sys_root || proc_root);
        if (ret->scope_way) {
                r = mb_limit_scope_of(&ret->fs, name, lim, &ret->scope, ret->dir, sizeof(ret->dir));
                if (r < 0) {
                        snprintf(ret->msg, sizeof(ret->msg), "invalid scope name for '%.64s'",
                                 name);
                        return r;
                }
        } else {
                mb_cgroup_dir(&ret->fs, name, ret->dir, sizeof(ret->dir));
        }
        ret->exists = access(ret->dir, F_OK) == 0;
        if (ret->exists && !ret->scope_way)
                mb_cgroup_values_read(&ret->fs, ret->dir, &ret->now);
        return 0;
}

void mb_limit_match_release(struct mb_limit_match *m)
{
        mb_proctab_release(&m->tab);
        free(m->ml.m);
        m->ml.m = NULL;
        m->ml.n = 0;
}

/* The scope's rows: its start with the properties, a move per member. */
static int scope_plan(const struct mb_limit_match *m, struct mb_plan *plan)
{
        char props[512], how[256];
        struct mb_change *c;

        if (m->ml.n == 0)
                return 0; /* a scope cannot start empty */
        mb_scope_props_text(&m->scope, props, sizeof(props));
        if (!m->exists) {
                snprintf(how, sizeof(how), "start transient scope (systemd): %.200s", props);
                c = mb_plan_add(plan, MB_ACT_UNIT_PROPS, m->scope.unit, NULL, props, how);
                if (!c)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < m->ml.n; i++) {
                char t[64];
                snprintf(t, sizeof(t), "pid %d", m->ml.m[i].pid);
                snprintf(how, sizeof(how), "%s %s (%.60s)",
                         m->exists ? "move into the existing scope" : "adopted by the scope",
                         m->scope.unit, m->ml.m[i].comm);
                c = mb_plan_add(plan, MB_ACT_CGROUP_MOVE, t, m->ml.m[i].from, m->dir, how);
                if (!c)
                        return -ENOMEM;
                c->pid = m->ml.m[i].pid;
                c->starttime = m->ml.m[i].starttime;
        }
        return mb_plan_note(plan,
                            "the systemd way: the processes go into the transient scope %s "
                            "(%s); release moves them back and systemd removes the empty scope",
                            m->scope.unit, props);
}

int mb_limit_match_plan(const struct mb_limit_match *m, const char *name, const char *match_s,
                        const struct mb_cg_limits *lim, uint32_t self, bool user_given, bool force,
                        struct mb_plan *plan)
{
        char what[64];
        int r;

        if (m->scope_way)
                r = scope_plan(m, plan);
        else
                r = mb_cgroup_limit_plan(&m->fs, name, lim, m->exists, &m->now, m->ml.m, m->ml.n,
                                         plan);
        if (r < 0)
                return r;
        if (m->ml.n == 0 &&
            mb_plan_note(plan, "no process matches '%s' now: %s", match_s,
                         m->scope_way ? "no scope is made (a scope needs a process)"
                                      : "the group gets its limits, nothing is moved") < 0)
                return -ENOMEM;
        mb_limit_match_policy(plan, m->ml.m, m->ml.n, self, user_given, force);
        snprintf(what, sizeof(what), "the %zu matching process%s", m->ml.n,
                 m->ml.n == 1 ? "" : "es");
        return mb_limit_usage_note(plan, what, mb_members_usage(&m->tab, &m->ml), lim->max);
}

bool mb_limit_plan_starts_scope(const struct mb_plan *plan)
{
        for (size_t i = 0; i < plan->n; i++)
                if (plan->c[i].action == MB_ACT_UNIT_PROPS && !plan->c[i].current &&
                    ends_with(plan->c[i].target, ".scope"))
                        return true;
        return false;
}

int mb_limit_scope_apply(struct mb_plan *plan, const struct mb_scope *sc, struct mb_apply_ctx *ctx,
                         enum mb_scope_way *way)
{
        pid_t *pids = calloc(plan->n + 1, sizeof(*pids));
        int *seqs = calloc(plan->n + 1, sizeof(*seqs));
        size_t *idx = calloc(plan->n + 1, sizeof(*idx));
        size_t n = 0, moved = 0;
        int r;

        *way = MB_SCOPE_NONE;
        ctx->applied = 0;
        if (!pids || !seqs || !idx) {
                r = -ENOMEM;
                snprintf(ctx->msg, sizeof(ctx->msg), "out of memory");
                goto out;
        }
        r = mb_plan_check(plan, geteuid() == 0, ctx->msg, sizeof(ctx->msg));
        if (r < 0)
                goto out;
        for (size_t i = 0; i < plan->n; i++) {
                struct mb_change *c = &plan->c[i];
                uint64_t st;
                if (c->action != MB_ACT_CGROUP_MOVE || c->noop)
                        continue;
                if (c->starttime &&
                    (mb_proc_starttime(ctx->proc_root, c->pid, &st) < 0 || st != c->starttime)) {
                        if (ctx->progress) {
                                char m[128];
                                snprintf(m, sizeof(m), "process %d is gone, skipping", c->pid);
                                ctx->progress(ctx->arg, m);
                        }
                        continue;
                }
                seqs[n] = -1;
                if (ctx->journal) {
                        r = seqs[n] = mb_journal_append(ctx->journal, c);
                        if (r < 0) {
                                snprintf(ctx->msg, sizeof(ctx->msg),
                                         "cannot write the journal '%s': %s", ctx->journal->path,
                                         mb_strerror(r));
                                n++;
                                goto undo;
                        }
                }
                idx[n] = i;
                pids[n++] = c->pid;
        }
        if (n == 0)
                goto out;
        r = mb_scope_start(sc, pids, n, way, ctx->msg, sizeof(ctx->msg));
        if (r < 0)
                goto undo;
        for (size_t k = 0; k < n; k++) {
                char cg[1024];
                if (mb_scope_wait(ctx->proc_root, pids[k], sc->unit, 5, cg, sizeof(cg)) == 0) {
                        plan->c[idx[k]].undoes_seq = seqs[k];
                        moved++;
                } else if (kill(pids[k], 0) == 0) {
                        r = -ETIMEDOUT;
                        snprintf(ctx->msg, sizeof(ctx->msg),
                                 "process %d did not appear in %s within 5 s", (int)pids[k],
                                 sc->unit);
                        goto undo;
                } else if (ctx->journal && seqs[k] >= 0) {
                        mb_journal_mark_undone(ctx->journal, ctx->journal->run, seqs[k]);
                }
        }
        ctx->applied = moved + 1;
        goto out;
undo:
        /* back where they were (those the scope took), records void */
        for (size_t k = 0; k < n; k++) {
                const struct mb_change *c = &plan->c[idx[k]];
                if (*way != MB_SCOPE_NONE && c->current)
                        (void)mb_cgroup_move(c->current, c->pid);
                if (ctx->journal && seqs[k] >= 0)
                        mb_journal_mark_undone(ctx->journal, ctx->journal->run, seqs[k]);
        }
out:
        free(pids);
        free(seqs);
        free(idx);
        return r < 0 ? r : 0;
}

int mb_limit_match_apply(struct mb_plan *plan, struct mb_apply_ctx *ctx, void *arg)
{
        struct mb_limit_match *m = arg;
        int r;

        if (!mb_limit_plan_starts_scope(plan))
                return mb_plan_apply(plan, ctx);
        r = mb_limit_scope_apply(plan, &m->scope, ctx, &m->way);
        m->started = r == 0 && m->way != MB_SCOPE_NONE;
        return r;
}

void mb_limit_release_dir(const struct mb_cgroup_fs *fs, const struct mb_journal_entries *all,
                          const char *name, char *dir, size_t len, bool *is_scope)
{
        char unit[300];

        snprintf(unit, sizeof(unit), "/membudget-match-%s.scope", name);
        for (size_t i = all->n; i-- > 0;) {
                const struct mb_change *c = &all->e[i].change;
                if (all->e[i].undone || c->action != MB_ACT_CGROUP_MOVE || !c->new_value ||
                    !ends_with(c->new_value, unit))
                        continue;
                mb_strlcpy(dir, c->new_value, len);
                *is_scope = true;
                return;
        }
        *is_scope = false;
        mb_cgroup_dir(fs, name, dir, len);
}

int mb_limit_release_read_plan(const char *etc, const char *sys_root, const char *proc_root,
                               const char *state_dir, const char *name, struct mb_plan *plan,
                               struct mb_limit_release *info)
{
        struct mb_journal_entries all = {0};
        struct mb_cgroup_fs fs;
        int *pids = NULL, r;
        size_t npids = 0;

        memset(info, 0, sizeof(*info));
        if (mb_cgroup_detect(sys_root, &fs) < 0) {
                snprintf(info->err.msg, sizeof(info->err.msg), "no cgroup memory controller found");
                return -ENODEV;
        }
        if ((r = mb_journal_read(state_dir, &all, &info->err)) < 0) {
                char m[sizeof(info->err.msg)];
                mb_strlcpy(m, info->err.msg, sizeof(m));
                snprintf(info->err.msg, sizeof(info->err.msg), "%.200s: %.300s", info->err.where,
                         m);
                return r;
        }
        if (all.skipped)
                snprintf(info->warning, sizeof(info->warning),
                         "%.1100s/%s:%d: %zu corrupt line%s skipped (not a journal record)",
                         state_dir, MB_JOURNAL_FILE, all.first_bad, all.skipped,
                         all.skipped == 1 ? "" : "s");
        mb_limit_release_dir(&fs, &all, name, info->dir, sizeof(info->dir), &info->scope);
        mb_cgroup_pids(info->dir, &pids, &npids);
        /* a scope is not removed by us: systemd removes it once empty */
        r = mb_release_plan(&all, info->dir, !info->scope && access(info->dir, F_OK) == 0, fs.mount,
                            pids, npids, plan);
        free(pids);
        if (r == -ENOENT)
                snprintf(info->err.msg, sizeof(info->err.msg),
                         "no group '%.64s' (%.400s) to release", name, info->dir);
        else if (r == -ENOMEM)
                snprintf(info->err.msg, sizeof(info->err.msg), "out of memory");
        if (r == 0 && info->scope &&
            mb_plan_note(plan, "the systemd way: the processes leave the transient scope; "
                               "systemd removes it when it is empty") < 0) {
                snprintf(info->err.msg, sizeof(info->err.msg), "out of memory");
                r = -ENOMEM;
        }
        if (r == 0)
                mb_undo_refuse_foreign(plan, etc ? etc : "", proc_root, sys_root);
        mb_journal_entries_release(&all);
        return r;
}

int mb_limit_show_read(struct mb_root *root, const char *proc_root, const char *sys_root,
                       const regex_t *re, struct mb_limit_show *ret)
{
        struct mb_cgroup_fs fsb;
        const struct mb_cgroup_fs *fs = mb_cgroup_detect(sys_root, &fsb) == 0 ? &fsb : NULL;
        struct mb_proctab tab;
        struct mb_member_list ml = {0};
        int r;

        memset(ret, 0, sizeof(*ret));
        mb_proctab_init(&tab);
        r = mb_match_members(root, proc_root, fs, re, false, 0, &tab, &ml);
        if (r == 0 && ml.n && !(ret->p = calloc(ml.n, sizeof(*ret->p))))
                r = -ENOMEM;
        for (size_t i = 0; r == 0 && i < ml.n; i++) {
                struct mb_limit_shown *s = &ret->p[ret->n++];
                s->pid = ml.m[i].pid;
                mb_strlcpy(s->comm, ml.m[i].comm, sizeof(s->comm));
                mb_strlcpy(s->from, ml.m[i].from, sizeof(s->from));
                if (fs)
                        mb_cgroup_values_read(fs, ml.m[i].from, &s->v);
                s->rlimit_as = mb_proc_rlimit_as(proc_root, s->pid);
                s->cuda = mb_proc_maps_cuda(proc_root, s->pid);
        }
        mb_proctab_release(&tab);
        free(ml.m);
        return r;
}

void mb_limit_show_release(struct mb_limit_show *s)
{
        free(s->p);
        s->p = NULL;
        s->n = 0;
}

bool mb_limit_shown_warning(const struct mb_limit_shown *p, char *buf, size_t len)
{
        char as[32];

        if (p->rlimit_as < 0 || p->rlimit_as == MB_UNKNOWN || p->cuda != 1)
                return false;
        snprintf(buf, len,
                 "process %d (%s) has RLIMIT_AS %s and CUDA libraries mapped: CUDA reserves huge "
                 "address ranges and fails under it; limit memory with cgroups instead",
                 p->pid, p->comm, mb_size_format(p->rlimit_as, as, sizeof(as)));
        return true;
}
