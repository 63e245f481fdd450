/*
 * screen.h: watch --screen, the full-screen view.  ncurses is loaded at run
 * time (lib/util/dynlib.h), only for this view: mb_screen_load first.
 */
#ifndef MB_OUT_SCREEN_H
#define MB_OUT_SCREEN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "../collect/snapshot.h"
#include "watch.h"

/* Load libncursesw: 0, or -1 with why. */
int mb_screen_load(char *why, size_t len);
void mb_screen_start(void);
void mb_screen_stop(void);

struct mb_screen_head {
        double interval_s;
        unsigned long missed; /* ticks missed so far */
        const char *record;   /* the history file being recorded, or NULL */
};

/* Draw one tick: the summary and the processes, as many as fit. */
void mb_screen_draw(const struct mb_screen_head *h, const struct mb_watch_tick *k,
                    const struct mb_snapshot *s);

/* Wait for the deadline (monotonic clock) reading keys, drawing the last
 * frame again when the terminal is resized; false when the user quits (q,
 * Ctrl-C) or *stop is set.  The snapshot of the last mb_screen_draw must stay
 * as it is until then. */
bool mb_screen_wait(double deadline, volatile sig_atomic_t *stop);

#endif
