/* cmd-watch.c: "membudget watch": one line (or a refreshing screen) per tick,
 * optionally recorded into the history store. */
#define _GNU_SOURCE
#include <curses.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/analyze/procsel.h"
#include "../lib/analyze/target.h"
#include "../lib/collect/snapshot.h"
#include "../lib/config/config.h"
#include "../lib/out/watch.h"
#include "../lib/store/history.h"
#include "../lib/util/dynlib.h"
#include "../lib/util/size.h"
#include "../lib/util/text.h"
#include "../lib/util/users.h"
#include "cli-diag.h"
#include "cli.h"

/*
 * ncurses is loaded for --screen only (lib/util/dynlib.h): the functions and
 * variables below, which curses.h's macros (getch(), clear(), move(), ...)
 * expand to, are these pointers.
 */
#define CURSES_SONAME "libncursesw.so.6"

static struct {
        void *lib;
        __typeof__(initscr) *initscr;
        __typeof__(cbreak) *cbreak;
        __typeof__(noecho) *noecho;
        __typeof__(keypad) *keypad;
        __typeof__(nodelay) *nodelay;
        __typeof__(curs_set) *curs_set;
        __typeof__(endwin) *endwin;
        __typeof__(wgetch) *wgetch;
        __typeof__(wclear) *wclear;
        __typeof__(werase) *werase;
        __typeof__(wmove) *wmove;
        __typeof__(wrefresh) *wrefresh;
        __typeof__(wattr_on) *wattr_on;
        __typeof__(wattr_off) *wattr_off;
        __typeof__(wtimeout) *wtimeout;
        __typeof__(waddnstr) *waddnstr;
        __typeof__(mvprintw) *mvprintw;
        WINDOW **stdscr;
        int *COLS, *LINES;
} cu;

static int curses_load(char *why, size_t len)
{
#define SYM(f)                                                                                     \
        {                                                                                          \
#f, (void **)&cu.f                                                                 \
        }
        static const struct mb_dl_sym syms[] = {
            SYM(initscr),  SYM(cbreak),   SYM(noecho),   SYM(keypad),    SYM(nodelay),
            SYM(curs_set), SYM(endwin),   SYM(wgetch),   SYM(wclear),    SYM(werase),
            SYM(wmove),    SYM(wrefresh), SYM(wattr_on), SYM(wattr_off), SYM(wtimeout),
            SYM(waddnstr), SYM(mvprintw), SYM(stdscr),   SYM(COLS),      SYM(LINES),
        };
#undef SYM
        return mb_dl_load(&cu.lib, CURSES_SONAME, syms, MB_ARRAY_SIZE(syms), why, len);
}

#define initscr   cu.initscr
#define cbreak    cu.cbreak
#define noecho    cu.noecho
#define keypad    cu.keypad
#define nodelay   cu.nodelay
#define curs_set  cu.curs_set
#define endwin    cu.endwin
#define wgetch    cu.wgetch
#define wclear    cu.wclear
#define werase    cu.werase
#define wmove     cu.wmove
#define wrefresh  cu.wrefresh
#define wattr_on  cu.wattr_on
#define wattr_off cu.wattr_off
#define wtimeout  cu.wtimeout
#define waddnstr  cu.waddnstr
#define mvprintw  cu.mvprintw
#undef stdscr
#undef COLS
#undef LINES
#define stdscr (*cu.stdscr)
#define COLS   (*cu.COLS)
#define LINES  (*cu.LINES)

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

enum watch_fmt { FMT_TEXT, FMT_CSV, FMT_JSON, FMT_SCREEN };

struct watch_opts {
        double interval_s;
        long count;
        enum watch_fmt fmt;
        bool record;
        const char *history;
        long top_n;
        bool has_target;
        regex_t target;
};

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
        stop_sig = sig;
}

