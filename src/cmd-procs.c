/* cmd-procs.c: "membudget procs": every process's memory. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "../lib/analyze/procsel.h"
#include "../lib/collect/snapshot.h"
#include "../lib/out/procs.h"
#include "../lib/util/users.h"
#include "cli.h"

const char cmd_procs_help[] =
    "usage: membudget procs [--sort COL] [--top N] [--match REGEX] [--user NAME]\n"
    "                       [--min-rss SIZE] [--min-swap SIZE] [--columns LIST]\n"
    "                       [--group name|cgroup] [--json | --csv] [--all]\n"
    "\n"
    "  --sort COL        sort by a column (default rss; sizes largest first)\n"
    "  --top N           only the first N rows\n"
    "  --match REGEX     POSIX extended regex on the whole command line (pgrep -f)\n"
    "  --user NAME       only processes of this user (name or uid)\n"
    "  --min-rss SIZE    only processes with at least SIZE resident (e.g. 100M)\n"
    "  --min-swap SIZE   only processes with at least SIZE in swap\n"
    "  --columns LIST    comma-separated: pid,ppid,user,name,cmdline,rss,pss,uss,swap,\n"
    "                    swappss,vsz,rss_anon,rss_file,rss_shmem,gpu\n"
    "  --group KEY       sum by program name (name) or by cgroup (cgroup)\n"
    "  --csv             CSV with raw byte values\n"
    "  --all             include kernel threads\n"
    "\n"
    "PSS, USS and SWAPPSS read /proc/PID/smaps_rollup (about 3x the cost of status);\n"
    "they are read only when a chosen column or the sort key needs them.\n";

struct procs_opts {
        enum mb_col sort;
        long top; /* 0 = all */
        bool has_match;
        regex_t match;
        const char *user;
        int64_t min_rss, min_swap;
        enum mb_col cols[MB_COL_COUNT];
        int ncols;
        bool cols_given;
        enum mb_group_by group;
        bool csv;
        bool all;
};

static const enum mb_col default_cols[] = {MB_COL_PID,  MB_COL_USER, MB_COL_RSS,
                                           MB_COL_SWAP, MB_COL_VSZ,  MB_COL_CMDLINE};

static int parse(int argc, char **argv, struct cli *cli, struct procs_opts *o)
{
        enum {
                OPT_SORT = 0x100,
                OPT_TOP,
                OPT_MATCH,
                OPT_USER,
                OPT_MIN_RSS,
                OPT_MIN_SWAP,
                OPT_COLUMNS,
                OPT_GROUP,
                OPT_CSV,
                OPT_ALL,
        };
        static const struct option longopts[] = {
            {"sort", required_argument, NULL, OPT_SORT},
            {"top", required_argument, NULL, OPT_TOP},
            {"match", required_argument, NULL, OPT_MATCH},
            {"user", required_argument, NULL, OPT_USER},
            {"min-rss", required_argument, NULL, OPT_MIN_RSS},
            {"min-swap", required_argument, NULL, OPT_MIN_SWAP},
            {"columns", required_argument, NULL, OPT_COLUMNS},
            {"group", required_argument, NULL, OPT_GROUP},
            {"csv", no_argument, NULL, OPT_CSV},
            {"all", no_argument, NULL, OPT_ALL},
            {NULL, 0, NULL, 0},
        };
        const char *bad;
        int c, r;

        cli_getopt_reset();
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_SORT:
                        r = mb_col_lookup(optarg);
                        if (r < 0)
                                return cli_usage_error(cli, "unknown column '%s' for --sort",
                                                       optarg);
                        o->sort = (enum mb_col)r;
                        break;
                case OPT_TOP:
                        if ((r = cli_opt_uint(cli, "--top", optarg, 100000000, &o->top)))
                                return r;
                        break;
                case OPT_MATCH:
                        if ((r = cli_opt_regex(cli, "--match", optarg, &o->match, &o->has_match)))
                                return r;
                        break;
                case OPT_USER:
                        o->user = optarg;
                        break;
                case OPT_MIN_RSS:
                        if ((r = cli_opt_size(cli, "--min-rss", optarg, &o->min_rss)))
                                return r;
                        break;
                case OPT_MIN_SWAP:
                        if ((r = cli_opt_size(cli, "--min-swap", optarg, &o->min_swap)))
                                return r;
                        break;
                case OPT_COLUMNS:
                        o->ncols = mb_cols_parse(optarg, o->cols, &bad);
                        if (o->ncols < 0)
                                return cli_usage_error(cli, "unknown column '%s' in --columns '%s'",
                                                       bad, optarg);
                        o->cols_given = true;
                        break;
                case OPT_GROUP:
                        if (!strcmp(optarg, "name"))
                                o->group = MB_GROUP_NAME;
                        else if (!strcmp(optarg, "cgroup"))
                                o->group = MB_GROUP_CGROUP;
                        else
                                return cli_usage_error(
                                    cli, "invalid value '%s' for --group (name or cgroup)", optarg);
                        break;
                case OPT_CSV:
                        o->csv = true;
                        break;
                case OPT_ALL:
                        o->all = true;
                        break;
                default:
                        return cli_bad_option(cli, argc, argv, c);
                }
        }
        if (optind < argc)
                return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
        if (o->csv && cli->json)
                return cli_usage_error(cli, "--csv and --json cannot be combined");
        return 0;
}

