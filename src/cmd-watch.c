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
#include "../lib/out/json.h"
#include "../lib/out/table.h"
#include "../lib/store/history.h"
#include "../lib/util/dynlib.h"
#include "../lib/util/size.h"
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

/* What one tick shows. */
struct tick {
        double wall;
        int64_t ram_used, ram_avail, swap_used, vram_used, vram_total;
        struct mb_rates rates;
        double psi_some10, psi_full10;
        const struct mb_proc *top;
        struct mb_target tg;
};

static void fill_tick(const struct mb_snapshot *s, bool target_configured, struct tick *k)
{
        memset(k, 0, sizeof(*k));
        k->wall = s->wall;
        k->ram_used = (int64_t)s->mem.used;
        k->ram_avail = (int64_t)s->mem.available;
        k->swap_used = (int64_t)s->mem.swap_used;
        k->vram_used = MB_UNKNOWN;
        k->vram_total = MB_UNKNOWN;
        for (size_t i = 0; i < s->gpus.n; i++) {
                if (s->gpus.dev[i].used != MB_UNKNOWN)
                        k->vram_used =
                            (k->vram_used == MB_UNKNOWN ? 0 : k->vram_used) + s->gpus.dev[i].used;
                if (s->gpus.dev[i].total != MB_UNKNOWN)
                        k->vram_total = (k->vram_total == MB_UNKNOWN ? 0 : k->vram_total) +
                                        s->gpus.dev[i].total;
        }
        k->rates = s->rates;
        k->psi_some10 = s->have_psi ? s->psi.some.avg10 : NAN;
        k->psi_full10 = s->have_psi && s->psi.have_full ? s->psi.full.avg10 : NAN;
        for (size_t i = 0; i < s->procs.n; i++) {
                const struct mb_proc *p = &s->procs.p[i];
                if (p->flags & MB_P_KTHREAD)
                        continue;
                if (!k->top || mb_proc_rss_swap(p) > mb_proc_rss_swap(k->top))
                        k->top = p;
        }
        mb_target_sum(&s->procs, target_configured, &k->tg);
}

static void print_text(FILE *f, const struct tick *k, const struct mb_proctab *t)
{
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN], c[MB_SIZE_STRLEN], d[MB_SIZE_STRLEN];
        char ts[32];
        time_t tt = (time_t)k->wall;
        struct tm tm;

        if (!localtime_r(&tt, &tm) || !strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm))
                snprintf(ts, sizeof(ts), "%.0f", k->wall);
        fprintf(
            f, "%s  ram %s used %s avail  swap %s", ts, mb_size_format(k->ram_used, a, sizeof(a)),
            mb_size_format(k->ram_avail, b, sizeof(b)), mb_size_format(k->swap_used, c, sizeof(c)));
        if (k->rates.valid)
                fprintf(f, "  in %.1f/s out %.1f/s", k->rates.swapin_pages_per_s,
                        k->rates.swapout_pages_per_s);
        else
                fputs("  in -/s out -/s", f);
        fprintf(f, "  vram %s", mb_size_format(k->vram_used, d, sizeof(d)));
        if (!isnan(k->psi_some10))
                fprintf(f, "  psi %.2f", k->psi_some10);
        else
                fputs("  psi -", f);
        if (k->tg.configured)
                fprintf(f, "  target %u procs %s", k->tg.nprocs,
                        mb_size_format(k->tg.ram, a, sizeof(a)));
        if (k->top) {
                fprintf(f, "  top %d ", k->top->pid);
                mb_print_clean(f, k->top->name);
                fprintf(f, " %s", mb_size_format(mb_proc_rss_swap(k->top), a, sizeof(a)));
        }
        fputc('\n', f);
        (void)t;
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

static void csv_i64(FILE *f, int64_t v)
{
        if (v != MB_UNKNOWN)
                fprintf(f, "%lld", (long long)v);
        fputc(',', f);
}

