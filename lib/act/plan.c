/* plan.c: the change list shared by every action. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"
#include "plan.h"

const struct mb_action_kind mb_action_kinds[MB_ACT_COUNT] = {
    [MB_ACT_SYSCTL] = {"sysctl", MB_ACT_SYSCTL, "restore the previous value", true, false,
                       "root (CAP_SYS_ADMIN) to write %s"},
    [MB_ACT_FILE] = {"file", MB_ACT_FILE, "restore the previous file", true, false,
                     "root to write %s"},
    [MB_ACT_DROP_CACHES] = {"drop-caches", MB_ACT_DROP_CACHES,
                            "nothing to undo: dropped cache is re-read on demand", false, true,
                            "root (CAP_SYS_ADMIN) to write %s"},
    [MB_ACT_SWAP_CYCLE] = {"swap-cycle", MB_ACT_SWAP_CYCLE,
                           "nothing to undo: the swap area was switched back on", false, true,
                           "root (CAP_SYS_ADMIN) to swapoff/swapon %s"},
    [MB_ACT_CGROUP_CREATE] = {"cgroup-create", MB_ACT_CGROUP_REMOVE, "remove the group", false,
                              false, "root to create or remove cgroup %s"},
    [MB_ACT_CGROUP_REMOVE] = {"cgroup-remove", MB_ACT_CGROUP_CREATE, "create the group again",
                              false, false, "root to create or remove cgroup %s"},
    [MB_ACT_CGROUP_WRITE] = {"cgroup-write", MB_ACT_CGROUP_WRITE, "restore the previous value",
                             true, false, "root to write %s"},
    [MB_ACT_CGROUP_MOVE] = {"cgroup-move", MB_ACT_CGROUP_MOVE, "move the process back", true, false,
                            "root to move %s"},
    [MB_ACT_EXEC] = {"exec", MB_ACT_EXEC,
                     "nothing to undo for a program run (reload systemd after file changes)", false,
                     true, "root to run %s"},
    [MB_ACT_UNIT_PROPS] = {"unit-props", MB_ACT_UNIT_PROPS,
                           "set the previous values on the running unit, remove the runtime "
                           "control drop-ins, daemon-reload",
                           true, false, "root to set the properties of %s"},
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
        if ((unsigned)action < MB_ACT_COUNT && mb_action_kinds[action].compare)
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
        return (unsigned)a < MB_ACT_COUNT ? mb_action_kinds[a].name : "?";
}

int mb_action_from_name(const char *s)
{
        for (int i = 0; i < MB_ACT_COUNT; i++)
                if (s && !strcmp(s, mb_action_kinds[i].name))
                        return i;
        return -1;
}

void mb_change_privilege(const struct mb_change *c, char *buf, size_t len)
{
        char what[1100];

        if (c->action == MB_ACT_CGROUP_MOVE)
                snprintf(what, sizeof(what), "process %d into %s", c->pid,
                         c->new_value ? c->new_value : "?");
        else
                mb_strlcpy(what, c->target, sizeof(what));
        if ((unsigned)c->action >= MB_ACT_COUNT) {
                snprintf(buf, len, "root to change %s", what);
                return;
        }
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(buf, len, mb_action_kinds[c->action].privilege, what);
#pragma GCC diagnostic pop
}
