/*
 * csv.h: the one CSV field writer (procs --csv, watch --csv).  A field is
 * written as RFC 4180 says (quoted when it holds a comma, quote or space
 * at an end, quotes doubled) after the text rule of lib/util/text.h
 * (controls, C1, bidi overrides, invalid UTF-8 shown as '?').  A text field
 * a spreadsheet would run as a formula (starting with = + - @, tab or CR,
 * OWASP "CSV injection") gets a leading ' and is quoted; a field that is a
 * plain number (-5, 1.5) or "-" is left as it is.
 */
#ifndef MB_CSV_H
#define MB_CSV_H

#include <stdio.h>

#include "../util/util.h"

/* Append one field (no separator) to b.  0 or -ENOMEM/-EFBIG. */
int mb_csv_field_buf(struct mb_buf *b, const char *s);

/* Write one field (no separator) to f. */
void mb_csv_field(FILE *f, const char *s);

#endif
