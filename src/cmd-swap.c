/* cmd-swap.c: "membudget swap": who is in swap, reconciled with /proc/swaps. */
#define _GNU_SOURCE
#include <string.h>

#include "../lib/analyze/procsel.h"
#include "../lib/collect/snapshot.h"
#include "../lib/out/json.h"
#include "../lib/out/table.h"
#include "../lib/util/size.h"
#include "../lib/util/users.h"
#include "cli.h"

const char cmd_swap_help[] =
    "usage: membudget swap [--min SIZE] [--match REGEX] [--top N] [--json]\n"
    "\n"
    "  --min SIZE        only processes with at least SIZE in swap (e.g. 1G)\n"
    "  --match REGEX     POSIX extended regex on the whole command line\n"
    "  --top N           only the first N rows\n";

struct swap_opts {
        int64_t min;
        bool has_match;
        regex_t match;
        long top;
};

static int parse(int argc, char **argv, struct mb_cli *cli, struct swap_opts *o)
{
        enum { OPT_MIN = 0x100, OPT_MATCH, OPT_TOP };
        static const struct option longopts[] = {
            {"min", required_argument, NULL, OPT_MIN},
            {"match", required_argument, NULL, OPT_MATCH},
            {"top", required_argument, NULL, OPT_TOP},
            {NULL, 0, NULL, 0},
        };
        int c, r;

        mb_getopt_reset();
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_MIN:
                        if ((r = mb_opt_size(cli, "--min", optarg, &o->min)))
                                return r;
                        break;
                case OPT_MATCH:
                        if ((r = mb_opt_regex(cli, "--match", optarg, &o->match, &o->has_match)))
                                return r;
                        break;
                case OPT_TOP:
                        if ((r = mb_opt_uint(cli, "--top", optarg, 100000000, &o->top)))
                                return r;
                        break;
                default:
                        return mb_bad_option(cli, argc, argv, c);
                }
        }
        if (optind < argc)
                return mb_usage_error(cli, "unexpected argument '%s'", argv[optind]);
        return 0;
}

/* What the per-process VmSwap sum does not cover (LINUX-MEMORY-REFERENCE §3.2):
 * swap cache entries and swapped shmem/tmpfs pages. */
struct reconcile {
        int64_t used;   /* sum of Used in /proc/swaps (or meminfo) */
        int64_t procs;  /* sum of VmSwap over every process */
        int64_t cached; /* SwapCached */
        int64_t rest;   /* used - procs - cached (shmem/tmpfs, others) */
};

static void reconcile(const struct mb_snapshot *all, struct reconcile *rc)
{
        int64_t used = 0;

        for (size_t i = 0; i < all->swaps.n; i++)
                used += (int64_t)all->swaps.dev[i].used;
        if (all->swaps.n == 0)
                used = (int64_t)all->mem.swap_used;
        rc->used = used;
        rc->procs = mb_procs_sum(&all->procs, MB_COL_SWAP, NULL);
        rc->cached = (int64_t)all->mem.swap_cached;
        rc->rest = used - rc->procs - rc->cached;
}