static void print_csv(FILE *f, const struct tick *k)
{
        fprintf(f, "%.3f,", k->wall);
        csv_i64(f, k->ram_used);
        csv_i64(f, k->ram_avail);
        csv_i64(f, k->swap_used);
        if (k->rates.valid)
                fprintf(f, "%.2f,%.2f,", k->rates.swapin_pages_per_s, k->rates.swapout_pages_per_s);
        else
                fputs(",,", f);
        csv_i64(f, k->vram_used);
        if (!isnan(k->psi_some10))
                fprintf(f, "%.2f", k->psi_some10);
        fputc(',', f);
        if (k->top) {
                fprintf(f, "%d,", k->top->pid);
                csv_field(f, k->top->name);
                fprintf(f, ",%lld\n", (long long)mb_proc_rss_swap(k->top));
        } else {
                fputs(",,\n", f);
        }
}

static json_t *j_real(double v)
{
        return isnan(v) ? json_null() : json_real(v);
}

static void print_json(FILE *f, const struct tick *k, const struct mb_proctab *t)
{
        json_t *j = json_object();

        json_object_set_new(j, "time", json_real(k->wall));
        json_object_set_new(j, "ram_used_bytes", mb_json_size(k->ram_used));
        json_object_set_new(j, "ram_available_bytes", mb_json_size(k->ram_avail));
        json_object_set_new(j, "swap_used_bytes", mb_json_size(k->swap_used));
        json_object_set_new(j, "swapin_pages_per_s",
                            k->rates.valid ? json_real(k->rates.swapin_pages_per_s) : json_null());
        json_object_set_new(j, "swapout_pages_per_s",
                            k->rates.valid ? json_real(k->rates.swapout_pages_per_s) : json_null());
        json_object_set_new(j, "vram_used_bytes", mb_json_size(k->vram_used));
        json_object_set_new(j, "psi_some_avg10", j_real(k->psi_some10));
        if (k->tg.configured) {
                json_t *x = json_object();
                json_object_set_new(x, "processes", json_integer(k->tg.nprocs));
                json_object_set_new(x, "ram_bytes", json_integer(k->tg.ram));
                json_object_set_new(x, "swap_bytes", json_integer(k->tg.swap));
                json_object_set_new(x, "vram_bytes", mb_json_size(k->tg.vram));
                json_object_set_new(j, "target", x);
        }
        if (k->top) {
                json_t *x = json_object();
                json_object_set_new(x, "pid", json_integer(k->top->pid));
                json_object_set_new(x, "name", mb_json_str(k->top->name));
                json_object_set_new(x, "cmdline", mb_json_str(mb_proc_cmdline(t, k->top)));
                json_object_set_new(x, "rss_swap_bytes", json_integer(mb_proc_rss_swap(k->top)));
                json_object_set_new(j, "top", x);
        } else {
                json_object_set_new(j, "top", json_null());
        }
        json_dumpf(j, f, JSON_COMPACT);
        fputc('\n', f);
        json_decref(j);
}

/* ---- full-screen view ------------------------------------------------- */

