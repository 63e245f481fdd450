/* csv.c: see csv.h. */
#include "csv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../util/text.h"

/* A number as the whole field (a spreadsheet shows it as one, no formula). */
static bool plain_number(const char *s)
{
        char *end;

        if (strcmp(s, "-") == 0)
                return true;
        if (!*s || strchr(s, 'x') || strchr(s, 'X') || strpbrk(s, "nNiI"))
                return false; /* no hex, nan, inf */
        (void)strtod(s, &end);
        return *end == '\0';
}

int mb_csv_field_buf(struct mb_buf *b, const char *s)
{
        struct mb_buf c = MB_BUF_INIT;
        bool formula = strchr("=+-@\t\r", s[0]) && s[0] && !plain_number(s);
        bool quote;
        int r;

        if ((r = mb_text_clean_append(&c, s, strlen(s))) < 0)
                goto out;
        quote = formula || strpbrk(c.data, ",\"") ||
                (c.len && (c.data[0] == ' ' || c.data[c.len - 1] == ' '));
        if (!quote) {
                r = mb_buf_append(b, c.data, c.len);
                goto out;
        }
        r = mb_buf_append(b, formula ? "\"'" : "\"", formula ? 2 : 1);
        for (size_t i = 0; !r && i < c.len; i++)
                r = mb_buf_append(b, c.data[i] == '"' ? "\"\"" : c.data + i,
                                  c.data[i] == '"' ? 2 : 1);
        if (!r)
                r = mb_buf_append(b, "\"", 1);
out:
        mb_buf_release(&c);
        return r;
}

void mb_csv_field(FILE *f, const char *s)
{
        struct mb_buf b = MB_BUF_INIT;

        if (mb_csv_field_buf(&b, s) == 0)
                fwrite(b.data, 1, b.len, f);
        mb_buf_release(&b);
}