int cmd_swap(int argc, char **argv, struct mb_cli *cli)
{
        struct swap_opts o = {0};
        struct mb_scan_filter filter = {.skip_kthreads = true, .min_swap = 1};
        struct mb_snapshot s;
        struct mb_error err = {0};
        struct reconcile rc;
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN], c3[MB_SIZE_STRLEN];
        size_t n;
        int64_t shown_sum = 0;
        int r, code = MB_EXIT_OK;

        r = parse(argc, argv, cli, &o);
        if (r)
                goto out_opts;
        if ((r = mb_cli_root(cli)))
                goto out_opts;
        mb_snapshot_init(&s);

        /* One status pass over every process gives the reconciliation; the
         * costlier files (cmdline, smaps_rollup for SwapPss) are read only for
         * the processes that have swap. */
        r = mb_snapshot_take(&cli->root, MB_SNAP_SYSTEM | MB_SNAP_PROCS,
                             MB_SCAN_CMDLINE | MB_SCAN_ROLLUP, &filter, &s, &err);
        if (r < 0) {
                code = mb_runtime_error(cli, "%s: %s", err.where, err.msg);
                goto out;
        }
        reconcile(&s, &rc);

        /* Now narrow to what was asked. */
        n = 0;
        for (size_t i = 0; i < s.procs.n; i++) {
                const struct mb_proc *p = &s.procs.p[i];
                if (p->swap == MB_UNKNOWN || p->swap < (o.min > 0 ? o.min : 1))
                        continue;
                if (o.has_match) {
                        const char *cl = mb_proc_cmdline(&s.procs, p);
                        if (regexec(&o.match, *cl ? cl : p->name, 0, NULL, 0) != 0)
                                continue;
                }
                s.procs.p[n++] = *p;
        }
        s.procs.n = n;
        mb_procs_sort(&s.procs, MB_COL_SWAP);
        if (o.top && (size_t)o.top < n)
                n = s.procs.n = (size_t)o.top;
        for (size_t i = 0; i < n; i++)
                shown_sum += s.procs.p[i].swap;

        if (cli->json) {
                json_t *j = json_object(), *arr = json_array();
                for (size_t i = 0; i < n; i++)
                        json_array_append_new(arr, mb_json_proc(&s.procs, &s.procs.p[i]));
                json_object_set_new(j, "processes", arr);
                json_object_set_new(j, "totals",
                                    json_pack("{s:I,s:I}", "count", (json_int_t)n, "swap_bytes",
                                              (json_int_t)shown_sum));
                json_object_set_new(j, "swap", mb_json_swap(&s));
                json_object_set_new(
                    j, "reconciliation",
                    json_pack("{s:I,s:I,s:I,s:I,s:s}", "swap_used_bytes", (json_int_t)rc.used,
                              "process_swap_bytes", (json_int_t)rc.procs, "swap_cached_bytes",
                              (json_int_t)rc.cached, "unattributed_bytes", (json_int_t)rc.rest,
                              "unattributed_is",
                              "swapped shmem/tmpfs pages (not in any VmSwap) and counter "
                              "skew"));
                mb_json_print(j, cli->out);
                goto out;
        }

        if (s.mem.swap_total == 0 && s.swaps.n == 0) {
                fprintf(cli->out, "no swap configured\n");
                goto out;
        }
        if (n == 0) {
                fprintf(cli->out, "no process has %s%s in swap\n",
                        o.min > 0 ? "at least " : "any memory",
                        o.min > 0 ? mb_size_format(o.min, a, sizeof(a)) : "");
        } else {
                struct mb_table t;
                mb_table_init(&t);
                mb_table_col(&t, "PID", true, 0);
                mb_table_col(&t, "USER", false, 12);
                mb_table_col(&t, "SWAP", true, 0);
                mb_table_col(&t, "SWAPPSS", true, 0);
                mb_table_col(&t, "RSS", true, 0);
                mb_table_col(&t, "COMMAND", false, 100);
                for (size_t i = 0; i < n; i++) {
                        const struct mb_proc *p = &s.procs.p[i];
                        const char *cl = mb_proc_cmdline(&s.procs, p);
                        mb_table_cellf(&t, "%d", p->pid);
                        mb_table_cell(&t, mb_user_name(p->uid));
                        mb_table_size(&t, p->swap);
                        mb_table_size(&t, p->swappss);
                        mb_table_size(&t, p->rss);
                        mb_table_cell(&t, *cl ? cl : p->name);
                }
                mb_table_print(&t, cli->out, true);
                mb_table_release(&t);
        }
        fprintf(cli->out, "\n%zu process%s shown, %s in swap\n", n, n == 1 ? "" : "es",
                mb_size_format(shown_sum, a, sizeof(a)));
        fprintf(cli->out, "swap used %s (/proc/swaps) = all processes %s + swap cache %s",
                mb_size_format(rc.used, a, sizeof(a)), mb_size_format(rc.procs, b, sizeof(b)),
                mb_size_format(rc.cached, c3, sizeof(c3)));
        fprintf(cli->out, " + rest %s\n", mb_size_format(rc.rest, a, sizeof(a)));
        fprintf(cli->out,
                "  rest: swapped shmem/tmpfs pages (/dev/shm, tmpfs files, SysV shm), "
                "which no process's VmSwap counts%s\n",
                rc.rest < 0 ? "; negative: swap cache pages also counted in VmSwap" : "");
        for (size_t i = 0; i < s.swaps.n; i++)
                if (s.swaps.dev[i].kind == MB_SWAP_ZRAM)
                        fprintf(cli->out,
                                "note: %s is zram: swapped pages still take RAM, "
                                "compressed\n",
                                s.swaps.dev[i].path);
        if (mb_mi_has(&s.mi, MB_MI_ZSWAPPED) && s.mi.v[MB_MI_ZSWAPPED])
                fprintf(cli->out, "note: zswap holds %s of swapped pages compressed in %s of RAM\n",
                        mb_size_format((int64_t)s.mi.v[MB_MI_ZSWAPPED], a, sizeof(a)),
                        mb_size_format((int64_t)s.mi.v[MB_MI_ZSWAP], b, sizeof(b)));
        mb_warn_pss_denied(s.procs.n_pss_denied, "SwapPss");
out:
        mb_snapshot_release(&s);
        r = code;
out_opts:
        if (o.has_match)
                regfree(&o.match);
        return r;
}
