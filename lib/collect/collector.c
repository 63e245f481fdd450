/* collector.c: see collector.h. */
#include "collector.h"

#include <errno.h>
#include <string.h>

#include "bpf.h"

static enum mb_collector_mode mode = MB_COLLECTOR_AUTO;

int mb_collector_mode_parse(const char *s, enum mb_collector_mode *ret)
{
        if (!s || !*s || !strcmp(s, "auto"))
                *ret = MB_COLLECTOR_AUTO;
        else if (!strcmp(s, "proc"))
                *ret = MB_COLLECTOR_PROC;
        else
                return -EINVAL;
        return 0;
}

void mb_collector_set_mode(enum mb_collector_mode m)
{
        mode = m;
}

/* BPF covers the status-file fields and the start time (smaps_rollup and GPU
 * memory are read after it), on the live host.  Command lines and cgroups
 * need /proc. */
static const char *bpf_why_not(const struct mb_root *root, unsigned flags,
                               const struct mb_scan_filter *filter)
{
        if (mode == MB_COLLECTOR_PROC)
                return "MEMBUDGET_COLLECTOR is set";
        if (!root->live)
                return "a captured --proc-root";
        if ((flags & (MB_SCAN_CMDLINE | MB_SCAN_CGROUP)) || (filter && filter->match))
                return "command lines and cgroups come from /proc";
        return NULL;
}

static int bpf_scan(struct mb_root *root, unsigned flags, const struct mb_scan_filter *filter,
                    struct mb_proctab *t)
{
        return mb_bpf_scan(root, flags & ~MB_SCAN_CMDLINE_LATER, filter, t);
}

static const char *proc_why_not(const struct mb_root *root, unsigned flags,
                                const struct mb_scan_filter *filter)
{
        (void)root;
        (void)flags;
        (void)filter;
        return NULL;
}

/* /proc reads a command line cheaply beside status: "later" becomes now. */
static int proc_scan(struct mb_root *root, unsigned flags, const struct mb_scan_filter *filter,
                     struct mb_proctab *t)
{
        if (flags & MB_SCAN_CMDLINE_LATER)
                flags = (flags & ~MB_SCAN_CMDLINE_LATER) | MB_SCAN_CMDLINE;
        return mb_proc_scan(root, flags, filter, t);
}

const struct mb_collector mb_collectors[] = {
    {.name = "bpf",
     .why_not = bpf_why_not,
     .scan = bpf_scan,
     .unavailable = mb_bpf_unavailable_reason},
    {.name = "proc", .why_not = proc_why_not, .scan = proc_scan},
};
const size_t mb_ncollectors = MB_ARRAY_SIZE(mb_collectors);

int mb_collect_procs(struct mb_root *root, unsigned flags, const struct mb_scan_filter *filter,
                     struct mb_proctab *t, const char **used, const char **why)
{
        int r = -ENOTSUP;

        *why = "";
        for (size_t i = 0; i < mb_ncollectors; i++) {
                const struct mb_collector *c = &mb_collectors[i];
                const char *no = c->why_not(root, flags, filter);
                if (!no) {
                        r = c->scan(root, flags, filter, t);
                        if (r != -ENOTSUP) {
                                *used = c->name;
                                return r;
                        }
                        no = c->unavailable ? c->unavailable() : "not supported here";
                }
                if (i == 0)
                        *why = no;
        }
        return r;
}