static int parse(int argc, char **argv, struct mb_cli *cli, struct watch_opts *o)
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

        mb_getopt_reset();
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_INTERVAL:
                        if ((r = mb_opt_double(cli, "--interval", optarg, 0.05, 86400,
                                               &o->interval_s)))
                                return r;
                        break;
                case OPT_COUNT:
                        if ((r = mb_opt_uint(cli, "--count", optarg, 1000000000, &o->count)))
                                return r;
                        if (o->count == 0)
                                return mb_usage_error(cli, "invalid value '0' for --count "
                                                           "(expected 1 or more)");
                        break;
                case OPT_CSV:
                        if (o->fmt == FMT_SCREEN)
                                return mb_usage_error(cli, "--csv and --screen cannot be combined");
                        o->fmt = FMT_CSV;
                        break;
                case OPT_SCREEN:
                        if (o->fmt == FMT_CSV)
                                return mb_usage_error(cli, "--csv and --screen cannot be combined");
                        o->fmt = FMT_SCREEN;
                        break;
                case OPT_RECORD:
                        o->record = true;
                        break;
                case OPT_HISTORY:
                        o->history = optarg;
                        break;
                case OPT_TOP_N:
                        if ((r = mb_opt_uint(cli, "--top-n", optarg, 100000, &o->top_n)))
                                return r;
                        break;
                case OPT_TARGET:
                        if ((r = mb_opt_regex(cli, "--target", optarg, &o->target, &o->has_target)))
                                return r;
                        break;
                default:
                        return mb_bad_option(cli, argc, argv, c);
                }
        }
        if (optind < argc)
                return mb_usage_error(cli, "unexpected argument '%s'", argv[optind]);
        if (cli->json && o->fmt == FMT_CSV)
                return mb_usage_error(cli, "--csv and --json cannot be combined");
        if (cli->json && o->fmt == FMT_SCREEN)
                return mb_usage_error(cli, "--screen and --json cannot be combined");
        if (cli->json)
                o->fmt = FMT_JSON;
        if (o->fmt == FMT_SCREEN && (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)))
                return mb_usage_error(cli, "--screen needs a terminal");
        return 0;
}

/* ---- full-screen view ------------------------------------------------- */

static void screen_draw(const struct watch_opts *o, const struct mb_watch_tick *k,
                        const struct mb_snapshot *s, unsigned long missed, const char *record)
{
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN], c[MB_SIZE_STRLEN], ts[32];
        time_t tt = (time_t)k->wall;
        struct tm tm;
        int row = 0, shown = 0;

        if (!localtime_r(&tt, &tm) || !strftime(ts, sizeof(ts), "%H:%M:%S", &tm))
                ts[0] = '\0';
        erase();
        attron(A_BOLD);
        mvprintw(row++, 0, "membudget watch  %s  every %gs%s%s   q quits", ts, o->interval_s,
                 record ? "  recording to " : "", record ? record : "");
        attroff(A_BOLD);
        if (missed)
                mvprintw(row - 1, COLS > 30 ? COLS - 30 : 0, "missed %lu tick(s)", missed);
        row++;
        mvprintw(row++, 0, "RAM   %s used of %s, %s available",
                 mb_size_format(k->ram_used, a, sizeof(a)),
                 mb_size_format((int64_t)s->mem.total, b, sizeof(b)),
                 mb_size_format(k->ram_avail, c, sizeof(c)));
        mvprintw(row++, 0, "swap  %s used of %s", mb_size_format(k->swap_used, a, sizeof(a)),
                 mb_size_format((int64_t)s->mem.swap_total, b, sizeof(b)));
        if (k->rates.valid)
                mvprintw(row++, 0, "      in %.1f pages/s, out %.1f pages/s",
                         k->rates.swapin_pages_per_s, k->rates.swapout_pages_per_s);
        else
                mvprintw(row++, 0, "      in -, out - (first tick)");
        mvprintw(row++, 0, "VRAM  %s used of %s", mb_size_format(k->vram_used, a, sizeof(a)),
                 mb_size_format(k->vram_total, b, sizeof(b)));
        if (!isnan(k->psi_some10))
                mvprintw(row++, 0, "PSI   some %.2f%%  full %.2f%% (avg10)", k->psi_some10,
                         isnan(k->psi_full10) ? 0.0 : k->psi_full10);
        else
                mvprintw(row++, 0, "PSI   unavailable");
        if (k->tg.configured)
                mvprintw(row++, 0, "target  %u processes, RAM %s (%s), swap %s", k->tg.nprocs,
                         mb_size_format(k->tg.ram, a, sizeof(a)), mb_target_ram_kind(&k->tg),
                         mb_size_format(k->tg.swap, b, sizeof(b)));
        row++;
        attron(A_REVERSE);
        mvprintw(row++, 0, "%7s %-10s %10s %10s %10s  %-s", "PID", "USER", "RSS", "SWAP",
                 "RSS+SWAP", "COMMAND");
        attroff(A_REVERSE);
        for (size_t i = 0; i < s->procs.n && row < LINES; i++) {
                const struct mb_proc *p = &s->procs.p[i];
                const char *cl = mb_proc_cmdline(&s->procs, p);
                char line[512];
                if (p->flags & MB_P_KTHREAD)
                        continue;
                snprintf(line, sizeof(line), "%7d %-10.10s %10s %10s %10s  %s%s", p->pid,
                         mb_user_name(p->uid), mb_size_format(p->rss, a, sizeof(a)),
                         mb_size_format(p->swap, b, sizeof(b)),
                         mb_size_format(mb_proc_rss_swap(p), c, sizeof(c)),
                         (p->flags & MB_P_TARGET) ? "* " : "", *cl ? cl : p->name);
                mb_text_clean_inplace(line);
                mvaddnstr(row++, 0, line, COLS > 0 ? COLS : 80);
                shown++;
        }
        refresh();
}

