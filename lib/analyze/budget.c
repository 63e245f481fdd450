/* budget.c: see budget.h. */
#include "budget.h"

#include <string.h>

const char *const mb_mstatus_names[] = {"OK", "WARN", "FAIL", "N/A"};

#define MIB (1024.0 * 1024.0)

static void metric(struct mb_metrics *r, enum mb_metric_id id, const char *key, const char *label,
                   bool bytes, bool at_most)
{
        struct mb_metric *m = &r->m[id];

        m->id = key;
        m->label = label;
        m->bytes = bytes;
        m->at_most = at_most;
}

static void judge(struct mb_metric *m)
{
        if (!m->have || !m->has_target) {
                m->status = MB_MS_NA;
                return;
        }
        if (m->at_most) {
                if (m->now > m->target)
                        m->status = MB_MS_FAIL;
                else if (m->bytes && m->now > 0.9 * m->target)
                        m->status = MB_MS_WARN;
                else
                        m->status = MB_MS_OK;
        } else {
                if (m->now < m->target)
                        m->status = MB_MS_FAIL;
                else if (m->now < 1.1 * m->target)
                        m->status = MB_MS_WARN;
                else
                        m->status = MB_MS_OK;
        }
}

void mb_metrics_compute(const struct mb_snapshot *s, const struct mb_target *tg,
                        const struct mb_config *c, struct mb_metrics *ret)
{
        bool target = tg && tg->configured;
        struct mb_metric *m;

        memset(ret, 0, sizeof(*ret));
        ret->time = s->wall;
        metric(ret, MB_M_SWAP_USED, "swap_used_bytes", "swap used", true, true);
        metric(ret, MB_M_RAM_HOST, "ram_used_host_bytes", "RAM used (host)", true, true);
        metric(ret, MB_M_RAM_TARGET, "ram_used_target_bytes", "RAM used (target, PSS)", true, true);
        metric(ret, MB_M_VRAM, "vram_used_bytes", "GPU VRAM used", true, true);
        metric(ret, MB_M_SWAPPINESS, "swappiness", "vm.swappiness", false, true);
        metric(ret, MB_M_AVAILABLE, "available_bytes", "available", true, false);

        m = &ret->m[MB_M_SWAP_USED];
        m->have = true;
        m->now = (double)s->mem.swap_used;
        m->has_target = true;
        m->target = (double)c->swap_max_mb * MIB;

        /* The RAM budget is the target's when there is one, the host's otherwise. */
        m = &ret->m[MB_M_RAM_HOST];
        m->have = true;
        m->now = (double)s->mem.used;
        m->has_target = !target;
        m->target = (double)c->ram_max_mb * MIB;

        m = &ret->m[MB_M_RAM_TARGET];
        m->have = target && tg->nprocs > 0;
        m->now = target ? (double)tg->ram : 0;
        m->has_target = target;
        m->target = (double)c->ram_max_mb * MIB;

        m = &ret->m[MB_M_VRAM];
        if (target && tg->vram != MB_UNKNOWN) {
                m->have = true;
                m->now = (double)tg->vram;
        } else if (s->have_gpus && s->gpus.n > 0) {
                m->have = true;
                for (size_t i = 0; i < s->gpus.n; i++)
                        if (s->gpus.dev[i].used > 0)
                                m->now += (double)s->gpus.dev[i].used;
        }
        m->has_target = true;
        m->target = (double)c->vram_max_mb * MIB;

        m = &ret->m[MB_M_SWAPPINESS];
        m->have = s->have_swappiness;
        m->now = s->swappiness;
        m->has_target = true;
        m->target = c->vm_swappiness;

        m = &ret->m[MB_M_AVAILABLE];
        m->have = true;
        m->now = (double)s->mem.available;
        m->has_target = true;
        m->target = (double)c->available_min_mb * MIB;

        for (int i = 0; i < MB_M_COUNT; i++)
                judge(&ret->m[i]);
}

void mb_metrics_set_before(struct mb_metrics *m, const struct mb_metrics *base)
{
        for (int i = 0; i < MB_M_COUNT; i++) {
                m->m[i].have_before = base->m[i].have;
                m->m[i].before = base->m[i].now;
        }
}

bool mb_metrics_all_met(const struct mb_metrics *m)
{
        for (int i = 0; i < MB_M_COUNT; i++)
                if (m->m[i].status == MB_MS_FAIL)
                        return false;
        return true;
}
