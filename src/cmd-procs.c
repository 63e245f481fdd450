/* cmd-procs.c: "membudget procs": every process's memory. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "../lib/analyze/procsel.h"
#include "../lib/collect/bpf.h"
#include "../lib/collect/snapshot.h"
#include "../lib/out/json.h"
#include "../lib/out/table.h"
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

static int parse(int argc, char **argv, struct mb_cli *cli, struct procs_opts *o)
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

        mb_getopt_reset();
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_SORT:
                        r = mb_col_lookup(optarg);
                        if (r < 0)
                                return mb_usage_error(cli, "unknown column '%s' for --sort",
                                                      optarg);
                        o->sort = (enum mb_col)r;
                        break;
                case OPT_TOP:
                        if ((r = mb_opt_uint(cli, "--top", optarg, 100000000, &o->top)))
                                return r;
                        break;
                case OPT_MATCH:
                        if ((r = mb_opt_regex(cli, "--match", optarg, &o->match, &o->has_match)))
                                return r;
                        break;
                case OPT_USER:
                        o->user = optarg;
                        break;
                case OPT_MIN_RSS:
                        if ((r = mb_opt_size(cli, "--min-rss", optarg, &o->min_rss)))
                                return r;
                        break;
                case OPT_MIN_SWAP:
                        if ((r = mb_opt_size(cli, "--min-swap", optarg, &o->min_swap)))
                                return r;
                        break;
                case OPT_COLUMNS:
                        o->ncols = mb_cols_parse(optarg, o->cols, &bad);
                        if (o->ncols < 0)
                                return mb_usage_error(cli, "unknown column '%s' in --columns '%s'",
                                                      bad, optarg);
                        o->cols_given = true;
                        break;
                case OPT_GROUP:
                        if (!strcmp(optarg, "name"))
                                o->group = MB_GROUP_NAME;
                        else if (!strcmp(optarg, "cgroup"))
                                o->group = MB_GROUP_CGROUP;
                        else
                                return mb_usage_error(
                                    cli, "invalid value '%s' for --group (name or cgroup)", optarg);
                        break;
                case OPT_CSV:
                        o->csv = true;
                        break;
                case OPT_ALL:
                        o->all = true;
                        break;
                default:
                        return mb_bad_option(cli, argc, argv, c);
                }
        }
        if (optind < argc)
                return mb_usage_error(cli, "unexpected argument '%s'", argv[optind]);
        if (o->csv && cli->json)
                return mb_usage_error(cli, "--csv and --json cannot be combined");
        return 0;
}

/*
 * Rows whose process exited before its command line was read are dropped,
 * as the /proc collector drops a process that vanishes mid-scan.  The rows
 * after n (not shown) stay behind them.  The new n.
 */
static size_t drop_gone(struct mb_proctab *t, size_t n)
{
        size_t k = 0;

        for (size_t i = 0; i < n; i++) {
                if (t->p[i].flags & MB_P_GONE) {
                        t->n_vanished++;
                        continue;
                }
                if (k != i) {
                        struct mb_proc tmp = t->p[k];
                        t->p[k] = t->p[i];
                        t->p[i] = tmp;
                }
                k++;
        }
        return k;
}

/* Does the listing show, sort by or group on column c? */
static bool shows(const struct procs_opts *o, enum mb_col c)
{
        if (o->sort == c)
                return true;
        for (int i = 0; i < o->ncols; i++)
                if (o->cols[i] == c)
                        return true;
        return false;
}

static void csv_field(FILE *f, const char *s)
{
        if (!strpbrk(s, ",\"\n\r")) {
                fputs(s, f);
                return;
        }
        fputc('"', f);
        for (; *s; s++) {
                if (*s == '"')
                        fputc('"', f);
                fputc(*s, f);
        }
        fputc('"', f);
}

/* Text of a non-size column. */
static const char *text_cell(const struct mb_proctab *t, const struct mb_proc *p, enum mb_col c,
                             char *buf, size_t len)
{
        const char *cl;

        switch (c) {
        case MB_COL_PID:
        case MB_COL_PPID:
                if (len < 24)
                        return "";
                mb_fmt_u64((uint64_t)(c == MB_COL_PID ? p->pid : p->ppid), buf);
                return buf;
        case MB_COL_USER:
                return mb_user_name(p->uid);
        case MB_COL_NAME:
                return p->name;
        case MB_COL_CMDLINE:
                cl = mb_proc_cmdline(t, p);
                if (*cl)
                        return cl;
                snprintf(buf, len, "[%s]", p->name);
                return buf;
        default:
                return "";
        }
}

