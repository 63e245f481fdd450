/* system.c: see system.h.  Formats: LINUX-MEMORY-REFERENCE.md §1, §3, §4. */
#define _GNU_SOURCE
#include "system.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
        const char *name;
        unsigned char len;
        bool kb; /* value carries " kB" */
} mi_fields[MB_MI_COUNT] = {
#define F(e, n, k) [e] = {n, sizeof(n) - 1, k}
    F(MB_MI_MEMTOTAL, "MemTotal", true),
    F(MB_MI_MEMFREE, "MemFree", true),
    F(MB_MI_MEMAVAILABLE, "MemAvailable", true),
    F(MB_MI_BUFFERS, "Buffers", true),
    F(MB_MI_CACHED, "Cached", true),
    F(MB_MI_SWAPCACHED, "SwapCached", true),
    F(MB_MI_ANONPAGES, "AnonPages", true),
    F(MB_MI_MAPPED, "Mapped", true),
    F(MB_MI_SHMEM, "Shmem", true),
    F(MB_MI_KRECLAIMABLE, "KReclaimable", true),
    F(MB_MI_SLAB, "Slab", true),
    F(MB_MI_SRECLAIMABLE, "SReclaimable", true),
    F(MB_MI_SUNRECLAIM, "SUnreclaim", true),
    F(MB_MI_KERNELSTACK, "KernelStack", true),
    F(MB_MI_PAGETABLES, "PageTables", true),
    F(MB_MI_SECPAGETABLES, "SecPageTables", true),
    F(MB_MI_VMALLOCUSED, "VmallocUsed", true),
    F(MB_MI_PERCPU, "Percpu", true),
    F(MB_MI_SWAPTOTAL, "SwapTotal", true),
    F(MB_MI_SWAPFREE, "SwapFree", true),
    F(MB_MI_ZSWAP, "Zswap", true),
    F(MB_MI_ZSWAPPED, "Zswapped", true),
    F(MB_MI_DIRTY, "Dirty", true),
    F(MB_MI_WRITEBACK, "Writeback", true),
    F(MB_MI_ANONHUGEPAGES, "AnonHugePages", true),
    F(MB_MI_HUGEPAGES_TOTAL, "HugePages_Total", false),
    F(MB_MI_HUGEPAGESIZE, "Hugepagesize", true),
    F(MB_MI_HUGETLB, "Hugetlb", true),
    F(MB_MI_COMMITLIMIT, "CommitLimit", true),
    F(MB_MI_COMMITTED_AS, "Committed_AS", true),
    F(MB_MI_UNEVICTABLE, "Unevictable", true),
#undef F
};

int mb_meminfo_parse(const char *buf, size_t len, struct mb_meminfo *ret, struct mb_error *err)
{
        const char *p = buf, *end = buf + len;
        struct mb_meminfo m;
        int lineno = 0;

        memset(&m, 0, sizeof(m));
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *le = nl ? nl : end;
                const char *colon = memchr(p, ':', (size_t)(le - p));

                lineno++;
                if (colon) {
                        size_t klen = (size_t)(colon - p);
                        for (int i = 0; i < MB_MI_COUNT; i++) {
                                const char *q = colon + 1;
                                uint64_t v;

                                if (mi_fields[i].len != klen || memcmp(p, mi_fields[i].name, klen))
                                        continue;
                                if (mb_parse_u64(&q, le, &v) < 0) {
                                        mb_error_set(err, "meminfo", lineno, (int)(q - p) + 1,
                                                     "bad value for %s", mi_fields[i].name);
                                        return -EINVAL;
                                }
                                if (v > (uint64_t)INT64_MAX / (mi_fields[i].kb ? 1024 : 1)) {
                                        mb_error_set(err, "meminfo", lineno, 0,
                                                     "value of %s out of range", mi_fields[i].name);
                                        return -EINVAL;
                                }
                                if (mi_fields[i].kb) {
                                        if (v > UINT64_MAX / 1024) {
                                                mb_error_set(err, "meminfo", lineno, 0,
                                                             "value of %s out of range",
                                                             mi_fields[i].name);
                                                return -EINVAL;
                                        }
                                        v *= 1024;
                                }
                                m.v[i] = v;
                                m.have |= 1ull << i;
                                break;
                        }
                }
                p = nl ? nl + 1 : end;
        }
        if (!mb_mi_has(&m, MB_MI_MEMTOTAL) || !mb_mi_has(&m, MB_MI_MEMFREE) ||
            m.v[MB_MI_MEMTOTAL] == 0) {
                mb_error_set(err, "meminfo", 0, 0, "MemTotal or MemFree missing");
                return -EINVAL;
        }
        *ret = m;
        return 0;
}

