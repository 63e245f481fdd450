/* smaps.c: see smaps.h.  Format: proc(5), Documentation/filesystems/proc.rst. */
#define _GNU_SOURCE
#include "smaps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

#define SMAPS_CHUNK    (256u * 1024u)
#define CMDLINE_MAX    (32u * 1024u)
#define DELETED_SUFFIX " (deleted)"

static const struct {
        const char *key;
        enum mb_smaps_field f;
} smaps_keys[] = {
    {"Size", MB_SM_SIZE},
    {"Rss", MB_SM_RSS},
    {"Pss", MB_SM_PSS},
    {"Shared_Clean", MB_SM_SHARED_CLEAN},
    {"Shared_Dirty", MB_SM_SHARED_DIRTY},
    {"Private_Clean", MB_SM_PRIVATE_CLEAN},
    {"Private_Dirty", MB_SM_PRIVATE_DIRTY},
    {"Referenced", MB_SM_REFERENCED},
    {"Anonymous", MB_SM_ANONYMOUS},
    {"AnonHugePages", MB_SM_ANON_HUGE},
    {"Shared_Hugetlb", MB_SM_SHARED_HUGETLB},
    {"Private_Hugetlb", MB_SM_PRIVATE_HUGETLB},
    {"Swap", MB_SM_SWAP},
    {"SwapPss", MB_SM_SWAP_PSS},
    {"Locked", MB_SM_LOCKED},
};

void mb_smaps_init(struct mb_smaps *s)
{
        memset(s, 0, sizeof(*s));
        s->strings.max = 256u << 20;
        s->pid = -1;
}

void mb_smaps_release(struct mb_smaps *s)
{
        if (!s)
                return;
        free(s->m);
        mb_buf_release(&s->strings);
        free(s->cmdline);
        free(s->exe);
        mb_smaps_init(s);
}

void mb_smaps_reset(struct mb_smaps *s)
{
        s->n = 0;
        mb_buf_reset(&s->strings);
        s->fields_seen = 0;
        s->n_garbled = 0;
        s->truncated = false;
        s->fs_known = false;
        s->in_entry = false;
        s->skipping = false;
}

const char *mb_mapping_path(const struct mb_smaps *s, const struct mb_mapping *m)
{
        if (!m->path || !s->strings.data || m->path >= s->strings.len)
                return "";
        return s->strings.data + m->path;
}

int64_t mb_mapping_uss(const struct mb_mapping *m)
{
        return mb_add_sat(mb_add_sat(m->v[MB_SM_PRIVATE_CLEAN], m->v[MB_SM_PRIVATE_DIRTY]),
                          m->v[MB_SM_PRIVATE_HUGETLB]);
}

