/* swap.c: guarded swapoff/swapon cycle, device by device. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/swap.h>
#include <unistd.h>

#include "../util/size.h"
#include "swap.h"

int mb_swap_cycle_plan(const struct mb_meminfo *mi, const struct mb_swaps *sw, double factor,
                       int64_t margin, struct mb_plan *plan)
{
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN], m[MB_SIZE_STRLEN], how[256], cur[96];
        uint64_t used = 0, avail;
        int64_t need;
        bool ok;

        for (size_t i = 0; i < sw->n; i++)
                used += sw->dev[i].used;
        if (sw->n == 0) {
                mb_plan_note(plan, "swap cycle: no swap area is active, nothing to do");
                return 0;
        }
        avail = mb_mi_has(mi, MB_MI_MEMAVAILABLE) ? mi->v[MB_MI_MEMAVAILABLE] : 0;
        need = (int64_t)((double)used * factor) + margin;
        ok = mb_mi_has(mi, MB_MI_MEMAVAILABLE) && (int64_t)avail >= need;
        for (size_t i = 0; i < sw->n; i++) {
                const struct mb_swapdev *d = &sw->dev[i];
                struct mb_change *c;

                snprintf(cur, sizeof(cur), "on, %s used, priority %d",
                         mb_size_format((int64_t)d->used, a, sizeof(a)), d->priority);
                snprintf(how, sizeof(how), "swapoff (%s back into RAM), swapon at priority %d", a,
                         d->priority);
                c = mb_plan_add(plan, MB_ACT_SWAP_CYCLE, d->path, cur, cur, how);
                if (!c)
                        return -ENOMEM;
                c->prio = d->priority;
                c->factor = factor;
                c->margin = margin;
                c->need = (int64_t)((double)d->used * factor) + margin;
                if (d->used == 0) {
                        c->noop = true;
                        mb_strlcpy(c->how, "nothing in it: no cycle needed", sizeof(c->how));
                }
                if (!ok) {
                        c->refused = true;
                        if (!mb_mi_has(mi, MB_MI_MEMAVAILABLE))
                                snprintf(c->reason, sizeof(c->reason),
                                         "swap cycle refused: MemAvailable is unknown");
                        else
                                snprintf(c->reason, sizeof(c->reason),
                                         "swap cycle refused: MemAvailable %s < swap used %s x "
                                         "%.2g + margin %s",
                                         mb_size_format((int64_t)avail, a, sizeof(a)),
                                         mb_size_format((int64_t)used, b, sizeof(b)), factor,
                                         mb_size_format(margin, m, sizeof(m)));
                }
        }
        if (ok)
                mb_plan_note(plan,
                             "swap cycle allowed: MemAvailable %s >= swap used %s x %.2g + "
                             "margin %s; devices are cycled one at a time",
                             mb_size_format((int64_t)avail, a, sizeof(a)),
                             mb_size_format((int64_t)used, b, sizeof(b)), factor,
                             mb_size_format(margin, m, sizeof(m)));
        return 0;
}

static void say(void (*progress)(void *, const char *), void *arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(void (*progress)(void *, const char *), void *arg, const char *fmt, ...)
{
        char buf[512];
        va_list ap;

        if (!progress)
                return;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        progress(arg, buf);
}

int mb_swap_cycle_do(const struct mb_change *c, const char *proc_root,
                     void (*progress)(void *arg, const char *msg), void *arg, char *msg, size_t len)
{
        struct mb_root root;
        struct mb_meminfo mi;
        struct mb_swaps sw = {0};
        struct mb_error err = {0};
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN];
        const struct mb_swapdev *d = NULL;
        int flags = 0, r;
        double t0;

        r = mb_root_open(&root, proc_root, NULL);
        if (r < 0) {
                snprintf(msg, len, "cannot open '%s': %s", proc_root ? proc_root : "/proc",
                         mb_strerror(r));
                mb_root_close(&root);
                return r;
        }
        r = mb_meminfo_read(&root, &mi, &err);
        if (r == 0)
                r = mb_swaps_read(&root, &sw, &err);
        mb_root_close(&root);
        if (r < 0) {
                snprintf(msg, len, "%s: %s", err.where, err.msg);
                mb_swaps_release(&sw);
                return r;
        }
        for (size_t i = 0; i < sw.n; i++)
                if (!strcmp(sw.dev[i].path, c->target))
                        d = &sw.dev[i];
        if (!d) {
                mb_swaps_release(&sw);
                say(progress, arg, "%s is no longer active, skipping", c->target);
                return 0;
        }
        {
                int64_t need = (int64_t)((double)d->used * c->factor) + c->margin;
                int64_t avail = (int64_t)mi.v[MB_MI_MEMAVAILABLE];
                if (avail < need) {
                        snprintf(msg, len,
                                 "swap cycle of '%s' stopped: MemAvailable %s < %s needed now",
                                 c->target, mb_size_format(avail, a, sizeof(a)),
                                 mb_size_format(need, b, sizeof(b)));
                        mb_swaps_release(&sw);
                        return -ENOMEM;
                }
        }
        say(progress, arg, "swapoff %s: reading %s back into RAM...", c->target,
            mb_size_format((int64_t)d->used, a, sizeof(a)));
        mb_swaps_release(&sw);
        t0 = mb_now_mono();
        if (swapoff(c->target) < 0) {
                r = -errno;
                snprintf(msg, len, "swapoff '%s' failed: %s (the kernel keeps it active)",
                         c->target, mb_strerror(r));
                return r;
        }
        say(progress, arg, "swapoff %s: done in %.1f s", c->target, mb_now_mono() - t0);
        if (c->prio >= 0)
                flags =
                    SWAP_FLAG_PREFER | ((c->prio << SWAP_FLAG_PRIO_SHIFT) & SWAP_FLAG_PRIO_MASK);
        if (swapon(c->target, flags) < 0) {
                r = -errno;
                snprintf(msg, len, "swapon '%s' failed: %s; the area is OFF: run 'swapon %s'",
                         c->target, mb_strerror(r), c->target);
                return r;
        }
        if (c->prio >= 0)
                say(progress, arg, "swapon %s: on again at priority %d", c->target, c->prio);
        else
                say(progress, arg,
                    "swapon %s: on again (priority %d was kernel-assigned; the kernel picks "
                    "a new one)",
                    c->target, c->prio);
        return 0;
}
