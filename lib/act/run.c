/* run.c: see run.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../util/util.h"
#include "run.h"

bool mb_cgroup_pure_v2(const struct mb_cgroup_fs *fs)
{
        size_t n = fs ? strlen(fs->mount) : 0;

        /* hybrid hosts mount v2 at .../fs/cgroup/unified */
        return fs && fs->version == MB_CG_V2 && n >= 10 &&
               strcmp(fs->mount + n - 10, "/fs/cgroup") == 0;
}

void mb_run_plan(const struct mb_cgroup_fs *fs, bool systemd, bool capture, bool is_root,
                 struct mb_run_plan *ret)
{
        memset(ret, 0, sizeof(*ret));
        if (!fs || fs->version == MB_CG_NONE) {
                ret->way = MB_RUN_NOGROUP;
                snprintf(ret->why, sizeof(ret->why), "no cgroup memory controller found");
        } else if (!is_root) {
                ret->way = MB_RUN_NOGROUP;
                snprintf(ret->why, sizeof(ret->why), "needs root to create a cgroup under '%s'",
                         fs->mount);
        } else if (systemd && !capture && mb_cgroup_pure_v2(fs)) {
                ret->way = MB_RUN_SCOPE;
        } else {
                ret->way = MB_RUN_CGROUP;
        }
}

int mb_run_setup(struct mb_runner *rc, const struct mb_run_plan *p, const struct mb_cg_limits *lim,
                 char *const cmd[], char *msg, size_t len)
{
        int r;

        rc->lim = *lim;
        switch (p->way) {
        case MB_RUN_SCOPE:
                rc->want_scope = true;
                snprintf(rc->description, sizeof(rc->description), "membudget run %.200s",
                         cmd && cmd[0] ? cmd[0] : "");
                return 0;
        case MB_RUN_CGROUP:
                r = mb_runner_group(rc, lim, msg, len);
                if (r == 0)
                        rc->have_cg = true;
                return r;
        case MB_RUN_NOGROUP:
                break;
        }
        snprintf(msg, len, "%s", p->why);
        return p->why[0] && strstr(p->why, "root") ? -EPERM : -ENOENT;
}
