/* fuzz-size.c: mb_size_parse on a NUL-terminated copy of arbitrary bytes;
 * whatever it accepts fits in int64 and formats without trouble. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/util/size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);
        char out[MB_SIZE_STRLEN];
        uint64_t v;

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        if (mb_size_parse(s, &v) == 0) {
                if (v > (uint64_t)INT64_MAX)
                        abort();
                mb_size_format((int64_t)v, out, sizeof(out));
                /* Below 1 PiB the formatter's output parses back (PiB and
                 * EiB are printed but are not input units). */
                if (v < (1ull << 50) && mb_size_parse(out, &v) != 0)
                        abort();
        }
        if (size >= sizeof(int64_t)) {
                int64_t x;
                memcpy(&x, data, sizeof(x));
                mb_size_format(x, out, sizeof(out));
                if (strnlen(out, sizeof(out)) >= sizeof(out))
                        abort();
        }
        free(s);
        return 0;
}
