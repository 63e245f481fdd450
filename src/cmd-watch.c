/* cmd-watch.c: "membudget watch": one line (or a refreshing screen) per tick,
 * optionally recorded into the history store. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/config/config.h"
#include "../lib/diag/watch.h"
#include "../lib/out/screen.h"
#include "../lib/out/watch.h"
#include "../lib/store/history.h"
#include "cli-diag.h"
#include "cli.h"

const char cmd_watch_help[] =
    "usage: membudget watch [--interval SECONDS] [--count N] [--csv | --json | --screen]\n"
    "                       [--record [--history FILE]] [--top-n N] [--target REGEX]\n"
    "\n"
    "  --interval SECONDS  time between ticks (default monitor.interval_s, 10; fractions\n"
    "                      such as 0.2 are fine)\n"
    "  --count N           stop after N ticks (default: until Ctrl-C / SIGTERM)\n"
    "  --csv               CSV with a header and raw byte values\n"
    "  --json              one JSON object per line\n"
    "  --screen            full-screen view with the top processes (q quits)\n"
    "  --record            also write every tick into the history store (default\n"
    "                      monitor.record)\n"
    "  --history FILE      history file (default monitor.history or STATE_DIR/history.db)\n"
    "  --top-n N           processes recorded per tick besides the target (default\n"
    "                      monitor.top_n, 10)\n"
    "  --target REGEX      the target's processes (default target.match): recorded every\n"
    "                      tick, with their descendants, and summed\n"
    "\n"
    "Ticks follow the monotonic clock without drift; a tick that could not run on time\n"
    "is reported on stderr (\"missed N tick(s)\").\n";

struct watch_opts {
        double interval_s;
        long count;
        enum mb_watch_fmt fmt;
        bool record;
        const char *history;
        long top_n;
        bool has_target;
        regex_t target;
};

static int parse(int argc, char **argv, struct cli *cli, struct watch_opts *o)
{
        enum {
                OPT_INTERVAL = 0x100,
                OPT_COUNT,
                OPT_CSV,
                OPT_SCREEN,
                OPT_RECORD,
                OPT_HISTORY,
                OPT_TOP_N,
                OPT_TARGET,
        };
        static const struct option longopts[] = {
            {"interval", required_argument, NULL, OPT_INTERVAL},
            {"count", required_argument, NULL, OPT_COUNT},
            {"csv", no_argument, NULL, OPT_CSV},
            {"screen", no_argument, NULL, OPT_SCREEN},
            {"record", no_argument, NULL, OPT_RECORD},
            {"history", required_argument, NULL, OPT_HISTORY},
            {"top-n", required_argument, NULL, OPT_TOP_N},
            {"target", required_argument, NULL, OPT_TARGET},
            {NULL, 0, NULL, 0},
        };
        int c, r;

        cli_getopt_reset();
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_INTERVAL:
                        if ((r = cli_opt_double(cli, "--interval", optarg, 0.05, 86400,
                                                &o->interval_s)))
                                return r;
                        break;
                case OPT_COUNT:
                        if ((r = cli_opt_uint(cli, "--count", optarg, 1000000000, &o->count)))
                                return r;
                        if (o->count == 0)
                                return cli_usage_error(cli, "invalid value '0' for --count "
                                                            "(expected 1 or more)");
                        break;
                case OPT_CSV:
                case OPT_SCREEN: {
                        enum mb_watch_fmt f = c == OPT_CSV ? MB_WATCH_CSV : MB_WATCH_SCREEN;
                        if (o->fmt != MB_WATCH_TEXT && o->fmt != f)
                                return cli_usage_error(cli,
                                                       "--csv and --screen cannot be combined");
                        o->fmt = f;
                        break;
                }
                case OPT_RECORD:
                        o->record = true;
                        break;
                case OPT_HISTORY:
                        o->history = optarg;
                        break;
                case OPT_TOP_N:
                        if ((r = cli_opt_uint(cli, "--top-n", optarg, 100000, &o->top_n)))
                                return r;
                        break;
                case OPT_TARGET:
                        if ((r = cli_opt_regex(cli, "--target", optarg, &o->target,
                                               &o->has_target)))
                                return r;
                        break;
                default:
                        return cli_bad_option(cli, argc, argv, c);
                }
        }
        if (optind < argc)
                return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
        if (cli->json && o->fmt == MB_WATCH_CSV)
                return cli_usage_error(cli, "--csv and --json cannot be combined");
        if (cli->json && o->fmt == MB_WATCH_SCREEN)
                return cli_usage_error(cli, "--screen and --json cannot be combined");
        if (cli->json)
                o->fmt = MB_WATCH_JSON;
        if (o->fmt == MB_WATCH_SCREEN && (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)))
                return cli_usage_error(cli, "--screen needs a terminal");
        return 0;
}

struct watch_run {
        struct cli *cli;
        struct watch_opts *o;
        struct mb_diag d; /* the sampler: rates from the previous tick */
        struct mb_history *h;
        char path[1100];
        bool screen;
        struct mb_ticker tick;
};

