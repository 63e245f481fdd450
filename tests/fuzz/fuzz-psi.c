/* fuzz-psi.c: mb_psi_parse (/proc/pressure/memory) on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/collect/system.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = malloc(size ? size : 1); /* exact size: no NUL to lean on */
        struct mb_psi p;
        struct mb_error err;

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        if (mb_psi_parse(buf, size, &p, &err) == 0) {
                /* Accepted averages are percentages. */
                if (!(p.some.avg10 >= 0 && p.some.avg10 <= 100) ||
                    !(p.some.avg300 >= 0 && p.some.avg300 <= 100))
                        abort();
        }
        free(buf);
        return 0;
}
