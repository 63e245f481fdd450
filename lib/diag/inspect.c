/* inspect.c: see inspect.h. */
#define _GNU_SOURCE
#include "inspect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../collect/gpu.h"
#include "../collect/proc.h"

static void target_init(struct mb_itarget *t)
{
        memset(t, 0, sizeof(*t));
        mb_smaps_init(&t->s);
        mb_inspect_init(&t->in);
        mb_inspect_init(&t->prev);
        mb_inspect_init(&t->first);
        t->vram = MB_UNKNOWN;
}

static void target_release(struct mb_itarget *t)
{
        mb_smaps_release(&t->s);
        mb_inspect_release(&t->in);
        mb_inspect_release(&t->prev);
        mb_inspect_release(&t->first);
}

void mb_itargets_release(struct mb_itargets *ts)
{
        for (size_t i = 0; ts->t && i < ts->n; i++)
                target_release(&ts->t[i]);
        free(ts->t);
        ts->t = NULL;
        ts->n = 0;
}

/* Read and analyze one target; 0 or -errno. */
static int sample(struct mb_root *root, struct mb_itarget *t, int pid, size_t top)
{
        int r = mb_smaps_read(root, pid, &t->s);

        if (r < 0)
                return r;
        t->t_now = mb_now_mono();
        return mb_inspect_analyze(&t->s, top, &t->in);
}

/* GPU memory of each target (lib/collect/gpu.h); MB_UNKNOWN without a GPU. */
static void charge_vram(struct mb_root *root, struct mb_itargets *ts)
{
        size_t n = ts->n;
        int *pids = calloc(n ? n : 1, sizeof(*pids));
        int64_t *v = calloc(n ? n : 1, sizeof(*v));

        for (size_t i = 0; pids && v && i < n; i++)
                pids[i] = ts->t[i].pid;
        if (pids && v && mb_gpu_charge_pids(root, pids, n, v) == 0)
                for (size_t i = 0; i < n; i++)
                        ts->t[i].vram = v[i];
        free(pids);
        free(v);
}

static enum mb_iopen sample_all(struct mb_root *root, const int *pids, size_t npids, bool match,
                                struct mb_itargets *ts, struct mb_iopen_err *e)
{
        for (size_t i = 0; i < npids; i++) {
                struct mb_itarget *t = &ts->t[ts->n];
                int r;

                target_init(t);
                t->pid = pids[i];
                r = sample(root, t, pids[i], ts->top);
                if (r < 0 || !t->s.n) {
                        if (!match) {
                                e->r = r;
                                e->pid = pids[i];
                                mb_strlcpy(e->name, t->s.name, sizeof(e->name));
                                ts->n++; /* released with the others */
                                return r < 0 ? MB_IOPEN_READ : MB_IOPEN_EMPTY;
                        }
                        if (r == -EACCES)
                                ts->denied++; /* others vanished meanwhile: skip them */
                        target_release(t);
                        continue;
                }
                ts->n++;
        }
        return ts->n ? MB_IOPEN_OK : MB_IOPEN_NONE;
}

enum mb_iopen mb_itargets_open(struct mb_root *root, int pid, const regex_t *match,
                               size_t max_procs, size_t top, struct mb_itargets *ts,
                               struct mb_iopen_err *e)
{
        int *pids = NULL;
        size_t npids = 0;
        enum mb_iopen st;
        int r;

        memset(ts, 0, sizeof(*ts));
        memset(e, 0, sizeof(*e));
        ts->top = top;
        if (match) {
                r = mb_proc_match_pids(root, match, max_procs, &pids, &npids, &ts->more);
                if (r < 0) {
                        e->r = r;
                        return MB_IOPEN_LIST;
                }
                if (!npids) {
                        free(pids);
                        return MB_IOPEN_NONE;
                }
        } else {
                if (!(pids = malloc(sizeof(*pids))))
                        return MB_IOPEN_NOMEM;
                pids[0] = pid;
                npids = 1;
        }
        if (!(ts->t = calloc(npids, sizeof(*ts->t)))) {
                free(pids);
                return MB_IOPEN_NOMEM;
        }
        st = sample_all(root, pids, npids, match != NULL, ts, e);
        free(pids);
        if (st == MB_IOPEN_OK) {
                charge_vram(root, ts);
                ts->alive = ts->n;
                ts->start = ts->t[0].t_now;
                ts->samples = 1;
        }
        return st;
}

/* Swap the latest analysis into dst (buffers exchange, nothing copied). */
static void shift(struct mb_inspect *dst, struct mb_inspect *src)
{
        struct mb_inspect tmp = *dst;
        *dst = *src;
        *src = tmp;
}

void mb_itargets_watch_start(struct mb_itargets *ts)
{
        for (size_t i = 0; i < ts->n; i++) {
                struct mb_itarget *t = &ts->t[i];
                t->t_first = t->t_prev = t->t_now;
                shift(&t->first, &t->in);
                mb_inspect_analyze(&t->s, 0, &t->in); /* first == in, for the growth */
        }
}

void mb_itargets_step(struct mb_root *root, struct mb_itargets *ts)
{
        ts->samples++;
        for (size_t i = 0; i < ts->n; i++) {
                struct mb_itarget *x = &ts->t[i];
                uint64_t st = x->s.starttime;
                int r;

                x->exited = x->grew = false;
                if (x->gone)
                        continue;
                x->t_prev = x->t_now;
                shift(&x->prev, &x->in);
                r = sample(root, x, x->pid, ts->top);
                if (r < 0 || x->s.starttime != st) {
                        x->gone = x->exited = true;
                        ts->alive--;
                        /* keep the last good sample for the summary */
                        shift(&x->prev, &x->in);
                        x->t_now = x->t_prev;
                        continue;
                }
                /* no time passed: nothing to say */
                x->grew = mb_inspect_growth(&x->prev, &x->in, x->t_now - x->t_prev, &x->g) == 0;
        }
}
