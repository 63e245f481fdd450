/* cmd-report.c: "membudget report": a period summary from the history store. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/config/config.h"
#include "../lib/diag/report.h"
#include "../lib/out/json.h"
#include "../lib/out/report.h"
#include "cli-diag.h"
#include "cli.h"

const char cmd_report_help[] =
    "usage: membudget report [--since WHEN] [--until WHEN] [--compare SINCE..UNTIL]\n"
    "                        [--svg FILE] [--history FILE] [--leak-window DURATION]\n"
    "                        [--leak-rate SIZE] [--top N] [--json]\n"
    "\n"
    "  --since WHEN        start of the period (default 7d): a duration back from now\n"
    "                      (30m, 24h, 7d, 2w) or a local time (2026-12-01, 2026-12-01T10:00,\n"
    "                      '2026-12-01 10:00:00', @EPOCH)\n"
    "  --until WHEN        end of the period (default now)\n"
    "  --compare A..B      put the period A..B beside it as \"before\" (e.g. 14d..7d)\n"
    "  --svg FILE          write a chart of RAM, swap and VRAM with the budget lines\n"
    "  --history FILE      history file (default monitor.history or STATE_DIR/history.db)\n"
    "  --leak-window DUR   sliding window of the leak detector (default 30m)\n"
    "  --leak-rate SIZE    growth per hour that counts as a leak (default 50M)\n"
    "  --top N             offenders listed by peak and by mean (default 10)\n"
    "\n"
    "Markdown on stdout by default; --json for a JSON document.  Exit 3 when there is\n"
    "no history or no sample in the period.\n";

struct report_opts {
        const char *since, *until, *compare, *svg, *history, *now;
        double leak_window_s;
        double leak_rate; /* bytes per second */
        long top;
};

static int opt_when(struct cli *cli, const char *opt, const char *val, double now, double *ret)
{
        if (mb_report_parse_when(val, now, ret) < 0)
                return cli_usage_error(cli,
                                       "invalid time '%s' for %s (expected e.g. 30m, 24h, 7d, "
                                       "2026-12-01, 2026-12-01T10:00 or @EPOCH)",
                                       val, opt);
        return 0;
}

