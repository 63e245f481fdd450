/* render.c: see render.h. */
#include "render.h"

#include <errno.h>
#include <stdlib.h>

#include "../out/json.h"
#include "../out/prom.h"
#include "../out/status.h"

int mb_serve_render(const struct mb_serve_view *v, struct mb_buf *metrics, char **snapshot)
{
        const struct mb_diag *d = v->d;
        const struct mb_config *c = d->cfg;
        struct mb_prom_leak leaks[MB_SERVE_LEAKS_MAX];
        struct mb_prom_input pi = {0};
        struct mb_prom_guard pg = {0};
        size_t nleaks = 0;

        *snapshot = NULL;
        for (size_t i = 0; v->ok && i < d->nleaks && nleaks < MB_SERVE_LEAKS_MAX; i++) {
                const struct mb_report_leak *lk = &d->leaks[i];
                if (lk->kind != MB_RL_PROCESS)
                        continue;
                leaks[nleaks].pid = lk->id.pid;
                mb_strlcpy(leaks[nleaks].name, lk->id.name, sizeof(leaks[0].name));
                leaks[nleaks].slope = lk->leak.slope;
                nleaks++;
        }
        pg.enabled = c->guard_enabled;
        for (int i = 0; i < MB_GC_COUNT; i++)
                pg.events[i] = v->guard->events[i];
        for (int i = 0; i < MB_GA_COUNT; i++)
                pg.actions[i] = v->guard->actions[i];
        pi.snap = v->ok ? &d->snap : NULL;
        pi.target = &d->target;
        pi.cfg = c;
        pi.budget = v->ok ? v->budget : NULL;
        pi.findings = v->ok ? &d->findings : NULL;
        pi.leaks = leaks;
        pi.nleaks = nleaks;
        pi.guard = &pg;
        pi.top_n = (size_t)c->serve_top_n;
        pi.version = v->version;
        pi.sample_duration_s = v->duration_s;
        mb_buf_reset(metrics);
        if (mb_prom_render(metrics, &pi) < 0)
                return -ENOMEM;
        if (v->ok) {
                json_t *j = mb_out_status_json(d, v->config_path, (size_t)c->serve_top_n);
                *snapshot =
                    j ? json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII | MB_JSON_REALS) : NULL;
                json_decref(j);
        }
        return 0;
}
