/* target.c: see target.h. */
#include <errno.h>

#include "../util/users.h"
#include "target.h"

#include <stdlib.h>
#include <string.h>

/* Is `unit` the last component of a cgroup path, or a component of it? */
static bool path_has_unit(const char *path, const char *unit)
{
        size_t n = strlen(unit);

        for (const char *p = strstr(path, unit); p; p = strstr(p + 1, unit))
                if (p > path && p[-1] == '/' && (p[n] == '\0' || p[n] == '/'))
                        return true;
        return false;
}

static int cmp_int(const void *a, const void *b)
{
        int x = *(const int *)a, y = *(const int *)b;

        return (x > y) - (x < y);
}

unsigned mb_target_mark(struct mb_proctab *t, const regex_t *match, const char *unit, int self_pid)
{
        int *pids;
        unsigned count = 0;
        bool changed = true;
        size_t npids = 0;

        for (size_t i = 0; i < t->n; i++) {
                struct mb_proc *p = &t->p[i];
                bool hit = false;

                p->flags &= ~(unsigned)MB_P_TARGET;
                if (p->pid == self_pid || (p->flags & (MB_P_KTHREAD | MB_P_ZOMBIE)))
                        continue;
                if (match) {
                        const char *cl = mb_proc_cmdline(t, p);
                        hit = regexec(match, *cl ? cl : p->name, 0, NULL, 0) == 0;
                }
                if (!hit && unit && *unit)
                        hit = path_has_unit(mb_proc_str(t, p->cg_sd), unit) ||
                              path_has_unit(mb_proc_str(t, p->cg_v2), unit) ||
                              path_has_unit(mb_proc_str(t, p->cg_mem), unit);
                if (hit)
                        p->flags |= MB_P_TARGET;
        }
        /* Descendants: propagate along ppid until nothing changes.  A sorted
         * pid list of marked processes makes each pass O(n log n). */
        pids = malloc((t->n ? t->n : 1) * sizeof(*pids));
        if (!pids)
                return 0;
        while (changed) {
                changed = false;
                npids = 0;
                for (size_t i = 0; i < t->n; i++)
                        if (t->p[i].flags & MB_P_TARGET)
                                pids[npids++] = t->p[i].pid;
                qsort(pids, npids, sizeof(*pids), cmp_int);
                for (size_t i = 0; i < t->n; i++) {
                        struct mb_proc *p = &t->p[i];
                        if ((p->flags & (MB_P_TARGET | MB_P_KTHREAD | MB_P_ZOMBIE)) ||
                            p->pid == self_pid)
                                continue;
                        if (bsearch(&p->ppid, pids, npids, sizeof(*pids), cmp_int)) {
                                p->flags |= MB_P_TARGET;
                                changed = true;
                        }
                }
        }
        free(pids);
        for (size_t i = 0; i < t->n; i++)
                if (t->p[i].flags & MB_P_TARGET)
                        count++;
        return count;
}

static int cmp_i64(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

        return (x > y) - (x < y);
}

static int cmp_pid(const void *a, const void *b)
{
        return cmp_int(a, b);
}

/* Median RSS+swap of the workers (target.h); `mem` has room for t->n. */
static void target_workers(const struct mb_proctab *t, int64_t *mem, struct mb_target *ret)
{
        int *tpids = malloc((t->n ? t->n : 1) * sizeof(*tpids)), *roots;
        size_t nt = 0, nroots = 0;
        unsigned n = 0;

        if (!tpids)
                return;
        for (size_t i = 0; i < t->n; i++)
                if (t->p[i].flags & MB_P_TARGET)
                        tpids[nt++] = t->p[i].pid;
        qsort(tpids, nt, sizeof(*tpids), cmp_pid);
        roots = malloc((nt ? nt : 1) * sizeof(*roots));
        if (!roots) {
                free(tpids);
                return;
        }
        /* the parents: target processes whose parent is not a target process */
        for (size_t i = 0; i < t->n; i++) {
                const struct mb_proc *p = &t->p[i];
                if ((p->flags & MB_P_TARGET) &&
                    !bsearch(&p->ppid, tpids, nt, sizeof(*tpids), cmp_pid))
                        roots[nroots++] = p->pid;
        }
        qsort(roots, nroots, sizeof(*roots), cmp_pid);
        for (size_t i = 0; i < t->n; i++) {
                const struct mb_proc *p = &t->p[i];
                if ((p->flags & MB_P_TARGET) &&
                    bsearch(&p->ppid, roots, nroots, sizeof(*roots), cmp_pid))
                        mem[n++] = mb_proc_rss_swap(p);
        }
        if (n) /* the parents count beside the workers, not among them */
                for (size_t i = 0; i < t->n; i++)
                        if ((t->p[i].flags & MB_P_TARGET) &&
                            bsearch(&t->p[i].pid, roots, nroots, sizeof(*roots), cmp_pid))
                                ret->parents_mem += mb_proc_rss_swap(&t->p[i]);
        if (!n) /* lone processes: each one is a worker */
                for (size_t i = 0; i < t->n; i++)
                        if (t->p[i].flags & MB_P_TARGET)
                                mem[n++] = mb_proc_rss_swap(&t->p[i]);
        ret->nworkers = n;
        if (n) {
                qsort(mem, n, sizeof(*mem), cmp_i64);
                ret->worker_median = n % 2 ? mem[n / 2] : (mem[n / 2 - 1] + mem[n / 2]) / 2;
        }
        free(roots);
        free(tpids);
}

void mb_target_sum(const struct mb_proctab *t, bool configured, struct mb_target *ret)
{
        int64_t *mem = malloc((t->n ? t->n : 1) * sizeof(*mem));
        bool any_gpu = false;

        memset(ret, 0, sizeof(*ret));
        ret->configured = configured;
        ret->vram = 0;
        ret->worker_median = MB_UNKNOWN;
        for (size_t i = 0; i < t->n; i++) {
                const struct mb_proc *p = &t->p[i];
                int64_t ram, swap;

                if (!(p->flags & MB_P_TARGET))
                        continue;
                ram = p->pss;
                if (ram == MB_UNKNOWN) {
                        ram = p->rss == MB_UNKNOWN ? 0 : p->rss;
                        ret->rss_fallback++;
                }
                swap = p->swappss;
                if (swap == MB_UNKNOWN) {
                        swap = p->swap == MB_UNKNOWN ? 0 : p->swap;
                        ret->swap_fallback++;
                }
                ret->ram += ram;
                ret->swap += swap;
                if (p->gpu != MB_UNKNOWN) {
                        ret->vram += p->gpu;
                        any_gpu = true;
                }
                ret->nprocs++;
        }
        if (!any_gpu)
                ret->vram = MB_UNKNOWN;
        if (mem && ret->nprocs)
                target_workers(t, mem, ret);
        free(mem);
}

const char *mb_target_ram_kind(const struct mb_target *tg)
{
        if (!tg->rss_fallback)
                return "PSS";
        return tg->rss_fallback >= tg->nprocs ? "RSS" : "PSS+RSS";
}

int mb_target_keep_user(struct mb_proctab *t, const char *user)
{
        uid_t uid = (uid_t)-1;
        int r = 0;

        if (!user || !*user)
                return 0;
        if (mb_user_lookup(user, &uid) < 0)
                r = -ENOENT;
        for (size_t i = 0; i < t->n; i++)
                if (r < 0 || t->p[i].uid != (uint32_t)uid)
                        t->p[i].flags &= ~(unsigned)MB_P_TARGET;
        return r;
}
