/* swap.c: see swap.h. */
#include "swap.h"

#include "../analyze/procsel.h"

void mb_swap_reconcile(const struct mb_snapshot *all, struct mb_swap_reconcile *rc)
{
        int64_t used = 0;

        for (size_t i = 0; i < all->swaps.n; i++)
                used += (int64_t)all->swaps.dev[i].used;
        if (all->swaps.n == 0)
                used = (int64_t)all->mem.swap_used;
        rc->used = used;
        rc->procs = mb_procs_sum(&all->procs, MB_COL_SWAP, NULL);
        rc->cached = (int64_t)all->mem.swap_cached;
        rc->rest = used - rc->procs - rc->cached;
}

int64_t mb_swap_narrow(struct mb_snapshot *s, int64_t min, const regex_t *re, size_t top)
{
        int64_t sum = 0;
        size_t n = 0;

        for (size_t i = 0; i < s->procs.n; i++) {
                const struct mb_proc *p = &s->procs.p[i];
                if (p->swap == MB_UNKNOWN || p->swap < (min > 0 ? min : 1))
                        continue;
                if (re) {
                        const char *cl = mb_proc_cmdline(&s->procs, p);
                        if (regexec(re, *cl ? cl : p->name, 0, NULL, 0) != 0)
                                continue;
                }
                s->procs.p[n++] = *p;
        }
        s->procs.n = n;
        mb_procs_sort(&s->procs, MB_COL_SWAP);
        if (top && top < n)
                n = s->procs.n = top;
        for (size_t i = 0; i < n; i++)
                sum += s->procs.p[i].swap;
        return sum;
}
