/*
 * fixture-path.h: where tests/fixtures is, for the unit tests.  tests/run.sh
 * exports MB_ROOT (the repository root); without it the path is derived
 * from __FILE__ (relative to the directory make ran in, the repository
 * root), so a unit binary also runs by hand from there.
 */
#ifndef MB_TEST_FIXTURE_PATH_H
#define MB_TEST_FIXTURE_PATH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "ROOT/tests/fixtures/<rel>" in a static buffer (one of four, rotating). */
static inline const char *fixture(const char *rel)
{
        static char bufs[4][1024];
        static unsigned next;
        char *b = bufs[next++ % 4];
        const char *root = getenv("MB_ROOT");

        if (root && *root) {
                snprintf(b, sizeof(bufs[0]), "%s/tests/fixtures/%s", root, rel);
        } else {
                const char *f = __FILE__; /* ".../tests/unit/fixture-path.h" */
                const char *cut = strstr(f, "tests/unit/");
                int n = cut ? (int)(cut - f) : 0;
                snprintf(b, sizeof(bufs[0]), "%.*stests/fixtures/%s", n, f, rel);
        }
        return b;
}

#endif