/* Defaults from the configuration, the history to record into, ncurses. */
static int watch_open(struct watch_run *w)
{
        struct watch_opts *o = w->o;
        struct cli *cli = w->cli;
        const struct mb_config *cfg;
        int r;

        if ((r = cli_config(cli, &cfg)))
                return r;
        if (o->interval_s < 0)
                o->interval_s = cfg->monitor_interval_s > 0 ? cfg->monitor_interval_s : 10;
        if (o->top_n < 0)
                o->top_n = cfg->monitor_top_n >= 0 ? cfg->monitor_top_n : 10;
        if (!o->has_target && cfg->target_match[0] &&
            (r = cli_opt_regex(cli, "target.match", cfg->target_match, &o->target, &o->has_target)))
                return r;
        o->record |= cfg->monitor_record;
        if (o->history && !o->record)
                return cli_usage_error(cli, "--history needs --record");
        if ((r = cli_root(cli)))
                return r;
        if (o->record) {
                struct mb_error err = {0};
                if ((r = cli_history_path(cli, cfg, o->history, true, w->path, sizeof(w->path))))
                        return r;
                if ((r = mb_history_open(w->path, true, &w->h, &err)) < 0)
                        return cli_runtime_error(cli, "%s", err.msg[0] ? err.msg : mb_strerror(r));
                mb_history_set_retention(
                    w->h, cfg->retention_days > 0 ? cfg->retention_days * 86400.0 : 0);
        }
        if (o->fmt == MB_WATCH_SCREEN) {
                char why[256];
                if (mb_screen_load(why, sizeof(why)) < 0)
                        return cli_runtime_error(
                            cli, "watch --screen: %s (Debian package libncursesw6)", why);
        }
        mb_diag_watch_setup(&w->d, cfg, o->has_target ? &o->target : NULL, (size_t)o->top_n);
        return 0;
}

/* One tick: sample, record, show.  0, or the exit code that ends the loop. */
static int watch_tick(struct watch_run *w)
{
        struct cli *cli = w->cli;
        struct mb_error err = {0};
        struct mb_watch_tick tk;
        int r;

        r = mb_diag_sample(&w->d, &cli->root, &err);
        if (r == -ENOMEM)
                return cli_runtime_error(cli, "out of memory");
        if (r < 0)
                return cli_runtime_error(cli, "cannot read %s: %s", err.where, err.msg);
        mb_watch_tick_fill(&w->d.snap, &w->d.target, &tk);
        if (w->h && (r = mb_diag_record(&w->d, w->h, (size_t)w->o->top_n, &err)) < 0)
                return cli_runtime_error(cli, "cannot record into '%s': %s", w->path, err.msg);
        if (w->screen) {
                mb_screen_draw(&(struct mb_screen_head){w->o->interval_s, w->tick.missed,
                                                        w->h ? w->path : NULL},
                               &tk, &w->d.snap);
                return 0;
        }
        mb_out_watch_line(cli->out, w->o->fmt, &tk, &w->d.snap.procs);
        return fflush(cli->out) == 0
                   ? 0
                   : cli_runtime_error(cli, "cannot write the output: %s", strerror(errno));
}

int cmd_watch(int argc, char **argv, struct cli *cli)
{
        struct watch_opts o = {.interval_s = -1, .top_n = -1};
        struct watch_run w = {.cli = cli, .o = &o};
        struct mb_stop stop;
        volatile sig_atomic_t *stop_sig;
        long done = 0;
        int code;

        mb_scan_set_threads(1); /* a daemon: one CPU at a time, never a burst */
        mb_diag_init(&w.d);
        if ((code = parse(argc, argv, cli, &o)) || (code = watch_open(&w)))
                goto out;

        stop_sig = mb_stop_catch(&stop);
        if ((w.screen = o.fmt == MB_WATCH_SCREEN))
                mb_screen_start();
        if (o.fmt == MB_WATCH_CSV)
                mb_out_watch_csv_header(cli->out);
        mb_ticker_init(&w.tick, o.interval_s, stop_sig);
        while (!*stop_sig) {
                long missed;
                if (w.screen ? !mb_screen_wait(mb_ticker_due(&w.tick), stop_sig)
                             : !mb_ticker_sleep(&w.tick))
                        break;
                if ((code = watch_tick(&w)))
                        break;
                if (o.count && ++done >= o.count)
                        break;
                if ((missed = mb_ticker_advance(&w.tick)) && !w.screen)
                        fprintf(stderr, "membudget watch: missed %ld tick(s)\n", missed);
        }
        if (w.screen)
                mb_screen_stop();
        mb_stop_restore(&stop);
out:
        mb_diag_release(&w.d);
        mb_history_close(w.h);
        if (o.has_target)
                regfree(&o.target);
        return code;
}
