/* take.c: see take.h. */
#include "take.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../analyze/problems.h"
#include "../analyze/procsel.h"

/* The memory cgroups of the target's processes: from /proc/PID/cgroup, the
 * cgroup holding the limit (cgroup-mem.h), at most MB_CGMEM_MAX of them. */
static void target_cgroups(struct mb_root *root, struct mb_snapshot *s)
{
        char mount[1100], cg[600];
        unsigned read = 0;

        s->ntarget_cg = 0;
        if (!s->cg_version)
                return;
        snprintf(mount, sizeof(mount), "%s/fs/cgroup%s", root->sys_path,
                 s->cg_version == 1 ? "/memory" : "");
        for (size_t i = 0; i < s->procs.n && read < 256; i++) {
                struct mb_proc *p = &s->procs.p[i];
                struct mb_cgmem *m;
                size_t j;

                if (!(p->flags & MB_P_TARGET))
                        continue;
                read++;
                if (mb_proc_read_cgroup(root, &s->procs, p) < 0)
                        continue;
                mb_strlcpy(cg, mb_proc_str(&s->procs, s->cg_version == 2 ? p->cg_v2 : p->cg_mem),
                           sizeof(cg));
                if (!cg[0])
                        continue;
                for (j = 0; j < s->ntarget_cg; j++) {
                        size_t l = strlen(s->target_cg[j].path);
                        /* the process is in that cgroup or below it */
                        if (!strncmp(cg, s->target_cg[j].path, l) &&
                            (cg[l] == '\0' || cg[l] == '/' || !strcmp(s->target_cg[j].path, "/")))
                                break;
                }
                if (j < s->ntarget_cg) {
                        s->target_cg[j].nprocs++;
                        continue;
                }
                if (s->ntarget_cg >= MB_CGMEM_MAX)
                        continue;
                m = &s->target_cg[s->ntarget_cg];
                if (mb_cgmem_read_limited(mount, s->cg_version, cg, m) < 0)
                        continue;
                m->nprocs = 1;
                m->target = true;
                s->ntarget_cg++;
        }
}

/* Other cgroups whose own events show OOM kills or a reached limit (v2). */
static void event_cgroups(struct mb_root *root, struct mb_snapshot *s)
{
        char mount[1100];

        if (s->cg_version != 2)
                return;
        snprintf(mount, sizeof(mount), "%s/fs/cgroup", root->sys_path);
        s->ntarget_cg = mb_cgmem_find_events(mount, s->target_cg, s->ntarget_cg, MB_CGMEM_MAX);
}

int mb_diag_take(struct mb_root *root, const struct mb_diag_opts *o, struct mb_snapshot *s,
                 struct mb_target *tg, struct mb_error *err)
{
        struct mb_scan_filter filter = {.skip_kthreads = true};
        bool configured = o->target_match || (o->target_unit && *o->target_unit);
        /* Command lines of every process only when the target is matched on
         * them; otherwise only for the rows that are shown (below). */
        unsigned scan = MB_SCAN_STAT | (o->target_match ? MB_SCAN_CMDLINE : 0) | o->extra_scan;
        unsigned what = MB_SNAP_SYSTEM | MB_SNAP_PROCS;
        int r;

        if (o->target_unit && *o->target_unit)
                scan |= MB_SCAN_CGROUP;
        size_t ncl = o->cmdlines ? o->cmdlines : MB_DIAG_CMDLINES;

        if (o->gpu) {
                what |= MB_SNAP_GPU;
                if (!o->gpu_procs_lazy || o->gpu_seen)
                        scan |= MB_SCAN_GPU;
        }
        r = mb_snapshot_take(root, what, scan, &filter, s, err);
        if (r < 0)
                return r;
        if (configured) {
                mb_target_mark(&s->procs, o->target_match, o->target_unit, (int)getpid());
                mb_target_keep_user(&s->procs, o->target_user);
                for (size_t i = 0; i < s->procs.n; i++)
                        if (s->procs.p[i].flags & MB_P_TARGET)
                                mb_proc_read_rollup(root, &s->procs, &s->procs.p[i]);
        }
        mb_target_sum(&s->procs, configured, tg);
        s->ntarget_cg = 0;
        if (configured)
                target_cgroups(root, s);
        event_cgroups(root, s);
        mb_procs_sort_consumers(&s->procs);
        if (!(scan & MB_SCAN_CMDLINE)) {
                /* the largest consumers at once, then any other in swap */
                if (mb_proc_read_cmdlines(root, &s->procs, ncl) < 0)
                        return -ENOMEM;
                unsigned listed = 0;
                for (size_t i = ncl; i < s->procs.n; i++)
                        if (s->procs.p[i].flags & MB_P_TARGET) /* recorded by the history */
                                mb_proc_read_cmdline(root, &s->procs, &s->procs.p[i]);
                for (size_t i = ncl; i < s->procs.n && listed < MB_PROBLEMS_SWAP_LISTED; i++) {
                        struct mb_proc *p = &s->procs.p[i];
                        /* as the rule picks them (MB_UNKNOWN is below 0) */
                        if (p->swap > 0 && p->swap > o->swap_listed_over) {
                                mb_proc_read_cmdline(root, &s->procs, p);
                                listed++;
                        }
                }
        }
        return 0;
}
