/*
 * dynlib.h: libraries loaded when a command first needs them, not at every
 * start.  Each shared library linked at start costs every command its
 * mapping and relocation (SQLite and ncurses together about 0.25 ms of a
 * 1 ms start-up), though only history, `watch --screen` and `serve` use
 * them.  A missing library is then an error of that command alone.
 */
#ifndef MB_DYNLIB_H
#define MB_DYNLIB_H

#include <stddef.h>

struct mb_dl_sym {
        const char *name;
        void **slot; /* where the address goes: (void **)&table.fn */
};

/*
 * dlopen(soname) once (later calls return at once) and resolve every
 * symbol; all or nothing.  0, -ELIBACC (no library: message in why) or
 * -ELIBBAD (a symbol missing).  Thread-safe.
 */
int mb_dl_load(void **handle, const char *soname, const struct mb_dl_sym *syms, size_t n, char *why,
               size_t whylen);

#endif