static uint32_t arena_put(struct mb_smaps *s, const char *p, size_t n)
{
        size_t off;

        if (s->strings.len == 0 && mb_buf_append(&s->strings, "", 1) < 0)
                return 0;
        off = s->strings.len;
        if (off > UINT32_MAX - n - 1)
                return 0;
        if (mb_buf_append(&s->strings, p, n) < 0 || mb_buf_append(&s->strings, "", 1) < 0)
                return 0;
        return (uint32_t)off;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* 1-16 hex digits. */
static bool parse_hex(const char **p, const char *end, uint64_t *ret)
{
        const char *q = *p;
        uint64_t v = 0;
        int n = 0, d;

        while (q < end && (d = hexval(*q)) >= 0) {
                if (++n > 16)
                        return false;
                v = v << 4 | (uint64_t)d;
                q++;
        }
        if (!n)
                return false;
        *p = q;
        *ret = v;
        return true;
}

static bool expect(const char **p, const char *end, char c)
{
        if (*p >= end || **p != c)
                return false;
        (*p)++;
        return true;
}

/* "start-end perms offset major:minor inode [path]" into m (path not stored). */
static bool parse_header(const char *p, const char *end, struct mb_mapping *m, const char **path,
                         size_t *pathlen)
{
        uint64_t maj, min, inode;

        memset(m, 0, sizeof(*m));
        if (!parse_hex(&p, end, &m->start) || !expect(&p, end, '-') ||
            !parse_hex(&p, end, &m->end) || !expect(&p, end, ' ') || m->end < m->start)
                return false;
        if (end - p < 5 || (p[0] != 'r' && p[0] != '-') || (p[1] != 'w' && p[1] != '-') ||
            (p[2] != 'x' && p[2] != '-') || (p[3] != 'p' && p[3] != 's') || p[4] != ' ')
                return false;
        memcpy(m->perms, p, 4);
        m->perms[4] = '\0';
        p += 5;
        if (!parse_hex(&p, end, &m->offset) || !expect(&p, end, ' ') || !parse_hex(&p, end, &maj) ||
            !expect(&p, end, ':') || !parse_hex(&p, end, &min) || !expect(&p, end, ' ') ||
            maj > UINT32_MAX || min > UINT32_MAX)
                return false;
        m->dev_major = (uint32_t)maj;
        m->dev_minor = (uint32_t)min;
        if (p >= end || *p < '0' || *p > '9' || mb_parse_u64(&p, end, &inode) < 0)
                return false;
        m->inode = inode;
        if (p < end && *p != ' ')
                return false;
        while (p < end && *p == ' ')
                p++;
        *path = p;
        *pathlen = (size_t)(end - p);
        return true;
}

static int add_mapping(struct mb_smaps *s, const struct mb_mapping *m, const char *path,
                       size_t plen)
{
        struct mb_mapping *dst;
        const size_t dl = sizeof(DELETED_SUFFIX) - 1;

        if (s->n >= MB_SMAPS_MAX_MAPPINGS) {
                s->truncated = true;
                s->skipping = true;
                return 0;
        }
        if (MB_GROW(s->m, s->n, s->cap, 256) < 0)
                return -ENOMEM;
        dst = &s->m[s->n];
        *dst = *m;
        if (plen > dl && !memcmp(path + plen - dl, DELETED_SUFFIX, dl)) {
                dst->flags |= MB_MAP_DELETED;
                plen -= dl;
        }
        if (plen) {
                dst->path = arena_put(s, path, plen);
                if (!dst->path)
                        return -ENOMEM;
        }
        s->n++;
        s->skipping = false;
        return 0;
}

int mb_smaps_parse_line(struct mb_smaps *s, const char *line, size_t len)
{
        const char *end = line + len, *p = line, *path;
        struct mb_mapping m;
        size_t plen, klen;
        uint64_t v;

        if (len && line[len - 1] == '\r')
                end--;
        if (p == end)
                return 0; /* blank line: tolerated */
        if (parse_header(p, end, &m, &path, &plen)) {
                s->in_entry = true;
                return add_mapping(s, &m, path, plen);
        }

        /* "Key:   value [kB]" */
        while (p < end && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                           (*p >= '0' && *p <= '9') || *p == '_'))
                p++;
        klen = (size_t)(p - line);
        if (!klen || p >= end || *p != ':' || !s->in_entry) {
                s->n_garbled++;
                return 0;
        }
        p++;
        for (size_t i = 0; i < MB_ARRAY_SIZE(smaps_keys); i++) {
                const char *k = smaps_keys[i].key;
                if (strlen(k) != klen || memcmp(k, line, klen))
                        continue;
                if (mb_parse_u64(&p, end, &v) < 0 || v > (uint64_t)INT64_MAX / 1024) {
                        s->n_garbled++;
                        return 0;
                }
                while (p < end && *p == ' ')
                        p++;
                if (end - p != 2 || memcmp(p, "kB", 2)) {
                        s->n_garbled++;
                        return 0;
                }
                if (!s->skipping && s->n) {
                        s->m[s->n - 1].v[smaps_keys[i].f] = (int64_t)(v * 1024);
                        s->fields_seen |= 1u << smaps_keys[i].f;
                }
                return 0;
        }
        return 0; /* a key we do not use: VmFlags, THPeligible, KernelPageSize... */
}

int mb_smaps_parse(struct mb_smaps *s, const char *buf, size_t len)
{
        const char *p = buf, *end = buf + len;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *le = nl ? nl : end;
                int r = mb_smaps_parse_line(s, p, (size_t)(le - p));
                if (r < 0)
                        return r;
                p = nl ? nl + 1 : end;
        }
        return 0;
}

static bool is_memfs(const char *t, size_t n)
{
        return (n == 5 && !memcmp(t, "tmpfs", 5)) || (n == 5 && !memcmp(t, "ramfs", 5));
}

void mb_smaps_mark_tmpfs(struct mb_smaps *s, const char *mi, size_t len)
{
        const char *p = mi, *end = mi + len;

        s->fs_known = true;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *le = nl ? nl : end;
                const char *q = p, *sep;
                uint64_t maj, min;
                int field = 0;

                /* Fields: id parent major:minor root mountpoint opts [tags] - type ... */
                while (q < le && field < 2) {
                        q = memchr(q, ' ', (size_t)(le - q));
                        if (!q)
                                break;
                        q++;
                        field++;
                }
                sep = q ? memmem(q, (size_t)(le - q), " - ", 3) : NULL;
                if (q && sep && mb_parse_u64(&q, le, &maj) == 0 && q < le && *q == ':' &&
                    (q++, mb_parse_u64(&q, le, &min) == 0)) {
                        const char *t = sep + 3, *te = memchr(t, ' ', (size_t)(le - t));
                        if (!te)
                                te = le;
                        if (is_memfs(t, (size_t)(te - t)))
                                for (size_t i = 0; i < s->n; i++)
                                        if (s->m[i].inode && s->m[i].dev_major == maj &&
                                            s->m[i].dev_minor == min)
                                                s->m[i].flags |= MB_MAP_TMPFS;
                }
                p = nl ? nl + 1 : end;
        }
}

static bool gone(int r)
{
        return r == -ENOENT || r == -ESRCH;
}

