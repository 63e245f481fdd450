/* fuzz-smaps.c: mb_smaps_parse (/proc/PID/smaps) on arbitrary bytes, then
 * mb_inspect_analyze on what it kept. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/analyze/inspect.h"
#include "../../lib/collect/smaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const struct mb_buf *b, const char *s)
{
        if (!s)
                abort();
        if (!*s)
                return; /* "" may be a static string */
        if (!b->data || s < b->data || s >= b->data + b->len)
                abort(); /* not within the arena */
        if (!memchr(s, '\0', (size_t)(b->data + b->len - s)))
                abort(); /* not NUL-terminated within the arena */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = malloc(size ? size : 1); /* exact size: no NUL to lean on */
        const char *nl;
        struct mb_smaps s;
        struct mb_inspect in;
        size_t cut;
        int64_t charge = 0;

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        mb_smaps_init(&s);
        /* Two chunks split at a line boundary, as mb_smaps_read feeds it. */
        nl = size ? memchr(buf, '\n', size / 2 + 1) : NULL;
        cut = nl ? (size_t)(nl - buf) + 1 : 0;
        if (mb_smaps_parse(&s, buf, cut) == 0 && mb_smaps_parse(&s, buf + cut, size - cut) == 0) {
                if (s.n > s.cap)
                        abort();
                for (size_t i = 0; i < s.n; i++) {
                        const struct mb_mapping *m = &s.m[i];
                        check_str(&s.strings, mb_mapping_path(&s, m));
                        if (strnlen(m->perms, sizeof(m->perms)) >= sizeof(m->perms))
                                abort();
                        for (int f = 0; f < MB_SM_FIELD_COUNT; f++)
                                if (m->v[f] != MB_UNKNOWN && m->v[f] < 0)
                                        abort(); /* sizes are unknown or >= 0 */
                }
                mb_smaps_mark_exe(&s, NULL);
                mb_inspect_init(&in);
                if (mb_inspect_analyze(&s, 5, &in) == 0) {
                        if (in.ntop > 5 || in.ntop > s.n)
                                abort();
                        for (size_t i = 0; i < in.ntop; i++)
                                if (in.top[i] >= s.n)
                                        abort();
                        for (size_t i = 0; i < in.ngroups; i++) {
                                if ((unsigned)in.groups[i].kind >= MB_MK_COUNT)
                                        abort();
                                check_str(&in.labels, mb_inspect_label(&in, in.groups[i].label));
                        }
                        for (int k = 0; k < MB_MK_COUNT; k++)
                                charge += mb_memsum_charge(&in.kinds[k]);
                        (void)charge;
                }
                mb_inspect_release(&in);
        }
        mb_smaps_release(&s);
        free(buf);
        return 0;
}
