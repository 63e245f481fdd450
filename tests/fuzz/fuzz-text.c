/* fuzz-text.c: the text rule (lib/util/text.c), the CSV field writer and the
 * table renderer on arbitrary bytes: what comes out is always clean (valid
 * UTF-8, no control, C1 or bidi character), never longer than the input
 * (text) and the table keeps its columns. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/out/csv.h"
#include "../../lib/out/table.h"
#include "../../lib/util/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1), *copy, small[16];
        struct mb_buf b = MB_BUF_INIT;
        struct mb_table t;
        size_t n;

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        copy = strdup(s);
        if (!copy) {
                free(s);
                return 0;
        }
        n = mb_text_clean_inplace(copy);
        if (n > strlen(s) || !mb_text_is_clean(copy, n))
                abort();
        n = mb_text_clean(small, sizeof(small), s);
        if (n >= sizeof(small) || !mb_text_is_clean(small, n))
                abort();
        if (mb_csv_field_buf(&b, s) == 0 && b.len && !mb_text_is_clean(b.data, b.len))
                abort();
        mb_table_init(&t);
        mb_table_col(&t, "A", false, 8);
        mb_table_col(&t, "B", true, 0);
        mb_table_cell(&t, s);
        mb_table_cell(&t, copy);
        if (t.nrows != 1 || t.cur != 0)
                abort();
        {
                char *out = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&out, &len);
                if (f) {
                        mb_table_print(&t, f, true);
                        fclose(f);
                        /* every line clean (a cut cell ends in "…", never mid-character) */
                        for (size_t i = 0, j = 0; i <= len; i++)
                                if (i == len || out[i] == '\n') {
                                        if (!mb_text_is_clean(out + j, i - j))
                                                abort();
                                        j = i + 1;
                                }
                        free(out);
                }
        }
        mb_table_release(&t);
        mb_buf_release(&b);
        free(copy);
        free(s);
        return 0;
}