static int parse(int argc, char **argv, struct cli *cli, struct report_opts *o)
{
        enum {
                OPT_SINCE = 0x100,
                OPT_UNTIL,
                OPT_COMPARE,
                OPT_SVG,
                OPT_HISTORY,
                OPT_LEAK_WINDOW,
                OPT_LEAK_RATE,
                OPT_TOP,
                OPT_NOW,
        };
        static const struct option longopts[] = {
            {"since", required_argument, NULL, OPT_SINCE},
            {"until", required_argument, NULL, OPT_UNTIL},
            {"compare", required_argument, NULL, OPT_COMPARE},
            {"svg", required_argument, NULL, OPT_SVG},
            {"history", required_argument, NULL, OPT_HISTORY},
            {"leak-window", required_argument, NULL, OPT_LEAK_WINDOW},
            {"leak-rate", required_argument, NULL, OPT_LEAK_RATE},
            {"top", required_argument, NULL, OPT_TOP},
            {"now", required_argument, NULL, OPT_NOW}, /* hidden: for reproducible tests */
            {NULL, 0, NULL, 0},
        };
        int c, r;

        cli_getopt_reset();
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_SINCE:
                        o->since = optarg;
                        break;
                case OPT_UNTIL:
                        o->until = optarg;
                        break;
                case OPT_COMPARE:
                        o->compare = optarg;
                        break;
                case OPT_SVG:
                        o->svg = optarg;
                        break;
                case OPT_HISTORY:
                        o->history = optarg;
                        break;
                case OPT_NOW:
                        o->now = optarg;
                        break;
                case OPT_LEAK_WINDOW:
                        if (mb_report_parse_duration(optarg, &o->leak_window_s) < 0 ||
                            o->leak_window_s < 1)
                                return cli_usage_error(cli,
                                                       "invalid duration '%s' for --leak-window "
                                                       "(expected e.g. 10s, 30m, 2h)",
                                                       optarg);
                        break;
                case OPT_LEAK_RATE: {
                        char buf[64];
                        size_t len = strlen(optarg);
                        int64_t v;
                        /* "50M" or "50M/h": per hour either way. */
                        if (len >= sizeof(buf))
                                return cli_usage_error(cli, "invalid size '%s' for --leak-rate",
                                                       optarg);
                        memcpy(buf, optarg, len + 1);
                        if (len > 2 && !strcmp(buf + len - 2, "/h"))
                                buf[len - 2] = '\0';
                        if ((r = cli_opt_size(cli, "--leak-rate", buf, &v)))
                                return r;
                        if (v <= 0)
                                return cli_usage_error(cli,
                                                       "invalid size '%s' for --leak-rate (must "
                                                       "be above 0)",
                                                       optarg);
                        o->leak_rate = (double)v / 3600;
                        break;
                }
                case OPT_TOP:
                        if ((r = cli_opt_uint(cli, "--top", optarg, 1000, &o->top)))
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

/* The period and the --compare period from the options. */
struct period {
        double now, since, until, bsince, buntil;
};

static int parse_period(struct cli *cli, const struct report_opts *o, struct period *w)
{
        int r;

        w->now = mb_now_wall();
        if (o->now && (r = opt_when(cli, "--now", o->now, mb_now_wall(), &w->now)))
                return r;
        if ((r = opt_when(cli, "--since", o->since ? o->since : "7d", w->now, &w->since)))
                return r;
        w->until = w->now;
        if (o->until && (r = opt_when(cli, "--until", o->until, w->now, &w->until)))
                return r;
        if (w->until <= w->since)
                return cli_usage_error(cli, "--until '%s' is not after --since '%s'",
                                       o->until ? o->until : "now", o->since ? o->since : "7d");
        r = o->compare ? mb_report_parse_range(o->compare, w->now, &w->bsince, &w->buntil) : 0;
        if (r == -ERANGE)
                return cli_usage_error(cli, "--compare '%s': the end is not after the start",
                                       o->compare);
        if (r < 0)
                return cli_usage_error(cli,
                                       "invalid value '%s' for --compare (expected SINCE..UNTIL, "
                                       "e.g. 14d..7d, 2026-12-01..2026-12-02)",
                                       o->compare);
        return 0;
}

int cmd_report(int argc, char **argv, struct cli *cli)
{
        struct report_opts o = {
            .leak_window_s = 1800, .leak_rate = 50.0 * 1024 * 1024 / 3600, .top = 10};
        const struct mb_config *cfg;
        struct mb_history *h = NULL;
        struct mb_report_req q = {0};
        struct mb_report_data d = {0};
        struct mb_error err = {0};
        struct period w = {0};
        char path[1100];
        int r, code = CLI_EXIT_OK;

        if ((r = parse(argc, argv, cli, &o)))
                return r;
        if ((r = parse_period(cli, &o, &w)))
                return r;
        if ((r = cli_config(cli, &cfg)))
                return r;

        if ((r = cli_history_path(cli, cfg, o.history, false, path, sizeof(path))))
                return r;
        r = mb_history_open(path, false, &h, &err);
        if (r == -ENOENT)
                return cli_runtime_error(cli,
                                         "no history at '%s' (record one with 'membudget watch "
                                         "--record')",
                                         path);
        if (r < 0)
                return cli_runtime_error(cli, "%s", err.msg);

        q.since = w.since;
        q.until = w.until;
        q.compare = o.compare != NULL;
        q.bsince = w.bsince;
        q.buntil = w.buntil;
        q.leak_window_s = o.leak_window_s;
        q.leak_rate = o.leak_rate;
        q.top = (size_t)o.top;
        r = mb_report_build(h, cfg, &q, &d, &err);
        if (r == -ENODATA && err.msg[0])
                code = cli_runtime_error(cli, "no samples in history '%s' %s", path, err.msg);
        else if (r == -ENODATA)
                code = cli_runtime_error(cli, "history '%s' holds no samples", path);
        else if (r == -ENOMEM)
                code = cli_runtime_error(cli, "out of memory");
        else if (r < 0)
                code = cli_runtime_error(cli, "%s", err.msg);
        if (r < 0)
                goto out;
        if (o.svg) {
                r = mb_report_svg_file(o.svg, d.rows, d.n, &d.rep);
                if (r < 0) {
                        code = cli_runtime_error(cli, "cannot write the chart to '%s': %s", o.svg,
                                                 mb_strerror(r));
                        goto out;
                }
                d.rep.svg_path = o.svg;
        }
        if (cli->json)
                mb_json_print(mb_report_json(&d.rep), cli->out);
        else
                mb_report_markdown(cli->out, &d.rep);
out:
        mb_report_data_release(&d);
        mb_history_close(h);
        return code;
}