int cmd_procs(int argc, char **argv, struct cli *cli)
{
        struct procs_opts o = {.sort = MB_COL_RSS};
        struct mb_scan_filter filter = {0};
        struct mb_snapshot s;
        struct mb_error err = {0};
        struct mb_out_procs out;
        pid_t self[MB_SELF_CHAIN_MAX];
        unsigned scan, what = MB_SNAP_PROCS;
        size_t n;
        int r, code = CLI_EXIT_OK;

        r = parse(argc, argv, cli, &o);
        if (r)
                goto out_opts;
        if (!o.cols_given) {
                memcpy(o.cols, default_cols, sizeof(default_cols));
                o.ncols = (int)MB_ARRAY_SIZE(default_cols);
        }
        if (o.user) {
                uid_t uid;
                if (mb_user_lookup(o.user, &uid) < 0) {
                        r = cli_usage_error(cli, "unknown user '%s' for --user", o.user);
                        goto out_opts;
                }
                filter.has_uid = true;
                filter.uid = uid;
        }
        if ((r = cli_root(cli)))
                goto out_opts;

        scan = mb_listing_scan(&(struct mb_listing){.cols = o.cols,
                                                    .ncols = o.ncols,
                                                    .cols_given = o.cols_given,
                                                    .sort = o.sort,
                                                    .group = o.group,
                                                    .json = cli->json,
                                                    .has_match = o.has_match,
                                                    .by_user = o.user != NULL});
        if (scan & MB_SCAN_GPU)
                what |= MB_SNAP_GPU;
        filter.match = o.has_match ? &o.match : NULL;
        filter.min_rss = o.min_rss;
        filter.min_swap = o.min_swap;
        filter.skip_kthreads = !o.all;
        /* As pgrep: membudget's own command line (and its launchers') holds
         * the pattern. */
        if (o.has_match) {
                filter.nskip = mb_proc_self_chain(&cli->root, self, MB_SELF_CHAIN_MAX);
                filter.skip = self;
        }

        mb_snapshot_init(&s);
        r = mb_snapshot_take(&cli->root, what, scan, &filter, &s, &err);
        if (r < 0) {
                code = cli_runtime_error(cli, "%s: %s", err.where, err.msg);
                goto out;
        }
        if (*s.collector_why)
                cli_debug(cli, "collector: %s (not bpf: %s)", s.collector, s.collector_why);
        else
                cli_debug(cli, "collector: %s", s.collector);
        out = (struct mb_out_procs){.fmt = cli->json ? MB_OUT_JSON
                                           : o.csv   ? MB_OUT_CSV
                                                     : MB_OUT_TEXT,
                                    .cols = o.cols,
                                    .ncols = o.ncols,
                                    .collector = s.collector};
        if (!cli->json)
                cli_warn_pss_denied(s.procs.n_pss_denied, "PSS");
        if (o.group != MB_GROUP_NONE) {
                struct mb_groups g;
                if (mb_procs_group(&s.procs, o.group, &g) < 0) {
                        code = cli_runtime_error(cli, "out of memory");
                        goto out;
                }
                mb_groups_sort(&g, o.sort);
                n = o.top && (size_t)o.top < g.n ? (size_t)o.top : g.n;
                r = mb_out_groups(cli->out, &out, o.group, &g, n);
                mb_groups_release(&g);
        } else {
                mb_procs_sort(&s.procs, o.sort);
                n = o.top && (size_t)o.top < s.procs.n ? (size_t)o.top : s.procs.n;
                if ((scan & MB_SCAN_CMDLINE_LATER) && !(s.procs.flags & MB_SCAN_CMDLINE)) {
                        if (mb_proc_read_cmdlines(&cli->root, &s.procs, n) < 0) {
                                code = cli_runtime_error(cli, "out of memory");
                                goto out;
                        }
                        n = mb_proc_drop_gone(&s.procs, n);
                }
                r = mb_out_procs(cli->out, &out, &s.procs, n);
        }
        if (r < 0)
                code = cli_runtime_error(cli, "cannot write the listing: %s", mb_strerror(r));
out:
        mb_snapshot_release(&s);
        r = code;
out_opts:
        if (o.has_match)
                regfree(&o.match);
        return r;
}
