/* check.c: see check.h. */
#define _GNU_SOURCE
#include "check.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../act/cgroup.h"
#include "../util/size.h"

static void item_swappiness(const struct mb_diag *d, struct mb_check_item *items)
{
        const struct mb_snapshot *s = &d->snap;
        const struct mb_config *c = d->cfg;

        /* 1. swappiness applied and persisted */
        items[0].item = "vm.swappiness applied and persisted in /etc/sysctl.d";
        items[0].done = s->have_swappiness && s->swappiness == c->vm_swappiness &&
                        d->persisted_swappiness == c->vm_swappiness;
        if (!d->persisted_known)
                snprintf(items[0].detail, sizeof(items[0].detail),
                         "now %d, wanted %d; sysctl files not read for a captured tree",
                         s->have_swappiness ? s->swappiness : -1, c->vm_swappiness);
        else if (d->persisted_swappiness < 0)
                snprintf(items[0].detail, sizeof(items[0].detail),
                         "now %d, wanted %d; no sysctl file sets it (kernel default 60 after "
                         "reboot)",
                         s->have_swappiness ? s->swappiness : -1, c->vm_swappiness);
        else
                snprintf(items[0].detail, sizeof(items[0].detail),
                         "now %d, %d after reboot, wanted %d",
                         s->have_swappiness ? s->swappiness : -1, d->persisted_swappiness,
                         c->vm_swappiness);
        snprintf(items[0].how, sizeof(items[0].how), "membudget tune --apply");
}

static void item_limit(struct mb_root *root, const struct mb_diag *d, struct mb_check_item *items)
{
        const struct mb_snapshot *s = &d->snap;
        const struct mb_config *c = d->cfg;

        /* 2. the target under a memory limit */
        items[1].item = "target under a memory limit (cgroup)";
        if (!d->target.configured || d->target.nprocs == 0) {
                snprintf(items[1].detail, sizeof(items[1].detail), "%s",
                         d->target.configured ? "target not running" : "no target configured");
                snprintf(items[1].how, sizeof(items[1].how),
                         "set target.match or target.unit in the configuration");
        } else {
                items[1].detail[0] = '\0';
                items[1].done = mb_target_all_limited(root->sys_fd, &s->procs, s->mem.total,
                                                      items[1].detail, sizeof(items[1].detail));
                if (!items[1].done && !items[1].detail[0])
                        snprintf(items[1].detail, sizeof(items[1].detail),
                                 "no memory limit on the target's cgroups");
                snprintf(items[1].how, sizeof(items[1].how), "%s",
                         c->target_unit[0] ? "membudget limit --unit UNIT --max SIZE --apply"
                                           : "membudget limit --match REGEX --max SIZE --apply");
        }
}

/* 3. monitoring recorded in the last hour: the last sample of the history
 * (a file's time says nothing: a garbage file would pass). */
static void item_monitor(const struct mb_diag *d, const char *path, struct mb_check_item *items)
{
        struct mb_check_item *it = &items[MB_CHECK_MONITOR];
        struct mb_history *h = NULL;
        struct mb_error err = {0};
        double first = 0, last = 0, now = d->snap.wall;
        size_t n = 0;
        int r;

        it->item = "monitoring recorded in the last hour";
        snprintf(it->how, sizeof(it->how),
                 "membudget watch --record (or membudget serve with monitor.record)");
        r = mb_history_open(path, false, &h, &err);
        if (r == 0)
                r = mb_history_range(h, &first, &last, &n, &err);
        mb_history_close(h);
        if (r == -ENOENT) {
                snprintf(it->detail, sizeof(it->detail), "no history at %s", path);
        } else if (r < 0) {
                snprintf(it->detail, sizeof(it->detail), "%s is not a readable history: %s", path,
                         err.msg[0] ? err.msg : mb_strerror(r));
        } else if (n == 0) {
                snprintf(it->detail, sizeof(it->detail), "%s holds no sample", path);
        } else {
                it->done = now - last < 3600;
                snprintf(it->detail, sizeof(it->detail), "%s: last sample %.0f min ago", path,
                         (now - last) / 60);
        }
}

void mb_check_items(struct mb_root *root, const struct mb_diag *d, const char *history,
                    struct mb_check_item items[MB_CHECK_COUNT])
{
        memset(items, 0, MB_CHECK_COUNT * sizeof(*items));
        item_swappiness(d, items);
        item_limit(root, d, items);
        item_monitor(d, history, items);
}
