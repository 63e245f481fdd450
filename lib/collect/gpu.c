/*
 * gpu.c: see gpu.h.  Runs the backends (gpu-nvml.c, gpu-drm.c) and charges
 * their per-process records to the process table.
 */
#define _GNU_SOURCE
#include "gpu-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct mb_gpu *mb_gpus_add_dev(struct mb_gpus *g)
{
        struct mb_gpu *d, *nd;

        nd = realloc(g->dev, (g->n + 1) * sizeof(*nd));
        if (!nd)
                return NULL;
        g->dev = nd;
        d = &g->dev[g->n];
        memset(d, 0, sizeof(*d));
        d->index = (int)g->n;
        d->total = d->used = d->free = MB_UNKNOWN;
        d->gtt_total = d->gtt_used = MB_UNKNOWN;
        g->n++;
        return d;
}

int mb_gpus_add_proc(struct mb_gpus *g, int pid, int gpu, int64_t bytes)
{
        struct mb_gpu_proc *np;

        if ((g->nprocs & 15) == 0) {
                np = realloc(g->procs, (g->nprocs + 16) * sizeof(*np));
                if (!np)
                        return -ENOMEM;
                g->procs = np;
        }
        g->procs[g->nprocs++] = (struct mb_gpu_proc){.pid = pid, .gpu = gpu, .bytes = bytes};
        return 0;
}

struct pid_idx {
        int pid;
        size_t idx;
};

static int pid_idx_cmp(const void *a, const void *b)
{
        const struct pid_idx *x = a, *y = b;

        return (x->pid > y->pid) - (x->pid < y->pid);
}

/*
 * Every user process inspected starts at 0 bytes (it holds no GPU memory we
 * know of) unless its fds could not be read; then the records are added.  A
 * process whose only records say "not available" (NVML) stays unknown.
 */
static void charge_procs(const struct mb_gpus *g, struct mb_proctab *t, const bool *denied)
{
        struct pid_idx *ix;

        if (g->n == 0)
                return;
        for (size_t i = 0; i < t->n; i++) {
                struct mb_proc *p = &t->p[i];
                if (!(p->flags & MB_P_KTHREAD) && !(denied && denied[i]))
                        p->gpu = 0;
        }
        if (g->nprocs == 0)
                return;
        ix = malloc(t->n * sizeof(*ix) + 1);
        if (!ix)
                return;
        for (size_t i = 0; i < t->n; i++)
                ix[i] = (struct pid_idx){t->p[i].pid, i};
        qsort(ix, t->n, sizeof(*ix), pid_idx_cmp);
        for (int pass = 0; pass < 2; pass++) {
                for (size_t k = 0; k < g->nprocs; k++) {
                        const struct mb_gpu_proc *gp = &g->procs[k];
                        struct pid_idx key = {gp->pid, 0}, *hit;
                        struct mb_proc *p;

                        if ((gp->bytes == MB_UNKNOWN) != (pass == 0))
                                continue;
                        hit = bsearch(&key, ix, t->n, sizeof(*ix), pid_idx_cmp);
                        if (!hit)
                                continue; /* gone, or in another PID namespace */
                        p = &t->p[hit->idx];
                        if (pass == 0)
                                p->gpu = MB_UNKNOWN;
                        else
                                p->gpu = (p->gpu == MB_UNKNOWN ? 0 : p->gpu) + gp->bytes;
                }
        }
        free(ix);
}

int mb_gpu_collect(struct mb_root *root, struct mb_proctab *t, struct mb_gpus *ret)
{
        bool *denied = NULL;
        size_t ndrm;

        memset(ret, 0, sizeof(*ret));

        /* NVML describes the machine it runs on, not a captured --proc-root;
         * an explicit MEMBUDGET_NVML_LIB (a test double) is used anyway. */
        if (root->live || getenv("MEMBUDGET_NVML_LIB"))
                mb_gpu_nvml_collect(ret, t != NULL);
        else
                mb_strlcpy(ret->nvml_status, "no NVIDIA GPU (NVML not used with --proc-root)",
                           sizeof(ret->nvml_status));

        ndrm = mb_gpu_drm_devices(root, ret);

        /* fdinfo is read for every process: only when asked for, and only
         * when there is an AMD or Intel device (or no sysfs to tell). */
        if (t && t->n && (ndrm > 0 || root->sys_fd < 0)) {
                denied = calloc(t->n, sizeof(*denied));
                mb_gpu_drm_clients(root, t, ret, denied);
        }
        if (t)
                charge_procs(ret, t, denied);
        free(denied);
        return 0;
}

void mb_gpus_release(struct mb_gpus *g)
{
        if (!g)
                return;
        free(g->dev);
        free(g->procs);
        memset(g, 0, sizeof(*g));
}

int mb_gpu_charge_pids(struct mb_root *root, const int *pids, size_t n, int64_t *vram)
{
        struct mb_proctab tab;
        struct mb_gpus g;
        int r = 0;

        for (size_t i = 0; i < n; i++)
                vram[i] = MB_UNKNOWN;
        mb_proctab_init(&tab);
        for (size_t i = 0; i < n; i++) {
                struct mb_proc *p = mb_proctab_slot(&tab, pids[i]);
                if (!p) {
                        r = -ENOMEM;
                        break;
                }
                tab.n++;
        }
        if (!r && mb_gpu_collect(root, &tab, &g) == 0) {
                for (size_t i = 0; i < n; i++)
                        vram[i] = g.n ? tab.p[i].gpu : MB_UNKNOWN;
                mb_gpus_release(&g);
        }
        mb_proctab_release(&tab);
        return r;
}
