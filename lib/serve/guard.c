/* guard.c: see guard.h. */
#include <errno.h>

#include "../util/users.h"
#include "guard.h"

#include <string.h>

const char *const mb_guard_cond_names[MB_GC_COUNT] = {"swap_used", "target_ram", "available",
                                                      "psi_full"};

#define MIB (1024.0 * 1024.0)

void mb_guard_observe(const struct mb_snapshot *s, const struct mb_target *tg,
                      const struct mb_config *c, struct mb_guard_obs *o)
{
        memset(o, 0, sizeof(*o));
        if (c->guard_swap_used_mb >= 0) {
                o->enabled[MB_GC_SWAP_USED] = true;
                o->value[MB_GC_SWAP_USED] = (double)s->mem.swap_used;
                o->threshold[MB_GC_SWAP_USED] = (double)c->guard_swap_used_mb * MIB;
                o->holds[MB_GC_SWAP_USED] =
                    o->value[MB_GC_SWAP_USED] > o->threshold[MB_GC_SWAP_USED];
        }
        if (c->guard_target_over_ram && tg && tg->configured && tg->ram != MB_UNKNOWN) {
                o->enabled[MB_GC_TARGET_RAM] = true;
                o->value[MB_GC_TARGET_RAM] = (double)tg->ram;
                o->threshold[MB_GC_TARGET_RAM] = (double)c->ram_max_mb * MIB;
                o->holds[MB_GC_TARGET_RAM] =
                    o->value[MB_GC_TARGET_RAM] > o->threshold[MB_GC_TARGET_RAM];
        }
        if (c->guard_available_min_mb >= 0) {
                o->enabled[MB_GC_AVAILABLE] = true;
                o->value[MB_GC_AVAILABLE] = (double)s->mem.available;
                o->threshold[MB_GC_AVAILABLE] = (double)c->guard_available_min_mb * MIB;
                o->holds[MB_GC_AVAILABLE] =
                    o->value[MB_GC_AVAILABLE] < o->threshold[MB_GC_AVAILABLE];
        }
        if (c->guard_psi_full_avg10 >= 0 && s->have_psi && s->psi.have_full) {
                o->enabled[MB_GC_PSI_FULL] = true;
                o->value[MB_GC_PSI_FULL] = s->psi.full.avg10;
                o->threshold[MB_GC_PSI_FULL] = c->guard_psi_full_avg10;
                o->holds[MB_GC_PSI_FULL] = o->value[MB_GC_PSI_FULL] > o->threshold[MB_GC_PSI_FULL];
        }
}

void mb_guard_init(struct mb_guard *g)
{
        memset(g, 0, sizeof(*g));
        for (int i = 0; i < MB_GC_COUNT; i++)
                g->since[i] = -1;
        g->last_action = -1;
}

void mb_guard_step(struct mb_guard *g, const struct mb_config *c, const struct mb_guard_obs *o,
                   double now, struct mb_guard_decision *d)
{
        memset(d, 0, sizeof(*d));
        d->dry_run = c->guard_dry_run;
        d->log = c->guard_action_log;
        d->hook = c->guard_hook[0] != NULL;
        d->signal = c->guard_kill_match[0] != '\0';

        for (int i = 0; i < MB_GC_COUNT; i++) {
                if (!c->guard_enabled || !o->enabled[i] || !o->holds[i]) {
                        g->since[i] = -1;
                        continue;
                }
                if (g->since[i] < 0)
                        g->since[i] = now;
                if (now - g->since[i] + 1e-9 >= c->guard_for_s) {
                        struct mb_guard_event *e = &d->ev[d->nev++];
                        e->cond = (enum mb_guard_cond)i;
                        e->value = o->value[i];
                        e->threshold = o->threshold[i];
                        e->held_s = now - g->since[i];
                }
        }
        if (d->nev == 0)
                return;
        if (g->last_action >= 0 && now - g->last_action < c->guard_rate_limit_s) {
                d->rate_limited = true;
                d->retry_in_s = c->guard_rate_limit_s - (now - g->last_action);
                return;
        }
        d->act = true;
        g->last_action = now;
        for (unsigned i = 0; i < d->nev; i++)
                g->events[d->ev[i].cond]++;
        /* The log action is always taken (a dry run is its log); the others
         * are counted as taken or, in a dry run, as described. */
        g->actions[MB_GA_LOG]++;
        if (d->hook)
                g->actions[MB_GA_HOOK]++;
        if (d->signal)
                g->actions[MB_GA_SIGNAL]++;
}

int mb_guard_kill_rules(const struct mb_config *c, const struct mb_proctab *t,
                        struct mb_guard_victim_rules *r)
{
        uid_t uid;

        r->any_user = false;
        r->uid = 0;
        if (!strcmp(c->guard_kill_user, "*")) {
                r->any_user = true;
                return 0;
        }
        if (c->guard_kill_user[0]) {
                if (mb_user_lookup(c->guard_kill_user, &uid) < 0)
                        return -ENOENT;
                r->uid = (uint32_t)uid;
                return 0;
        }
        if (c->target_unit[0])
                for (size_t i = 0; i < t->n; i++)
                        if (t->p[i].flags & MB_P_TARGET) {
                                r->uid = t->p[i].uid;
                                break;
                        }
        return 0;
}

/* Is pid membudget itself or one of its ancestors (timeout, runuser, a
 * shell)?  Signalling them would kill the guard. */
static bool is_self_or_ancestor(const struct mb_proctab *t, int self, int pid)
{
        for (int cur = self, hops = 0; cur > 1 && hops < 256; hops++) {
                int ppid = 0;
                if (cur == pid)
                        return true;
                for (size_t i = 0; i < t->n; i++)
                        if (t->p[i].pid == cur) {
                                ppid = t->p[i].ppid;
                                break;
                        }
                cur = ppid;
        }
        return false;
}

int mb_guard_pick_victim(const struct mb_proctab *t, const struct mb_guard_victim_rules *r)
{
        int best = -1;
        int64_t best_v = -1;

        if (!r || !r->kill_match)
                return -1;
        for (size_t i = 0; i < t->n; i++) {
                const struct mb_proc *p = &t->p[i];
                const char *cl = mb_proc_str(t, p->cmdline);
                int64_t v;

                if (p->pid <= 1 || p->pid == r->self_pid)
                        continue;
                if (p->flags & (MB_P_KTHREAD | MB_P_ZOMBIE) || p->state == 'Z' || !*cl)
                        continue;
                if (!r->any_user && p->uid != r->uid)
                        continue;
                if (regexec(r->kill_match, cl, 0, NULL, 0) != 0)
                        continue;
                v = mb_proc_rss_swap(p);
                if (v > best_v && !is_self_or_ancestor(t, r->self_pid, p->pid)) {
                        best_v = v;
                        best = (int)i;
                }
        }
        return best;
}