/* Read smaps in chunks, parsing whole lines; lines longer than a chunk are skipped. */
static int read_smaps(int dfd, struct mb_smaps *s)
{
        char *buf;
        size_t have = 0;
        bool overlong = false;
        int fd, r = 0;

        fd = openat(dfd, "smaps", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        buf = malloc(SMAPS_CHUNK);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        for (;;) {
                ssize_t got = read(fd, buf + have, SMAPS_CHUNK - have);
                const char *p, *end;

                if (got < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (got == 0) {
                        if (have && !overlong)
                                r = mb_smaps_parse_line(s, buf, have);
                        break;
                }
                have += (size_t)got;
                p = buf;
                end = buf + have;
                while (p < end) {
                        const char *nl = memchr(p, '\n', (size_t)(end - p));
                        if (!nl)
                                break;
                        if (overlong) {
                                overlong = false; /* the tail of a skipped line */
                        } else if ((r = mb_smaps_parse_line(s, p, (size_t)(nl - p))) < 0) {
                                goto out;
                        }
                        p = nl + 1;
                }
                have = (size_t)(end - p);
                if (have == SMAPS_CHUNK) {
                        if (!overlong)
                                s->n_garbled++;
                        overlong = true;
                        have = 0;
                } else if (have && p != buf) {
                        memmove(buf, p, have);
                }
        }
out:
        free(buf);
        close(fd);
        return r;
}

static ssize_t read_at(int dfd, const char *name, struct mb_buf *b, size_t limit)
{
        return mb_read_file_at(dfd, name, b, limit);
}

void mb_smaps_mark_exe(struct mb_smaps *s, const char *exe)
{
        char *own = NULL;

        if (!exe || !*exe) {
                /* No readlink (captured tree): the first file mapping is the program. */
                for (size_t i = 0; i < s->n; i++) {
                        const char *p = mb_mapping_path(s, &s->m[i]);
                        if (p[0] == '/' && s->m[i].inode) {
                                own = strdup(p);
                                break;
                        }
                }
                exe = own;
        }
        if (exe)
                for (size_t i = 0; i < s->n; i++)
                        if (s->m[i].path && !strcmp(mb_mapping_path(s, &s->m[i]), exe))
                                s->m[i].flags |= MB_MAP_EXE;
        free(own);
}

int mb_smaps_read(struct mb_root *root, int pid, struct mb_smaps *s)
{
        struct mb_buf b = MB_BUF_INIT;
        struct mb_proc p;
        char name[16], link[4200];
        ssize_t r;
        int dfd, ret = 0;

        mb_smaps_reset(s);
        free(s->cmdline);
        free(s->exe);
        s->cmdline = s->exe = NULL;
        s->name[0] = '\0';
        s->uid = 0;
        s->starttime = 0;
        s->pid = pid;
        if (pid <= 0)
                return -ENOENT;
        snprintf(name, sizeof(name), "%d", pid);
        dfd = openat(root->proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;

        memset(&p, 0, sizeof(p));
        r = read_at(dfd, "status", &b, 1u << 20);
        if (r < 0) {
                ret = (int)r;
                goto out;
        }
        if (mb_status_parse(b.data, (size_t)r, &p) < 0) {
                ret = -ESRCH; /* empty or half a file: it went away */
                goto out;
        }
        mb_strlcpy(s->name, p.name, sizeof(s->name));
        s->uid = p.uid;
        r = read_at(dfd, "stat", &b, 1u << 16);
        if (r > 0 && mb_stat_parse(b.data, (size_t)r, &p) == 0)
                s->starttime = p.starttime;

        r = read_at(dfd, "cmdline", &b, CMDLINE_MAX);
        if (gone((int)r)) {
                ret = (int)r;
                goto out;
        }
        if (r > 0) {
                size_t n = (size_t)r;
                for (size_t i = 0; i < n; i++)
                        if (b.data[i] == '\0' || b.data[i] == '\n' || b.data[i] == '\t')
                                b.data[i] = ' ';
                while (n > 0 && b.data[n - 1] == ' ')
                        n--;
                s->cmdline = strndup(b.data, n);
        } else {
                s->cmdline = strdup("");
        }
        if (!s->cmdline) {
                ret = -ENOMEM;
                goto out;
        }

        r = readlinkat(dfd, "exe", link, sizeof(link) - 1);
        if (r > 0) {
                size_t n = (size_t)r;
                const size_t dl = sizeof(DELETED_SUFFIX) - 1;
                link[n] = '\0';
                if (n > dl && !strcmp(link + n - dl, DELETED_SUFFIX))
                        link[n - dl] = '\0';
                s->exe = strdup(link);
        }

        ret = read_smaps(dfd, s);
        if (ret == -EPERM)
                ret = -EACCES;
        if (ret < 0)
                goto out;
        mb_smaps_mark_exe(s, s->exe);

        r = read_at(dfd, "mountinfo", &b, 4u << 20);
        if (r > 0)
                mb_smaps_mark_tmpfs(s, b.data, (size_t)r);
out:
        mb_buf_release(&b);
        close(dfd);
        return ret;
}

const char *mb_smaps_path(const struct mb_root *root, int pid, char *buf, size_t len)
{
        snprintf(buf, len, "%s/%d/smaps", root->proc_path, pid);
        return buf;
}
