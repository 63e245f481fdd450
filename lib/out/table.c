/* table.c: see table.h. */
#define _GNU_SOURCE /* fwrite_unlocked: one lock for the whole table */
#include "table.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../util/size.h"

void mb_table_init(struct mb_table *t)
{
        memset(t, 0, sizeof(*t));
        t->cells.max = 256u << 20;
}

int mb_table_col(struct mb_table *t, const char *header, bool right, size_t maxw)
{
        if (t->ncols >= MB_TABLE_MAXCOLS)
                return -1;
        t->header[t->ncols] = header;
        t->right[t->ncols] = right;
        t->maxw[t->ncols] = maxw;
        return t->ncols++;
}

void mb_table_cell(struct mb_table *t, const char *s)
{
        size_t start = t->cells.len;

        if (mb_buf_append(&t->cells, s, strlen(s) + 1) < 0)
                return;
        for (size_t i = start; i + 1 < t->cells.len; i++) {
                unsigned char c = (unsigned char)t->cells.data[i];
                if (c < 0x20 || c == 0x7f)
                        t->cells.data[i] = '?';
        }
        if (++t->cur == t->ncols) {
                t->cur = 0;
                t->nrows++;
        }
}

void mb_table_cellf(struct mb_table *t, const char *fmt, ...)
{
        char buf[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        mb_table_cell(t, buf);
}

void mb_table_size(struct mb_table *t, int64_t bytes)
{
        char buf[MB_SIZE_STRLEN];

        mb_table_cell(t, bytes == MB_UNKNOWN ? "-" : mb_size_format(bytes, buf, sizeof(buf)));
}

/* Display width of UTF-8 text: count lead bytes only. */
static size_t dwidth(const char *s)
{
        size_t w = 0;

        for (; *s; s++)
                if (((unsigned char)*s & 0xc0) != 0x80)
                        w++;
        return w;
}

static void pad(FILE *f, size_t n)
{
        static const char spaces[] =
            "                                                                ";

        while (n > 0) {
                size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
                fwrite_unlocked(spaces, 1, k, f);
                n -= k;
        }
}

/* The caller holds f's lock (flockfile). */
static void print_cell(FILE *f, const char *s, size_t width, bool right, size_t maxw, bool last)
{
        size_t w = dwidth(s);

        if (maxw && w > maxw) {
                /* cut at a character boundary, leave room for "…" */
                size_t keep = 0, cw = 0;
                while (s[keep] && cw < maxw - 1) {
                        keep++;
                        while (((unsigned char)s[keep] & 0xc0) == 0x80)
                                keep++;
                        cw++;
                }
                fwrite_unlocked(s, 1, keep, f);
                fwrite_unlocked("…", 1, strlen("…"), f);
                w = maxw;
                if (!last && w < width)
                        pad(f, width - w);
                return;
        }
        if (right && w < width)
                pad(f, width - w);
        fwrite_unlocked(s, 1, strlen(s), f);
        if (!right && !last && w < width)
                pad(f, width - w);
}

void mb_table_print(const struct mb_table *t, FILE *f, bool headers)
{
        size_t width[MB_TABLE_MAXCOLS] = {0};
        const char *p;

        for (int c = 0; c < t->ncols; c++)
                width[c] = headers ? dwidth(t->header[c]) : 0;
        p = t->cells.data;
        for (size_t r = 0; r < t->nrows; r++)
                for (int c = 0; c < t->ncols; c++) {
                        size_t w = dwidth(p);
                        if (t->maxw[c] && w > t->maxw[c])
                                w = t->maxw[c];
                        if (w > width[c])
                                width[c] = w;
                        p += strlen(p) + 1;
                }
        flockfile(f);
        if (headers) {
                for (int c = 0; c < t->ncols; c++) {
                        if (c)
                                fwrite_unlocked("  ", 1, 2, f);
                        print_cell(f, t->header[c], width[c], t->right[c], 0, c == t->ncols - 1);
                }
                fputc_unlocked('\n', f);
        }
        p = t->cells.data;
        for (size_t r = 0; r < t->nrows; r++) {
                for (int c = 0; c < t->ncols; c++) {
                        if (c)
                                fwrite_unlocked("  ", 1, 2, f);
                        print_cell(f, p, width[c], t->right[c], t->maxw[c], c == t->ncols - 1);
                        p += strlen(p) + 1;
                }
                fputc_unlocked('\n', f);
        }
        funlockfile(f);
}

void mb_table_release(struct mb_table *t)
{
        if (!t)
                return;
        mb_buf_release(&t->cells);
        t->nrows = 0;
}

void mb_print_clean(FILE *f, const char *s)
{
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                fputc(c < 0x20 || c == 0x7f ? '?' : c, f);
        }
}