static void render_procs(struct mb_cli *cli, const struct procs_opts *o, const struct mb_proctab *t,
                         size_t n, const char *collector)
{
        FILE *f = cli->out;
        char buf[96];

        if (cli->json) {
                json_t *j = json_object(), *arr = json_array(), *tot = json_object();
                for (size_t i = 0; i < n; i++)
                        json_array_append_new(arr, mb_json_proc(t, &t->p[i]));
                json_object_set_new(j, "processes", arr);
                json_object_set_new(tot, "count", json_integer((json_int_t)n));
                for (int c = 0; c < MB_COL_COUNT; c++) {
                        int64_t s = 0;
                        size_t known = 0;
                        if (!mb_cols[c].size)
                                continue;
                        for (size_t i = 0; i < n; i++) {
                                int64_t v = mb_col_value(&t->p[i], (enum mb_col)c);
                                if (v != MB_UNKNOWN)
                                        s += v, known++;
                        }
                        json_object_set_new(tot, mb_cols[c].json,
                                            known ? json_integer(s) : json_null());
                }
                json_object_set_new(j, "totals", tot);
                json_object_set_new(j, "scan", mb_json_scan(t));
                json_object_set_new(j, "collector", json_string(collector));
                mb_json_print(j, f);
                return;
        }
        if (o->csv) {
                for (int c = 0; c < o->ncols; c++)
                        fprintf(f, "%s%s", c ? "," : "", mb_cols[o->cols[c]].name);
                fputc('\n', f);
                for (size_t i = 0; i < n; i++) {
                        for (int c = 0; c < o->ncols; c++) {
                                enum mb_col col = o->cols[c];
                                if (c)
                                        fputc(',', f);
                                if (mb_cols[col].size) {
                                        int64_t v = mb_col_value(&t->p[i], col);
                                        if (v != MB_UNKNOWN)
                                                fprintf(f, "%lld", (long long)v);
                                } else {
                                        csv_field(f, text_cell(t, &t->p[i], col, buf, sizeof(buf)));
                                }
                        }
                        fputc('\n', f);
                }
                return;
        }
        struct mb_table tab;
        mb_table_init(&tab);
        for (int c = 0; c < o->ncols; c++) {
                enum mb_col col = o->cols[c];
                mb_table_col(&tab, mb_cols[col].header, mb_cols[col].size || col <= MB_COL_PPID,
                             col == MB_COL_CMDLINE ? 120
                             : col == MB_COL_USER  ? 12
                                                   : 0);
        }
        for (size_t i = 0; i < n; i++)
                for (int c = 0; c < o->ncols; c++) {
                        enum mb_col col = o->cols[c];
                        if (mb_cols[col].size)
                                mb_table_size(&tab, mb_col_value(&t->p[i], col));
                        else
                                mb_table_cell(&tab, text_cell(t, &t->p[i], col, buf, sizeof(buf)));
                }
        mb_table_print(&tab, f, true);
        mb_table_release(&tab);
}

static void render_groups(struct mb_cli *cli, const struct procs_opts *o, const struct mb_groups *g,
                          size_t n)
{
        FILE *f = cli->out;
        const char *keyname = o->group == MB_GROUP_NAME ? "name" : "cgroup";

        if (cli->json) {
                json_t *j = json_object(), *arr = json_array();
                for (size_t i = 0; i < n; i++) {
                        json_t *go = json_object();
                        json_object_set_new(go, keyname, mb_json_str(g->g[i].key));
                        json_object_set_new(go, "count", json_integer(g->g[i].count));
                        for (int c = 0; c < MB_COL_COUNT; c++)
                                if (mb_cols[c].size)
                                        json_object_set_new(go, mb_cols[c].json,
                                                            mb_json_size(g->g[i].sum[c]));
                        json_array_append_new(arr, go);
                }
                json_object_set_new(j, "groups", arr);
                mb_json_print(j, f);
                return;
        }
        if (o->csv) {
                fprintf(f, "%s,count", keyname);
                for (int c = 0; c < o->ncols; c++)
                        if (mb_cols[o->cols[c]].size)
                                fprintf(f, ",%s", mb_cols[o->cols[c]].name);
                fputc('\n', f);
                for (size_t i = 0; i < n; i++) {
                        csv_field(f, g->g[i].key);
                        fprintf(f, ",%u", g->g[i].count);
                        for (int c = 0; c < o->ncols; c++) {
                                int64_t v;
                                if (!mb_cols[o->cols[c]].size)
                                        continue;
                                v = g->g[i].sum[o->cols[c]];
                                fputc(',', f);
                                if (v != MB_UNKNOWN)
                                        fprintf(f, "%lld", (long long)v);
                        }
                        fputc('\n', f);
                }
                return;
        }
        struct mb_table tab;
        mb_table_init(&tab);
        mb_table_col(&tab, o->group == MB_GROUP_NAME ? "NAME" : "CGROUP", false, 80);
        mb_table_col(&tab, "PROCS", true, 0);
        for (int c = 0; c < o->ncols; c++)
                if (mb_cols[o->cols[c]].size)
                        mb_table_col(&tab, mb_cols[o->cols[c]].header, true, 0);
        for (size_t i = 0; i < n; i++) {
                mb_table_cell(&tab, g->g[i].key);
                mb_table_cellf(&tab, "%u", g->g[i].count);
                for (int c = 0; c < o->ncols; c++)
                        if (mb_cols[o->cols[c]].size)
                                mb_table_size(&tab, g->g[i].sum[o->cols[c]]);
        }
        mb_table_print(&tab, f, true);
        mb_table_release(&tab);
}