/* Wait for a key or the deadline.  Returns false when the user quits. */
static bool screen_wait(double deadline, bool *redraw)
{
        for (;;) {
                double now = mb_now_mono();
                struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
                int ms, ch;

                if (stop_sig)
                        return false;
                if (now >= deadline)
                        return true;
                ms = (int)ceil((deadline - now) * 1000);
                if (poll(&pfd, 1, ms) <= 0)
                        continue; /* timeout or EINTR: loop re-checks */
                while ((ch = getch()) != ERR) {
                        if (ch == 'q' || ch == 'Q' || ch == 3)
                                return false;
                        if (ch == KEY_RESIZE)
                                *redraw = true;
                }
        }
}

/* ---- the loop ---------------------------------------------------------- */

static bool sleep_until(double deadline)
{
        struct timespec ts;

        ts.tv_sec = (time_t)deadline;
        ts.tv_nsec = (long)((deadline - floor(deadline)) * 1e9);
        if (ts.tv_nsec >= 1000000000L)
                ts.tv_nsec = 999999999L;
        while (!stop_sig) {
                int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
                if (r != EINTR)
                        return true;
        }
        return false;
}

struct watch_run {
        struct mb_cli *cli;
        struct watch_opts *o;
        const struct mb_config *cfg;
        struct mb_diag d; /* the sampler: rates from the previous tick */
        struct mb_history *h;
        char path[1100];
        bool screen, redraw;
        unsigned long missed_total;
};

/* Defaults from the configuration, the history to record into, ncurses. */
static int watch_open(struct watch_run *w)
{
        struct watch_opts *o = w->o;
        struct mb_cli *cli = w->cli;
        const struct mb_config *cfg;
        int r;

        if ((r = mb_cli_config(cli, &cfg)))
                return r;
        w->cfg = cfg;
        if (o->interval_s < 0)
                o->interval_s = cfg->monitor_interval_s > 0 ? cfg->monitor_interval_s : 10;
        if (o->top_n < 0)
                o->top_n = cfg->monitor_top_n >= 0 ? cfg->monitor_top_n : 10;
        if (!o->has_target && cfg->target_match[0] &&
            (r = mb_opt_regex(cli, "target.match", cfg->target_match, &o->target, &o->has_target)))
                return r;
        if (cfg->monitor_record)
                o->record = true;
        if (o->history && !o->record)
                return mb_usage_error(cli, "--history needs --record");
        if ((r = mb_cli_root(cli)))
                return r;
        if (o->record) {
                struct mb_error err = {0};
                if ((r = mb_cli_history_path(cli, cfg, o->history, true, w->path, sizeof(w->path))))
                        return r;
                r = mb_history_open(w->path, true, &w->h, &err);
                if (r < 0)
                        return mb_runtime_error(cli, "%s", err.msg[0] ? err.msg : mb_strerror(r));
                mb_history_set_retention(
                    w->h, cfg->retention_days > 0 ? cfg->retention_days * 86400.0 : 0);
        }
        if (o->fmt == FMT_SCREEN) {
                char why[256];
                if (curses_load(why, sizeof(why)) < 0)
                        return mb_runtime_error(
                            cli, "watch --screen: %s (Debian package libncursesw6)", why);
        }
        w->d.cfg = cfg;
        w->d.target_match = o->has_target ? &o->target : NULL;
        w->d.rates = true; /* from one tick to the next */
        w->d.lazy_gpu_procs = true;
        /* command lines for what is shown or recorded (and the target's) */
        w->d.cmdlines =
            (size_t)o->top_n + 1 > MB_DIAG_CMDLINES ? (size_t)o->top_n + 1 : MB_DIAG_CMDLINES;
        return 0;
}

