/* plan.c: the change list shared by every action. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"
#include "plan.h"

static const char *const action_names[MB_ACT_COUNT] = {
    [MB_ACT_SYSCTL] = "sysctl",
    [MB_ACT_FILE] = "file",
    [MB_ACT_DROP_CACHES] = "drop-caches",
    [MB_ACT_SWAP_CYCLE] = "swap-cycle",
    [MB_ACT_CGROUP_CREATE] = "cgroup-create",
    [MB_ACT_CGROUP_REMOVE] = "cgroup-remove",
    [MB_ACT_CGROUP_WRITE] = "cgroup-write",
    [MB_ACT_CGROUP_MOVE] = "cgroup-move",
    [MB_ACT_EXEC] = "exec",
};

void mb_plan_init(struct mb_plan *p)
{
        memset(p, 0, sizeof(*p));
}

void mb_plan_release(struct mb_plan *p)
{
        for (size_t i = 0; i < p->n; i++) {
                free(p->c[i].current);
                free(p->c[i].new_value);
        }
        free(p->c);
        for (size_t i = 0; i < p->nnotes; i++)
                free(p->notes[i]);
        free(p->notes);
        memset(p, 0, sizeof(*p));
}

static bool same(const char *a, const char *b)
{
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

struct mb_change *mb_plan_add(struct mb_plan *p, enum mb_action action, const char *target,
                              const char *current, const char *new_value, const char *how)
{
        struct mb_change *c;

        if (MB_GROW(p->c, p->n, p->cap, 8) < 0)
                return NULL;
        c = &p->c[p->n];
        memset(c, 0, sizeof(*c));
        c->action = action;
        c->prio = -1;
        c->undoes_seq = -1;
        mb_strlcpy(c->target, target ? target : "", sizeof(c->target));
        mb_strlcpy(c->how, how ? how : "", sizeof(c->how));
        if (current && !(c->current = strdup(current)))
                return NULL;
        if (new_value && !(c->new_value = strdup(new_value))) {
                free(c->current);
                return NULL;
        }
        if (action == MB_ACT_SYSCTL || action == MB_ACT_FILE || action == MB_ACT_CGROUP_WRITE ||
            action == MB_ACT_CGROUP_MOVE)
                c->noop = same(current, new_value);
        p->n++;
        return c;
}

int mb_plan_note(struct mb_plan *p, const char *fmt, ...)
{
        char **n = realloc(p->notes, (p->nnotes + 1) * sizeof(*n));
        va_list ap;
        int r;

        if (!n)
                return -ENOMEM;
        p->notes = n;
        va_start(ap, fmt);
        r = vasprintf(&n[p->nnotes], fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        p->nnotes++;
        return 0;
}

size_t mb_plan_todo(const struct mb_plan *p)
{
        size_t k = 0;

        for (size_t i = 0; i < p->n; i++)
                if (!p->c[i].noop && !p->c[i].refused)
                        k++;
        return k;
}

size_t mb_plan_refused(const struct mb_plan *p)
{
        size_t k = 0;

        for (size_t i = 0; i < p->n; i++)
                if (p->c[i].refused)
                        k++;
        return k;
}

const char *mb_action_name(enum mb_action a)
{
        return (unsigned)a < MB_ACT_COUNT ? action_names[a] : "?";
}

int mb_action_from_name(const char *s)
{
        for (int i = 0; i < MB_ACT_COUNT; i++)
                if (s && !strcmp(s, action_names[i]))
                        return i;
        return -1;
}

void mb_change_privilege(const struct mb_change *c, char *buf, size_t len)
{
        switch (c->action) {
        case MB_ACT_SYSCTL:
        case MB_ACT_DROP_CACHES:
                snprintf(buf, len, "root (CAP_SYS_ADMIN) to write %s", c->target);
                break;
        case MB_ACT_SWAP_CYCLE:
                snprintf(buf, len, "root (CAP_SYS_ADMIN) to swapoff/swapon %s", c->target);
                break;
        case MB_ACT_CGROUP_CREATE:
        case MB_ACT_CGROUP_REMOVE:
                snprintf(buf, len, "root to create or remove cgroup %s", c->target);
                break;
        case MB_ACT_CGROUP_MOVE:
                snprintf(buf, len, "root to move process %d into %s", c->pid,
                         c->new_value ? c->new_value : "?");
                break;
        case MB_ACT_EXEC:
                snprintf(buf, len, "root to run %s", c->target);
                break;
        default:
                snprintf(buf, len, "root to write %s", c->target);
                break;
        }
}