int cmd_procs(int argc, char **argv, struct mb_cli *cli)
{
        struct procs_opts o = {.sort = MB_COL_RSS};
        struct mb_scan_filter filter = {0};
        struct mb_snapshot s;
        struct mb_error err = {0};
        unsigned scan = 0, what = MB_SNAP_PROCS;
        size_t n;
        int r, code = MB_EXIT_OK;

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
                        r = mb_usage_error(cli, "unknown user '%s' for --user", o.user);
                        goto out_opts;
                }
                filter.has_uid = true;
                filter.uid = uid;
        }
        if ((r = mb_cli_root(cli)))
                goto out_opts;

        /* Read only what the shown columns, the sort key and the grouping need;
         * JSON without --columns carries every field. */
        for (int c = 0; c < o.ncols; c++)
                scan |= mb_cols[o.cols[c]].scan;
        scan |= mb_cols[o.sort].scan;
        if (cli->json && !o.cols_given)
                scan |= MB_SCAN_CMDLINE | MB_SCAN_ROLLUP | MB_SCAN_GPU;
        if (o.group == MB_GROUP_CGROUP)
                scan |= MB_SCAN_CGROUP;
        if (!cli->json && !o.user && !shows(&o, MB_COL_PPID) && !shows(&o, MB_COL_USER))
                scan |= MB_SCAN_NO_IDS;
        /* Command lines for the rows shown only (a fast collector, then a
         * read per row), unless the match needs every one of them. */
        if ((scan & MB_SCAN_CMDLINE) && !o.has_match && o.group == MB_GROUP_NONE)
                scan = (scan & ~MB_SCAN_CMDLINE) | MB_SCAN_CMDLINE_LATER;
        if (scan & MB_SCAN_GPU)
                what |= MB_SNAP_GPU;
        filter.match = o.has_match ? &o.match : NULL;
        filter.min_rss = o.min_rss;
        filter.min_swap = o.min_swap;
        filter.skip_kthreads = !o.all;

        mb_snapshot_init(&s);
        r = mb_snapshot_take(&cli->root, what, scan, &filter, &s, &err);
        if (r < 0) {
                code = mb_runtime_error(cli, "%s: %s", err.where, err.msg);
                goto out;
        }
        if (cli->debug && strcmp(s.collector, "bpf")) {
                const char *why = getenv("MEMBUDGET_COLLECTOR") ? "MEMBUDGET_COLLECTOR is set"
                                  : !cli->root.live             ? "a captured --proc-root"
                                  : (scan & (MB_SCAN_CMDLINE | MB_SCAN_CGROUP)) || o.has_match
                                      ? "command lines and cgroups come from /proc"
                                      : mb_bpf_unavailable_reason();
                mb_debug(cli, "collector: %s (not bpf: %s)", s.collector, why);
        } else {
                mb_debug(cli, "collector: %s", s.collector);
        }
        if (!cli->json)
                mb_warn_pss_denied(s.procs.n_pss_denied, "PSS");
        if (o.group != MB_GROUP_NONE) {
                struct mb_groups g;
                if (mb_procs_group(&s.procs, o.group, &g) < 0) {
                        code = mb_runtime_error(cli, "out of memory");
                        goto out;
                }
                mb_groups_sort(&g, o.sort);
                n = o.top && (size_t)o.top < g.n ? (size_t)o.top : g.n;
                render_groups(cli, &o, &g, n);
                mb_groups_release(&g);
        } else {
                mb_procs_sort(&s.procs, o.sort);
                n = o.top && (size_t)o.top < s.procs.n ? (size_t)o.top : s.procs.n;
                if ((scan & MB_SCAN_CMDLINE_LATER) && !(s.procs.flags & MB_SCAN_CMDLINE)) {
                        if (mb_proc_read_cmdlines(&cli->root, &s.procs, n) < 0) {
                                code = mb_runtime_error(cli, "out of memory");
                                goto out;
                        }
                        n = drop_gone(&s.procs, n);
                }
                render_procs(cli, &o, &s.procs, n, s.collector);
        }
out:
        mb_snapshot_release(&s);
        r = code;
out_opts:
        if (o.has_match)
                regfree(&o.match);
        return r;
}
