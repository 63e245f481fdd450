/* fuzz-stat.c: mb_stat_parse (/proc/PID/stat, comm with ')' and spaces)
 * on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/collect/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = malloc(size ? size : 1); /* exact size: no NUL to lean on */
        struct mb_proc p;

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        memset(&p, 0, sizeof(p));
        mb_stat_parse(buf, size, &p);
        free(buf);
        return 0;
}
