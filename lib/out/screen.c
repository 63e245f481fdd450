/* screen.c: see screen.h. */
#define _GNU_SOURCE
#include "screen.h"

#include <curses.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "../util/dynlib.h"
#include "../util/size.h"
#include "../util/text.h"
#include "../util/users.h"

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

int mb_screen_load(char *why, size_t len)
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

/* The frame on screen, drawn again when the terminal is resized (the
 * snapshot is the caller's, unchanged until it samples again). */
static struct {
        bool have;
        struct mb_screen_head h;
        struct mb_watch_tick k;
        const struct mb_snapshot *s;
} shown_frame;

void mb_screen_draw(const struct mb_screen_head *h, const struct mb_watch_tick *k,
                    const struct mb_snapshot *s)
{
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN], c[MB_SIZE_STRLEN], ts[32];
        time_t tt = (time_t)k->wall;
        struct tm tm;
        int row = 0, shown = 0;

        if (!localtime_r(&tt, &tm) || !strftime(ts, sizeof(ts), "%H:%M:%S", &tm))
                ts[0] = '\0';
        if (&shown_frame.k != k) {
                shown_frame.h = *h;
                shown_frame.k = *k;
                shown_frame.s = s;
                shown_frame.have = true;
        }
        erase();
        attron(A_BOLD);
        mvprintw(row++, 0, "membudget watch  %s  every %gs%s%s   q quits", ts, h->interval_s,
                 h->record ? "  recording to " : "", h->record ? h->record : "");
        attroff(A_BOLD);
        if (h->missed)
                mvprintw(row - 1, COLS > 30 ? COLS - 30 : 0, "missed %lu tick(s)", h->missed);
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

bool mb_screen_wait(double deadline, volatile sig_atomic_t *stop)
{
        for (;;) {
                double now = mb_now_mono();
                struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
                int ms, ch;

                if (*stop)
                        return false;
                if (now >= deadline)
                        return true;
                ms = (int)ceil((deadline - now) * 1000);
                /* a key, the timeout, or EINTR (SIGWINCH: ncurses then queues
                 * KEY_RESIZE): read what getch has either way */
                (void)poll(&pfd, 1, ms);
                while ((ch = getch()) != ERR) {
                        if (ch == 'q' || ch == 'Q' || ch == 3)
                                return false;
                        if (ch == KEY_RESIZE && shown_frame.have) /* at the new size */
                                mb_screen_draw(&shown_frame.h, &shown_frame.k, shown_frame.s);
                }
        }
}

void mb_screen_start(void)
{
        initscr();
        cbreak();
        noecho();
        keypad(stdscr, TRUE);
        nodelay(stdscr, TRUE);
        curs_set(0);
}

void mb_screen_stop(void)
{
        endwin();
}