int mb_meminfo_read(struct mb_root *root, struct mb_meminfo *ret, struct mb_error *err)
{
        ssize_t n = mb_root_read(root, MB_F_MEMINFO);

        if (n < 0) {
                mb_error_set(err, "meminfo", 0, 0, "%s", mb_strerror((int)n));
                return (int)n;
        }
        return mb_meminfo_parse(root->scratch.data, (size_t)n, ret, err);
}

void mb_memsummary_compute(const struct mb_meminfo *m, struct mb_memsummary *ret)
{
        const uint64_t *v = m->v;
        uint64_t avail = v[MB_MI_MEMAVAILABLE];
        int64_t used;

        /* procps-ng 4.0.1+ library/meminfo.c, in this order. */
        if (!mb_mi_has(m, MB_MI_MEMAVAILABLE) || avail == 0)
                avail = v[MB_MI_MEMFREE];
        if (avail > v[MB_MI_MEMTOTAL])
                avail = v[MB_MI_MEMFREE];
        used = (int64_t)v[MB_MI_MEMTOTAL] - (int64_t)avail;
        if (used < 0)
                used = (int64_t)v[MB_MI_MEMTOTAL] - (int64_t)v[MB_MI_MEMFREE];
        if (used < 0)
                used = 0;

        memset(ret, 0, sizeof(*ret));
        ret->total = v[MB_MI_MEMTOTAL];
        ret->used = (uint64_t)used;
        ret->free = v[MB_MI_MEMFREE];
        ret->shared = v[MB_MI_SHMEM];
        ret->buff_cache = v[MB_MI_BUFFERS] + v[MB_MI_CACHED] + v[MB_MI_SRECLAIMABLE];
        ret->available = avail;
        ret->swap_total = v[MB_MI_SWAPTOTAL];
        ret->swap_free = v[MB_MI_SWAPFREE];
        ret->swap_used =
            v[MB_MI_SWAPFREE] < v[MB_MI_SWAPTOTAL] ? v[MB_MI_SWAPTOTAL] - v[MB_MI_SWAPFREE] : 0;
        ret->swap_cached = v[MB_MI_SWAPCACHED];
}

/* /proc/swaps escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(const char *s, size_t n, char *out, size_t cap)
{
        size_t o = 0;

        for (size_t i = 0; i < n && o + 1 < cap; i++) {
                if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
                    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
                        out[o++] =
                            (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
                        i += 3;
                } else {
                        out[o++] = s[i];
                }
        }
        out[o] = '\0';
}

void mb_swaps_release(struct mb_swaps *s)
{
        if (!s)
                return;
        free(s->dev);
        s->dev = NULL;
        s->n = s->cap = 0;
}

static const char *skip_ws(const char *p, const char *end)
{
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        return p;
}

static const char *field_end(const char *p, const char *end)
{
        while (p < end && *p != ' ' && *p != '\t')
                p++;
        return p;
}

int mb_swaps_parse(const char *buf, size_t len, struct mb_swaps *ret, struct mb_error *err)
{
        const char *p = buf, *end = buf + len;
        int lineno = 0;

        ret->n = 0;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *le = nl ? nl : end;
                struct mb_swapdev d;
                const char *f, *fe;
                uint64_t v;
                int64_t prio;

                lineno++;
                if (lineno == 1 || le == p) { /* header, empty line */
                        p = nl ? nl + 1 : end;
                        continue;
                }
                memset(&d, 0, sizeof(d));
                d.zram_orig = d.zram_compr = d.zram_mem_used = MB_UNKNOWN;
                f = skip_ws(p, le);
                fe = field_end(f, le);
                unescape_octal(f, (size_t)(fe - f), d.path, sizeof(d.path));
                f = skip_ws(fe, le);
                fe = field_end(f, le);
                if (fe == f || (size_t)(fe - f) >= sizeof(d.type))
                        goto bad;
                memcpy(d.type, f, (size_t)(fe - f));
                f = fe;
                if (mb_parse_u64(&f, le, &v) < 0 || v > (uint64_t)INT64_MAX / 1024)
                        goto bad;
                d.size = v * 1024;
                if (mb_parse_u64(&f, le, &v) < 0 || v > (uint64_t)INT64_MAX / 1024)
                        goto bad;
                d.used = v * 1024;
                if (mb_parse_i64(&f, le, &prio) < 0)
                        goto bad;
                d.priority = (int)prio;
                d.kind = strncmp(d.path, "/dev/zram", 9) == 0 ? MB_SWAP_ZRAM : MB_SWAP_DISK;
                if (MB_GROW(ret->dev, ret->n, ret->cap, 4) < 0)
                        return -ENOMEM;
                ret->dev[ret->n++] = d;
                p = nl ? nl + 1 : end;
                continue;
        bad:
                mb_error_set(err, "swaps", lineno, (int)(f - p) + 1, "malformed line");
                return -EINVAL;
        }
        return 0;
}

