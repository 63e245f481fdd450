/*
 * text.h: making user-controlled text (command lines, process names, cgroup
 * paths, config strings) safe to show.  One rule for every text output
 * (tables, CSV, Prometheus labels, logs, free text): each character that a
 * terminal or spreadsheet could act on is shown as '?':
 *   - C0 controls (U+0000-U+001F, tab and newline included) and DEL,
 *   - C1 controls U+0080-U+009F (U+009B is CSI on 8-bit terminals),
 *   - bidi embeddings, overrides and isolates (U+202A-U+202E,
 *     U+2066-U+2069), the marks U+200E, U+200F, U+061C and the line and
 *     paragraph separators U+2028, U+2029,
 *   - each byte that is not part of valid UTF-8 (overlong forms,
 *     surrogates, code points above U+10FFFF, stray continuation bytes).
 * A replacement is never longer than what it replaces, so cleaning works in
 * place.  JSON output is escaped by jansson instead.
 */
#ifndef MB_TEXT_H
#define MB_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/*
 * The character at s (n > 0 bytes left): returns its length in bytes when
 * it may be shown as it is, or 0 when it must be replaced; *adv is the
 * number of bytes it spans either way (at least 1).
 */
size_t mb_text_next(const char *s, size_t n, size_t *adv);

/* Whether s (n bytes) needs no replacement. */
bool mb_text_is_clean(const char *s, size_t n);

/* Clean s in place (NUL-terminated); returns its new length. */
size_t mb_text_clean_inplace(char *s);

/*
 * Copy src into dst (cap bytes, cap > 0) cleaned, always NUL-terminated,
 * cut at a character boundary when it does not fit.  Returns the length.
 * The function for a log line or a message built from user text.
 */
size_t mb_text_clean(char *dst, size_t cap, const char *src);

/* Append s (n bytes) cleaned to b.  0 or -ENOMEM/-EFBIG. */
int mb_text_clean_append(struct mb_buf *b, const char *s, size_t n);

#endif
