/* cmd-swap.c: "membudget swap": who is in swap, reconciled with /proc/swaps. */
#define _GNU_SOURCE
#include <string.h>

#include "../lib/collect/snapshot.h"
#include "../lib/diag/swap.h"
#include "../lib/out/swap.h"
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

static int parse(int argc, char **argv, struct cli *cli, struct swap_opts *o)
{
        enum { OPT_MIN = 0x100, OPT_MATCH, OPT_TOP };
        static const struct option longopts[] = {
            {"min", required_argument, NULL, OPT_MIN},
            {"match", required_argument, NULL, OPT_MATCH},
            {"top", required_argument, NULL, OPT_TOP},
            {NULL, 0, NULL, 0},
        };
        int c, r;

        cli_getopt_reset();
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_MIN:
                        if ((r = cli_opt_size(cli, "--min", optarg, &o->min)))
                                return r;
                        break;
                case OPT_MATCH:
                        if ((r = cli_opt_regex(cli, "--match", optarg, &o->match, &o->has_match)))
                                return r;
                        break;
                case OPT_TOP:
                        if ((r = cli_opt_uint(cli, "--top", optarg, 100000000, &o->top)))
                                return r;
                        break;
                default:
                        return cli_bad_option(cli, argc, argv, c);
                }
        }
        if (optind < argc)
                return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
        return 0;
}

int cmd_swap(int argc, char **argv, struct cli *cli)
{
        struct swap_opts o = {0};
        struct mb_scan_filter filter = {.skip_kthreads = true, .min_swap = 1};
        struct mb_snapshot s;
        struct mb_error err = {0};
        struct mb_swap_reconcile rc;
        int64_t sum;
        int r;

        if ((r = parse(argc, argv, cli, &o)) || (r = cli_root(cli)))
                goto out_opts;
        mb_snapshot_init(&s);
        /* One status pass over every process gives the reconciliation; the
         * costlier files (cmdline, smaps_rollup for SwapPss) are read only for
         * the processes that have swap. */
        r = mb_snapshot_take(&cli->root, MB_SNAP_SYSTEM | MB_SNAP_PROCS,
                             MB_SCAN_CMDLINE | MB_SCAN_ROLLUP, &filter, &s, &err);
        if (r < 0) {
                r = cli_runtime_error(cli, "%s: %s", err.where, err.msg);
                goto out;
        }
        mb_swap_reconcile(&s, &rc);
        /* Now narrow to what was asked. */
        sum = mb_swap_narrow(&s, o.min, o.has_match ? &o.match : NULL, (size_t)o.top);
        if (cli->json) {
                mb_out_swap_json(cli->out, &s, sum, &rc);
        } else {
                mb_out_swap_text(cli->out, &s, sum, &rc, o.min);
                if (s.mem.swap_total || s.swaps.n) /* not "no swap configured" */
                        cli_warn_pss_denied(s.procs.n_pss_denied, "SwapPss");
        }
out:
        mb_snapshot_release(&s);
out_opts:
        if (o.has_match)
                regfree(&o.match);
        return r;
}
