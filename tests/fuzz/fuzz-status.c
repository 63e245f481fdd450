/* fuzz-status.c: mb_status_parse (/proc/PID/status) on arbitrary bytes. */
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
        p.vsz = p.rss = p.hwm = p.rss_anon = p.rss_file = p.rss_shmem = p.swap = MB_UNKNOWN;
        if (mb_status_parse(buf, size, &p) == 0) {
                if (strnlen(p.name, sizeof(p.name)) >= sizeof(p.name))
                        abort(); /* name not NUL-terminated */
                /* Sizes are unknown or non-negative byte counts. */
                if ((p.rss != MB_UNKNOWN && p.rss < 0) || (p.swap != MB_UNKNOWN && p.swap < 0) ||
                    (p.vsz != MB_UNKNOWN && p.vsz < 0))
                        abort();
        }
        free(buf);
        return 0;
}
