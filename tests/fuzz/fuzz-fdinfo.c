/* fuzz-fdinfo.c: mb_drm_fdinfo_parse (/proc/PID/fdinfo/N of a DRM client). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/collect/gpu-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = malloc(size ? size : 1); /* exact size: no NUL to lean on */
        struct mb_drm_client c;

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        memset(&c, 0xa5, sizeof(c)); /* the parser must set every field it reports */
        if (mb_drm_fdinfo_parse(buf, size, &c) == 0) {
                if (strnlen(c.driver, sizeof(c.driver)) >= sizeof(c.driver) || !c.driver[0])
                        abort(); /* driver not NUL-terminated, or 0 without a driver */
                if (strnlen(c.pdev, sizeof(c.pdev)) >= sizeof(c.pdev))
                        abort();
                /* Byte counts are unknown or non-negative. */
                if ((c.local != MB_UNKNOWN && c.local < 0) ||
                    (c.other != MB_UNKNOWN && c.other < 0))
                        abort();
                int64_t b = mb_drm_client_bytes(&c);
                if (b != MB_UNKNOWN && b < 0)
                        abort();
        }
        free(buf);
        return 0;
}