int mb_zram_mmstat_parse(const char *buf, size_t len, int64_t *orig, int64_t *compr,
                         int64_t *mem_used)
{
        const char *p = buf, *end = buf + len;
        uint64_t a, b, c;

        if (mb_parse_u64(&p, end, &a) < 0 || mb_parse_u64(&p, end, &b) < 0 ||
            mb_parse_u64(&p, end, &c) < 0 || a > INT64_MAX || b > INT64_MAX || c > INT64_MAX)
                return -EINVAL;
        *orig = (int64_t)a;
        *compr = (int64_t)b;
        *mem_used = (int64_t)c;
        return 0;
}

int mb_swaps_read(struct mb_root *root, struct mb_swaps *ret, struct mb_error *err)
{
        ssize_t n = mb_root_read(root, MB_F_SWAPS);
        int r;

        if (n < 0) {
                mb_error_set(err, "swaps", 0, 0, "%s", mb_strerror((int)n));
                return (int)n;
        }
        r = mb_swaps_parse(root->scratch.data, (size_t)n, ret, err);
        if (r < 0 || root->sys_fd < 0)
                return r;
        for (size_t i = 0; i < ret->n; i++) {
                struct mb_swapdev *d = &ret->dev[i];
                char path[300], buf[512];
                ssize_t l;

                if (d->kind != MB_SWAP_ZRAM)
                        continue;
                snprintf(path, sizeof(path), "block/%s/mm_stat", d->path + 5);
                l = mb_read_small_at(root->sys_fd, path, buf, sizeof(buf));
                if (l > 0)
                        mb_zram_mmstat_parse(buf, (size_t)l, &d->zram_orig, &d->zram_compr,
                                             &d->zram_mem_used);
        }
        return 0;
}

int mb_vmstat_parse(const char *buf, size_t len, struct mb_vmstat *ret, struct mb_error *err)
{
        const char *p = buf, *end = buf + len;
        struct mb_vmstat v;
        int lineno = 0, found = 0;
        static const struct {
                const char *name;
                size_t off;
        } keys[] = {
            {"pswpin", offsetof(struct mb_vmstat, pswpin)},
            {"pswpout", offsetof(struct mb_vmstat, pswpout)},
            {"pgmajfault", offsetof(struct mb_vmstat, pgmajfault)},
            {"zswpin", offsetof(struct mb_vmstat, zswpin)},
            {"zswpout", offsetof(struct mb_vmstat, zswpout)},
            {"workingset_refault_anon", offsetof(struct mb_vmstat, workingset_refault_anon)},
            {"oom_kill", offsetof(struct mb_vmstat, oom_kill)},
        };

        memset(&v, 0, sizeof(v));
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *le = nl ? nl : end;
                const char *sp = memchr(p, ' ', (size_t)(le - p));

                lineno++;
                if (sp) {
                        size_t klen = (size_t)(sp - p);
                        for (size_t i = 0; i < MB_ARRAY_SIZE(keys); i++) {
                                const char *q = sp;
                                uint64_t val;
                                if (strlen(keys[i].name) != klen || memcmp(p, keys[i].name, klen))
                                        continue;
                                if (mb_parse_u64(&q, le, &val) < 0) {
                                        mb_error_set(err, "vmstat", lineno, (int)(q - p) + 1,
                                                     "bad value for %s", keys[i].name);
                                        return -EINVAL;
                                }
                                memcpy((char *)&v + keys[i].off, &val, sizeof(val));
                                if (i < 2)
                                        found++;
                                break;
                        }
                }
                p = nl ? nl + 1 : end;
        }
        v.have_pswp = found == 2;
        *ret = v;
        return 0;
}

