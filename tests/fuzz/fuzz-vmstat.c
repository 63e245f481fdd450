/* fuzz-vmstat.c: mb_vmstat_parse on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/collect/system.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = malloc(size ? size : 1); /* exact size: no NUL to lean on */
        struct mb_vmstat v;
        struct mb_error err;

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        mb_vmstat_parse(buf, size, &v, &err);
        free(buf);
        return 0;
}
