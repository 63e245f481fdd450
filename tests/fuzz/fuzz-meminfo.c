/* fuzz-meminfo.c: mb_meminfo_parse on arbitrary bytes, then the free(1)
 * summary and the RAM breakdown on whatever it accepted.  The rows must add
 * up to MemTotal whenever the counters are of a plausible size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/analyze/breakdown.h"
#include "../../lib/collect/system.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = malloc(size ? size : 1); /* exact size: no NUL to lean on */
        struct mb_meminfo m;
        struct mb_error err;

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        if (mb_meminfo_parse(buf, size, &m, &err) == 0) {
                struct mb_memsummary s;
                struct mb_breakdown_row rows[MB_BREAKDOWN_MAX];
                bool sane = true;
                size_t n;
                int64_t sum = 0;

                if (m.v[MB_MI_MEMTOTAL] == 0)
                        abort(); /* the parser promises MemTotal > 0 */
                mb_memsummary_compute(&m, &s);
                if (s.used > s.total)
                        abort();
                for (int i = 0; i < MB_MI_COUNT; i++)
                        if (m.v[i] >= (1ull << 50))
                                sane = false;
                if (sane) {
                        n = mb_breakdown_compute(&m, rows);
                        if (n == 0 || n > MB_BREAKDOWN_MAX)
                                abort();
                        for (size_t i = 0; i < n; i++)
                                sum += rows[i].bytes;
                        if (sum != (int64_t)m.v[MB_MI_MEMTOTAL])
                                abort();
                }
        }
        free(buf);
        return 0;
}
