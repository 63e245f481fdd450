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
        t->dims.max = 256u << 20;
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

/*
 * One pass over the cell: copy it, replace unsafe characters with '?' and
 * count its display width, so that printing needs no second look at the
 * text.  A replacement is never longer than what it replaces.
 */
void mb_table_cell(struct mb_table *t, const char *s)
{
        size_t len = strlen(s), w = 0, o = 0, adv;
        struct mb_table_dim d;
        char *out;
        int r;

        if (t->err || t->ncols == 0)
                return;
        if (len > UINT32_MAX - 1)
                len = UINT32_MAX - 1;
        if ((r = mb_buf_reserve(&t->cells, len + 1)) < 0 ||
            (r = mb_buf_reserve(&t->dims, sizeof(d))) < 0) {
                /* drop the whole row being built: no later column may shift */
                t->err = r;
                t->cells.len = t->row_cells;
                t->dims.len = t->row_dims;
                t->cur = 0;
                return;
        }
        out = t->cells.data + t->cells.len;
        for (size_t i = 0; i < len; i += adv) {
                size_t k = mb_text_next(s + i, len - i, &adv);
                if (k == 0)
                        out[o++] = '?';
                else {
                        memcpy(out + o, s + i, k);
                        o += k;
                }
                w++;
        }
        out[o] = '\0';
        t->cells.len += o + 1;
        d = (struct mb_table_dim){(uint32_t)o, (uint32_t)w};
        memcpy(t->dims.data + t->dims.len, &d, sizeof(d));
        t->dims.len += sizeof(d);
        if (t->maxw[t->cur] && w > t->maxw[t->cur])
                w = t->maxw[t->cur];
        if (w > t->width[t->cur])
                t->width[t->cur] = w;
        if (++t->cur == t->ncols) {
                t->cur = 0;
                t->nrows++;
                t->row_cells = t->cells.len;
                t->row_dims = t->dims.len;
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

/* The caller holds f's lock (flockfile).  w: the cell's display width. */
static void print_cell(FILE *f, const char *s, size_t len, size_t w, size_t width, bool right,
                       size_t maxw, bool last)
{
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
        fwrite_unlocked(s, 1, len, f);
        if (!right && !last && w < width)
                pad(f, width - w);
}

int mb_table_print(const struct mb_table *t, FILE *f, bool headers)
{
        size_t width[MB_TABLE_MAXCOLS];
        const struct mb_table_dim *d = (const struct mb_table_dim *)(void *)t->dims.data;
        const char *p = t->cells.data;

        for (int c = 0; c < t->ncols; c++) {
                width[c] = t->width[c];
                if (headers && dwidth(t->header[c]) > width[c])
                        width[c] = dwidth(t->header[c]);
        }
        flockfile(f);
        if (headers) {
                for (int c = 0; c < t->ncols; c++) {
                        if (c)
                                fwrite_unlocked("  ", 1, 2, f);
                        print_cell(f, t->header[c], strlen(t->header[c]), dwidth(t->header[c]),
                                   width[c], t->right[c], 0, c == t->ncols - 1);
                }
                fputc_unlocked('\n', f);
        }
        for (size_t r = 0; r < t->nrows; r++) {
                for (int c = 0; c < t->ncols; c++, d++) {
                        if (c)
                                fwrite_unlocked("  ", 1, 2, f);
                        print_cell(f, p, d->len, d->width, width[c], t->right[c], t->maxw[c],
                                   c == t->ncols - 1);
                        p += d->len + 1;
                }
                fputc_unlocked('\n', f);
        }
        funlockfile(f);
        return t->err;
}

void mb_table_release(struct mb_table *t)
{
        if (!t)
                return;
        mb_buf_release(&t->cells);
        mb_buf_release(&t->dims);
        memset(t->width, 0, sizeof(t->width));
        t->nrows = 0;
        t->cur = 0;
        t->row_cells = t->row_dims = 0;
        t->err = 0;
}

void mb_print_clean(FILE *f, const char *s)
{
        size_t n = strlen(s), adv;

        for (size_t i = 0; i < n; i += adv) {
                size_t k = mb_text_next(s + i, n - i, &adv);
                if (k == 0)
                        fputc('?', f);
                else
                        fwrite(s + i, 1, k, f);
        }
}