int mb_vmstat_read(struct mb_root *root, struct mb_vmstat *ret, struct mb_error *err)
{
        ssize_t n = mb_root_read(root, MB_F_VMSTAT);

        if (n < 0) {
                mb_error_set(err, "vmstat", 0, 0, "%s", mb_strerror((int)n));
                return (int)n;
        }
        return mb_vmstat_parse(root->scratch.data, (size_t)n, ret, err);
}

/* "avg10=0.00 avg60=0.01 avg300=0.03 total=269419" after "some"/"full". */
static int psi_parse_line(const char *p, const char *le, struct mb_psi_line *l)
{
        int got = 0;

        while (p < le) {
                const char *eq, *fe;
                char num[32];
                size_t n;

                p = skip_ws(p, le);
                fe = field_end(p, le);
                eq = memchr(p, '=', (size_t)(fe - p));
                if (!eq)
                        return -EINVAL;
                n = (size_t)(fe - eq - 1);
                if (n == 0 || n >= sizeof(num))
                        return -EINVAL;
                memcpy(num, eq + 1, n);
                num[n] = '\0';
                if (!strncmp(p, "total=", 6)) {
                        const char *q = eq + 1;
                        if (mb_parse_u64(&q, fe, &l->total_usec) < 0 || q != fe)
                                return -EINVAL;
                        got |= 8;
                } else {
                        char *e;
                        double d = strtod(num, &e);
                        if (*e || d < 0 || d > 100.0 || d != d)
                                return -EINVAL;
                        if (!strncmp(p, "avg10=", 6))
                                l->avg10 = d, got |= 1;
                        else if (!strncmp(p, "avg60=", 6))
                                l->avg60 = d, got |= 2;
                        else if (!strncmp(p, "avg300=", 7))
                                l->avg300 = d, got |= 4;
                }
                p = fe;
        }
        return got == 15 ? 0 : -EINVAL;
}

int mb_psi_parse(const char *buf, size_t len, struct mb_psi *ret, struct mb_error *err)
{
        const char *p = buf, *end = buf + len;
        struct mb_psi psi;
        int lineno = 0;
        bool some = false;

        memset(&psi, 0, sizeof(psi));
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *le = nl ? nl : end;

                lineno++;
                if (le - p >= 5 && !memcmp(p, "some ", 5)) {
                        if (psi_parse_line(p + 5, le, &psi.some) < 0)
                                goto bad;
                        some = true;
                } else if (le - p >= 5 && !memcmp(p, "full ", 5)) {
                        if (psi_parse_line(p + 5, le, &psi.full) < 0)
                                goto bad;
                        psi.have_full = true;
                } else if (le != p) {
                        goto bad;
                }
                p = nl ? nl + 1 : end;
        }
        if (!some) {
                mb_error_set(err, "pressure/memory", 0, 0, "no 'some' line");
                return -EINVAL;
        }
        *ret = psi;
        return 0;
bad:
        mb_error_set(err, "pressure/memory", lineno, 0, "malformed line");
        return -EINVAL;
}

int mb_psi_read(struct mb_root *root, struct mb_psi *ret, struct mb_error *err)
{
        ssize_t n = mb_root_read(root, MB_F_PSI_MEMORY);

        if (n < 0) {
                mb_error_set(err, "pressure/memory", 0, 0, "%s", mb_strerror((int)n));
                return (int)n;
        }
        return mb_psi_parse(root->scratch.data, (size_t)n, ret, err);
}

int mb_swappiness_read(struct mb_root *root, int *ret)
{
        ssize_t n = mb_root_read(root, MB_F_SWAPPINESS);
        const char *p;
        uint64_t v;

        if (n < 0)
                return (int)n;
        p = root->scratch.data;
        if (mb_parse_u64(&p, p + n, &v) < 0 || v > 200)
                return -EINVAL;
        *ret = (int)v;
        return 0;
}