static void screen_draw(const struct watch_opts *o, const struct tick *k,
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
                mvprintw(row++, 0, "target  %u processes, RAM %s, swap %s", k->tg.nprocs,
                         mb_size_format(k->tg.ram, a, sizeof(a)),
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
                for (char *q = line; *q; q++)
                        if ((unsigned char)*q < 0x20)
                                *q = '?';
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

int cmd_watch(int argc, char **argv, struct mb_cli *cli)
{
        struct watch_opts o = {.interval_s = -1, .top_n = -1};
        const struct mb_config *cfg;
        struct mb_snapshot s;
        struct mb_scan_filter filter = {.skip_kthreads = true};
        struct mb_history *h = NULL;
        struct mb_history_proc *recs = NULL;
        size_t recs_cap = 0;
        struct mb_vmstat prev_vm;
        struct sigaction sa, old_int, old_term;
        double start, prev_mono = 0;
        bool have_prev = false, target_on, screen = false, redraw = false;
        unsigned scan_flags = MB_SCAN_STAT; /* + command lines when the target needs them */
        unsigned long missed_total = 0;
        const char *unit;
        char path[1100] = "";
        long done = 0, k = 0;
        int r, code = MB_EXIT_OK;

        mb_scan_set_threads(1); /* a daemon: one CPU at a time, never a burst */
        if ((r = parse(argc, argv, cli, &o)))
                goto out_opts;
        if ((r = mb_cli_config(cli, &cfg)))
                goto out_opts;
        if (o.interval_s < 0)
                o.interval_s = cfg->monitor_interval_s > 0 ? cfg->monitor_interval_s : 10;
        if (o.top_n < 0)
                o.top_n = cfg->monitor_top_n >= 0 ? cfg->monitor_top_n : 10;
        if (!o.has_target && cfg->target_match[0]) {
                if ((r = mb_opt_regex(cli, "target.match", cfg->target_match, &o.target,
                                      &o.has_target)))
                        goto out_opts;
        }
        if (cfg->monitor_record)
                o.record = true;
        if (o.history && !o.record) {
                r = mb_usage_error(cli, "--history needs --record");
                goto out_opts;
        }
        if (o.has_target)
                scan_flags |= MB_SCAN_CMDLINE;
        unit = cfg->target_unit;
        if (*unit)
                scan_flags |= MB_SCAN_CGROUP;
        target_on = o.has_target || *unit;
        if ((r = mb_cli_root(cli)))
                goto out_opts;
        if (o.record) {
                struct mb_error err = {0};
                if ((r = mb_cli_history_path(cli, cfg, o.history, true, path, sizeof(path))))
                        goto out_opts;
                r = mb_history_open(path, true, &h, &err);
                if (r < 0) {
                        r = mb_runtime_error(cli, "%s", err.msg[0] ? err.msg : mb_strerror(r));
                        goto out_opts;
                }
                mb_history_set_retention(h, cfg->retention_days > 0 ? cfg->retention_days * 86400.0
                                                                    : 0);
        }

        if (o.fmt == FMT_SCREEN) {
                char why[256];
                if (curses_load(why, sizeof(why)) < 0) {
                        r = mb_runtime_error(
                            cli, "watch --screen: %s (Debian package libncursesw6)", why);
                        goto out_opts;
                }
        }

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        stop_sig = 0;
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);

        mb_snapshot_init(&s);
        if (o.fmt == FMT_SCREEN) {
                initscr();
                cbreak();
                noecho();
                keypad(stdscr, TRUE);
                nodelay(stdscr, TRUE);
                curs_set(0);
                screen = true;
        }
        if (o.fmt == FMT_CSV)
                fputs("time,ram_used_bytes,ram_available_bytes,swap_used_bytes,"
                      "swapin_pages_per_s,swapout_pages_per_s,vram_used_bytes,psi_some_avg10,"
                      "top_pid,top_name,top_rss_swap_bytes\n",
                      cli->out);

        start = mb_now_mono();
        while (!stop_sig) {
                struct mb_error err = {0};
                struct tick tk;
                double now;

                if (screen) {
                        if (!screen_wait(start + (double)k * o.interval_s, &redraw))
                                break;
                } else if (!sleep_until(start + (double)k * o.interval_s)) {
                        break;
                }
                r = mb_snapshot_take(&cli->root, MB_SNAP_SYSTEM | MB_SNAP_PROCS | MB_SNAP_GPU,
                                     scan_flags, &filter, &s, &err);
                if (r < 0) {
                        code = mb_runtime_error(cli, "cannot read %s: %s", err.where, err.msg);
                        break;
                }
                /* Per-process GPU memory once a device was seen. */
                if (s.gpus.n)
                        scan_flags |= MB_SCAN_GPU;
                if (have_prev && s.have_vm)
                        mb_rates_compute(&prev_vm, prev_mono, &s.vm, s.mono, &s.rates);
                have_prev = s.have_vm;
                prev_vm = s.vm;
                prev_mono = s.mono;
                mb_target_mark(&s.procs, o.has_target ? &o.target : NULL, unit, (int)getpid());
                mb_target_keep_user(&s.procs, cfg->target_user);
                mb_procs_sort_consumers(&s.procs);
                /* Without a target regex, command lines only for what is shown
                 * or recorded: the top processes and the target's. */
                if (!(scan_flags & MB_SCAN_CMDLINE))
                        for (size_t i = 0; i < s.procs.n; i++)
                                if (i < (size_t)o.top_n + 1 || i < 32 ||
                                    (s.procs.p[i].flags & MB_P_TARGET))
                                        mb_proc_read_cmdline(&cli->root, &s.procs, &s.procs.p[i]);
                fill_tick(&s, target_on, &tk);

                if (h) {
                        struct mb_history_host hh = {
                            .t = tk.wall,
                            .ram_total = (int64_t)s.mem.total,
                            .ram_used = tk.ram_used,
                            .ram_available = tk.ram_avail,
                            .swap_total = (int64_t)s.mem.swap_total,
                            .swap_used = tk.swap_used,
                            .vram_total = tk.vram_total,
                            .vram_used = tk.vram_used,
                            .swapin_ps = tk.rates.valid ? tk.rates.swapin_pages_per_s : NAN,
                            .swapout_ps = tk.rates.valid ? tk.rates.swapout_pages_per_s : NAN,
                            .psi_some10 = tk.psi_some10,
                            .psi_full10 = tk.psi_full10,
                            .target_nprocs = target_on ? (int)tk.tg.nprocs : -1,
                            .target_ram = tk.tg.ram,
                            .target_swap = tk.tg.swap,
                            .target_vram = tk.tg.vram,
                        };
                        size_t nrec = 0, ntop = 0;
                        if (s.procs.n > recs_cap) {
                                size_t nc = s.procs.n + s.procs.n / 2 + 16;
                                void *p = realloc(recs, nc * sizeof(*recs));
                                if (!p) {
                                        code = mb_runtime_error(cli, "out of memory");
                                        break;
                                }
                                recs = p;
                                recs_cap = nc;
                        }
                        for (size_t i = 0; i < s.procs.n; i++) {
                                const struct mb_proc *p = &s.procs.p[i];
                                bool top;
                                if (p->flags & MB_P_KTHREAD || p->rss == MB_UNKNOWN)
                                        continue;
                                top = ntop < (size_t)o.top_n;
                                if (!top && !(p->flags & MB_P_TARGET))
                                        continue;
                                if (top)
                                        ntop++;
                                recs[nrec++] = (struct mb_history_proc){
                                    .pid = p->pid,
                                    .starttime = p->starttime,
                                    .name = p->name,
                                    .cmdline = mb_proc_cmdline(&s.procs, p),
                                    .target = (p->flags & MB_P_TARGET) != 0,
                                    .rss = p->rss,
                                    .swap = p->swap,
                                    .gpu = p->gpu,
                                };
                        }
                        r = mb_history_write_tick(h, &hh, recs, nrec, &err);
                        if (r < 0) {
                                code = mb_runtime_error(cli, "cannot record into '%s': %s", path,
                                                        err.msg);
                                break;
                        }
                }

                switch (o.fmt) {
                case FMT_TEXT:
                        print_text(cli->out, &tk, &s.procs);
                        break;
                case FMT_CSV:
                        print_csv(cli->out, &tk);
                        break;
                case FMT_JSON:
                        print_json(cli->out, &tk, &s.procs);
                        break;
                case FMT_SCREEN:
                        screen_draw(&o, &tk, &s, missed_total, h ? path : NULL);
                        redraw = false;
                        break;
                }
                if (!screen && fflush(cli->out) != 0) {
                        code =
                            mb_runtime_error(cli, "cannot write the output: %s", strerror(errno));
                        break;
                }
                if (o.count && ++done >= o.count)
                        break;

                /* The next deadline; ticks whose time passed entirely are
                 * reported and skipped, never silently dropped. */
                k++;
                now = mb_now_mono();
                if (now > start + (double)k * o.interval_s) {
                        long missed =
                            (long)floor((now - (start + (double)k * o.interval_s)) / o.interval_s);
                        if (missed > 0) {
                                k += missed;
                                missed_total += (unsigned long)missed;
                                if (!screen)
                                        fprintf(stderr, "membudget watch: missed %ld tick(s)\n",
                                                missed);
                        }
                }
        }

        if (screen)
                endwin();
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        mb_snapshot_release(&s);
        free(recs);
        mb_history_close(h);
        if (o.has_target)
                regfree(&o.target);
        return code;

out_opts:
        mb_history_close(h);
        if (o.has_target)
                regfree(&o.target);
        return r;
}
