/* snapshot.c: see snapshot.h. */
#include "snapshot.h"

#include "collector.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void mb_snapshot_init(struct mb_snapshot *s)
{
        memset(s, 0, sizeof(*s));
        mb_proctab_init(&s->procs);
        s->page_size = sysconf(_SC_PAGESIZE);
        s->collector = "proc";
        s->collector_why = "";
}

void mb_snapshot_release(struct mb_snapshot *s)
{
        if (!s)
                return;
        mb_swaps_release(&s->swaps);
        mb_proctab_release(&s->procs);
        mb_gpus_release(&s->gpus);
}

/* The container facts.  A captured tree's markers (/.dockerenv...) are
 * looked for beside its proc root, never on the host. */
static void snapshot_container(struct mb_root *root, struct mb_snapshot *s)
{
        char marker[1100], mount[1100];
        const char *mroot = NULL;
        size_t ml;

        if (!root->live) {
                char *slash;
                mb_strlcpy(marker, root->proc_path, sizeof(marker));
                slash = strrchr(marker, '/');
                if (slash && slash != marker)
                        *slash = '\0';
                else
                        mb_strlcpy(marker, ".", sizeof(marker));
                mroot = marker;
        }
        s->have_container =
            mb_container_detect(root->proc_path, root->sys_path, mroot, &s->container) == 0;
        s->cg_version = s->container.version;
        s->have_container_cg = false;
        if (!s->have_container || !s->container.in_container || !s->container.limit_dir[0])
                return;
        snprintf(mount, sizeof(mount), "%s/fs/cgroup%s", root->sys_path,
                 s->cg_version == 1 ? "/memory" : "");
        ml = strlen(mount);
        const char *rel = !strncmp(s->container.limit_dir, mount, ml) ? s->container.limit_dir + ml
                                                                      : s->container.limit_dir;
        s->have_container_cg =
            mb_cgmem_read(s->container.limit_dir, s->cg_version, *rel ? rel : s->container.cgroup,
                          &s->container_cg) == 0;
}

int mb_snapshot_take(struct mb_root *root, unsigned what, unsigned scan_flags,
                     const struct mb_scan_filter *filter, struct mb_snapshot *s,
                     struct mb_error *err)
{
        int r;

        s->wall = mb_now_wall();
        s->mono = mb_now_mono();
        if (what & MB_SNAP_SYSTEM) {
                r = mb_meminfo_read(root, &s->mi, err);
                if (r < 0)
                        return r;
                mb_memsummary_compute(&s->mi, &s->mem);
                if (mb_swaps_read(root, &s->swaps, NULL) < 0)
                        s->swaps.n = 0;
                s->have_vm = mb_vmstat_read(root, &s->vm, NULL) == 0 && s->vm.have_pswp;
                s->have_psi = mb_psi_read(root, &s->psi, NULL) == 0;
                s->have_swappiness = mb_swappiness_read(root, &s->swappiness) == 0;
                snapshot_container(root, s);
        }
        if (what & (MB_SNAP_PROCS | MB_SNAP_GPU)) {
                if (what & MB_SNAP_PROCS) {
                        r = mb_collect_procs(root, scan_flags, filter, &s->procs, &s->collector,
                                             &s->collector_why);
                        if (r < 0) {
                                mb_error_set(err, root->proc_path, 0, 0, "cannot list: %s",
                                             mb_strerror(r));
                                return r;
                        }
                        s->have_procs = true;
                }
                if (what & MB_SNAP_GPU) {
                        mb_gpus_release(&s->gpus);
                        mb_gpu_collect(
                            root,
                            (what & MB_SNAP_PROCS) && (scan_flags & MB_SCAN_GPU) ? &s->procs : NULL,
                            &s->gpus);
                        s->have_gpus = true;
                }
        }
        return 0;
}

void mb_rates_compute(const struct mb_vmstat *a, double ta, const struct mb_vmstat *b, double tb,
                      struct mb_rates *ret)
{
        double dt = tb - ta;

        memset(ret, 0, sizeof(*ret));
        if (dt <= 0 || !a->have_pswp || !b->have_pswp)
                return;
        ret->valid = true;
        ret->interval_s = dt;
        ret->swapin_pages_per_s = b->pswpin >= a->pswpin ? (double)(b->pswpin - a->pswpin) / dt : 0;
        ret->swapout_pages_per_s =
            b->pswpout >= a->pswpout ? (double)(b->pswpout - a->pswpout) / dt : 0;
        ret->majfault_per_s =
            b->pgmajfault >= a->pgmajfault ? (double)(b->pgmajfault - a->pgmajfault) / dt : 0;
}
