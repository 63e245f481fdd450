/* fuzz-cgroup.c: mb_cgroup_parse (/proc/PID/cgroup) on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/collect/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An arena offset is 0 (none) or the start of a NUL-terminated string
 * inside the arena, and mb_proc_str agrees. */
static void check_off(const struct mb_proctab *t, uint32_t off)
{
        const char *s = mb_proc_str(t, off);

        if (!s)
                abort();
        if (!off) {
                if (*s)
                        abort();
                return;
        }
        if (!t->strings.data || off >= t->strings.len)
                abort();
        if (!memchr(t->strings.data + off, '\0', t->strings.len - off))
                abort(); /* not NUL-terminated within the arena */
        if (s != t->strings.data + off)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = malloc(size ? size : 1); /* exact size: no NUL to lean on */
        struct mb_proctab t;
        struct mb_proc p;

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        mb_proctab_init(&t);
        memset(&p, 0, sizeof(p));
        mb_cgroup_parse(&t, buf, size, &p);
        check_off(&t, p.cg_v2);
        check_off(&t, p.cg_mem);
        check_off(&t, p.cg_sd);
        /* A stored path is never longer than the input. */
        if (strlen(mb_proc_str(&t, p.cg_v2)) > size || strlen(mb_proc_str(&t, p.cg_mem)) > size ||
            strlen(mb_proc_str(&t, p.cg_sd)) > size)
                abort();
        mb_proctab_release(&t);
        free(buf);
        return 0;
}
