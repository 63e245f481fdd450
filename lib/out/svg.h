/*
 * svg.h: a self-contained SVG line chart of memory over time.
 *
 * One <path> per series that has data (gaps where a value is unknown), a
 * dashed <line> per budget line, a time axis with local-time labels, a
 * binary-unit value axis (power-of-two steps: "512 MiB", "1 GiB") and a
 * legend.  Long series are reduced to a min/max pair per pixel column so
 * that peaks survive.  No scripts, no external references.
 */
#ifndef MB_SVG_H
#define MB_SVG_H

#include <stddef.h>
#include <stdio.h>

struct mb_svg_series {
        const char *label;
        const char *color; /* "#rrggbb" */
        const double *v;   /* n values in bytes; NAN = unknown */
};

struct mb_svg_line {
        const char *label;
        const char *color;
        double value; /* bytes; <= 0 = not drawn */
};

/*
 * Write the chart.  t: n sample times (seconds since the epoch, ascending).
 * Returns 0, -EINVAL (n == 0) or -EIO (write error).
 */
int mb_svg_chart(FILE *f, const char *title, const double *t, size_t n,
                 const struct mb_svg_series *series, size_t nseries,
                 const struct mb_svg_line *lines, size_t nlines);

#endif
