/* fuzz-rollup.c: mb_rollup_parse (/proc/PID/smaps_rollup) on arbitrary bytes. */
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
        p.pss = p.uss = p.swappss = p.rollup_swap = p.anon_huge = MB_UNKNOWN;
        if (mb_rollup_parse(buf, size, &p) == 0 && (p.pss == MB_UNKNOWN || p.pss < 0))
                abort(); /* success promises a known PSS */
        free(buf);
        return 0;
}
