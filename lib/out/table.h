/*
 * table.h: a plain-text table renderer.  Cells are copied in; widths are
 * computed at print time; size columns are right-aligned.  Characters a
 * terminal could act on (user-controlled command lines) are shown as '?'
 * (lib/util/text.h).  When memory runs out the row being built is dropped
 * whole and later cells are ignored, so no column ever shifts; print
 * returns the error.
 */
#ifndef MB_TABLE_H
#define MB_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../util/text.h"
#include "../util/util.h"

#define MB_TABLE_MAXCOLS 24

struct mb_table {
        int ncols;
        const char *header[MB_TABLE_MAXCOLS];
        bool right[MB_TABLE_MAXCOLS];
        size_t maxw[MB_TABLE_MAXCOLS];  /* 0 = unlimited; longer cells are cut with "…" */
        struct mb_buf cells;            /* NUL-separated cells, row-major */
        struct mb_buf dims;             /* per cell: struct mb_table_dim */
        size_t width[MB_TABLE_MAXCOLS]; /* widest cell so far (capped by maxw) */
        size_t nrows;
        int cur;          /* cells in the current row */
        size_t row_cells; /* cells.len and dims.len where the current row began */
        size_t row_dims;
        int err; /* first -ENOMEM/-EFBIG; then cells are ignored */
};

/* A cell's length in bytes and display width (UTF-8 lead bytes). */
struct mb_table_dim {
        uint32_t len, width;
};

void mb_table_init(struct mb_table *t);
int mb_table_col(struct mb_table *t, const char *header, bool right, size_t maxw);
/* Add a cell to the current row; a row ends after ncols cells. */
void mb_table_cell(struct mb_table *t, const char *s);
void mb_table_cellf(struct mb_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mb_table_size(struct mb_table *t, int64_t bytes); /* "-" for MB_UNKNOWN */
/* Print the complete rows; returns 0, or the error that cut the table. */
int mb_table_print(const struct mb_table *t, FILE *f, bool headers);
void mb_table_release(struct mb_table *t);

/* Print s with unsafe characters replaced by '?' (for free text). */
void mb_print_clean(FILE *f, const char *s);

#endif