/* One tick: sample, record, show.  0, or the exit code that ends the loop. */
static int watch_tick(struct watch_run *w)
{
        struct mb_cli *cli = w->cli;
        struct mb_error err = {0};
        struct mb_watch_tick tk;
        int r;

        r = mb_diag_sample(&w->d, &cli->root, &err);
        if (r == -ENOMEM)
                return mb_runtime_error(cli, "out of memory");
        if (r < 0)
                return mb_runtime_error(cli, "cannot read %s: %s", err.where, err.msg);
        mb_watch_tick_fill(&w->d.snap, &w->d.target, &tk);
        if (w->h && (r = mb_diag_record(&w->d, w->h, (size_t)w->o->top_n, &err)) < 0)
                return mb_runtime_error(cli, "cannot record into '%s': %s", w->path, err.msg);
        switch (w->o->fmt) {
        case FMT_TEXT:
                mb_out_watch_text(cli->out, &tk);
                break;
        case FMT_CSV:
                mb_out_watch_csv(cli->out, &tk);
                break;
        case FMT_JSON:
                mb_out_watch_json(cli->out, &tk, &w->d.snap.procs);
                break;
        case FMT_SCREEN:
                screen_draw(w->o, &tk, &w->d.snap, w->missed_total, w->h ? w->path : NULL);
                w->redraw = false;
                break;
        }
        if (!w->screen && fflush(cli->out) != 0)
                return mb_runtime_error(cli, "cannot write the output: %s", strerror(errno));
        return 0;
}

/* The next deadline; ticks whose time passed entirely are reported and
 * skipped, never silently dropped. */
static void watch_skip_missed(struct watch_run *w, double start, long *k)
{
        double now = mb_now_mono(), due = start + (double)*k * w->o->interval_s;
        long missed;

        if (now <= due)
                return;
        missed = (long)floor((now - due) / w->o->interval_s);
        if (missed <= 0)
                return;
        *k += missed;
        w->missed_total += (unsigned long)missed;
        if (!w->screen)
                fprintf(stderr, "membudget watch: missed %ld tick(s)\n", missed);
}

static void screen_start(struct watch_run *w)
{
        initscr();
        cbreak();
        noecho();
        keypad(stdscr, TRUE);
        nodelay(stdscr, TRUE);
        curs_set(0);
        w->screen = true;
}

int cmd_watch(int argc, char **argv, struct mb_cli *cli)
{
        struct watch_opts o = {.interval_s = -1, .top_n = -1};
        struct watch_run w = {.cli = cli, .o = &o};
        struct sigaction sa, old_int, old_term;
        double start;
        long done = 0, k = 0;
        int code;

        mb_scan_set_threads(1); /* a daemon: one CPU at a time, never a burst */
        mb_diag_init(&w.d);
        if ((code = parse(argc, argv, cli, &o)) || (code = watch_open(&w)))
                goto out;

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        stop_sig = 0;
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        if (o.fmt == FMT_SCREEN)
                screen_start(&w);
        if (o.fmt == FMT_CSV)
                mb_out_watch_csv_header(cli->out);

        start = mb_now_mono();
        while (!stop_sig) {
                double due = start + (double)k * o.interval_s;
                if (w.screen ? !screen_wait(due, &w.redraw) : !sleep_until(due))
                        break;
                if ((code = watch_tick(&w)))
                        break;
                if (o.count && ++done >= o.count)
                        break;
                k++;
                watch_skip_missed(&w, start, &k);
        }
        if (w.screen)
                endwin();
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
out:
        mb_diag_release(&w.d);
        mb_history_close(w.h);
        if (o.has_target)
                regfree(&o.target);
        return code;
}
