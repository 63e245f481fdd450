/* fuzz-swaps.c: mb_swaps_parse (with its octal unescaping) on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/collect/system.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = malloc(size ? size : 1); /* exact size: no NUL to lean on */
        struct mb_swaps s = {0};
        struct mb_error err;

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        if (mb_swaps_parse(buf, size, &s, &err) == 0) {
                for (size_t i = 0; i < s.n; i++)
                        if (strnlen(s.dev[i].path, sizeof(s.dev[i].path)) >=
                                sizeof(s.dev[i].path) ||
                            strnlen(s.dev[i].type, sizeof(s.dev[i].type)) >= sizeof(s.dev[i].type))
                                abort(); /* not NUL-terminated */
        }
        /* Parse again into the same struct (the readers reuse it). */
        mb_swaps_parse(buf, size, &s, &err);
        mb_swaps_release(&s);
        free(buf);
        return 0;
}
