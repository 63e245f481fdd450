/* proc.c: see proc.h.  Formats: LINUX-MEMORY-REFERENCE.md §2. */
#define _GNU_SOURCE
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMDLINE_MAX (32u * 1024u)

void mb_proctab_init(struct mb_proctab *t)
{
        memset(t, 0, sizeof(*t));
        t->strings.max = 256u << 20;
        t->rd.max = 1u << 20;
        t->clk_tck = sysconf(_SC_CLK_TCK);
}

void mb_proctab_release(struct mb_proctab *t)
{
        if (!t)
                return;
        free(t->p);
        mb_buf_release(&t->strings);
        mb_buf_release(&t->rd);
        memset(t, 0, sizeof(*t));
}

const char *mb_proc_str(const struct mb_proctab *t, uint32_t off)
{
        if (!off || !t->strings.data || off >= t->strings.len)
                return "";
        return t->strings.data + off;
}

const char *mb_proc_cmdline(const struct mb_proctab *t, const struct mb_proc *p)
{
        return mb_proc_str(t, p->cmdline);
}

/* Store a string in the arena; returns its offset (0 on failure). */
static uint32_t arena_put(struct mb_proctab *t, const char *s, size_t n)
{
        size_t off;

        if (t->strings.len == 0 && mb_buf_append(&t->strings, "", 1) < 0)
                return 0; /* offset 0 is the empty string */
        off = t->strings.len;
        if (off > UINT32_MAX - n - 1)
                return 0;
        if (mb_buf_append(&t->strings, s, n) < 0 || mb_buf_append(&t->strings, "", 1) < 0)
                return 0;
        return (uint32_t)off;
}

static int64_t kb_value(const char *p, const char *le)
{
        uint64_t v;

        if (mb_parse_u64(&p, le, &v) < 0 || v > (uint64_t)INT64_MAX / 1024)
                return MB_UNKNOWN;
        return (int64_t)(v * 1024);
}

static bool key_is(const char *p, const char *le, const char *key, size_t klen)
{
        return (size_t)(le - p) > klen && memcmp(p, key, klen) == 0;
}

int mb_status_parse(const char *buf, size_t len, struct mb_proc *p)
{
        const char *s = buf, *end = buf + len;
        bool have_vm = false, have_kthread_line = false, kthread = false;
        bool have_name = false;

        while (s < end) {
                const char *nl = memchr(s, '\n', (size_t)(end - s));
                const char *le = nl ? nl : end;
                const char *v;

#define K(lit) (key_is(s, le, lit, sizeof(lit) - 1) ? (v = s + sizeof(lit) - 1, true) : false)
                switch (s[0]) {
                case 'N':
                        if (K("Name:")) {
                                size_t n;
                                while (v < le && *v == '\t')
                                        v++;
                                n = (size_t)(le - v);
                                if (n >= sizeof(p->name))
                                        n = sizeof(p->name) - 1;
                                memcpy(p->name, v, n);
                                p->name[n] = '\0';
                                have_name = true;
                        }
                        break;
                case 'S':
                        if (K("State:")) {
                                while (v < le && (*v == '\t' || *v == ' '))
                                        v++;
                                if (v < le)
                                        p->state = *v;
                        }
                        break;
                case 'P':
                        if (K("PPid:")) {
                                int64_t x;
                                if (mb_parse_i64(&v, le, &x) == 0 && x >= 0 && x <= INT32_MAX)
                                        p->ppid = (int)x;
                        }
                        break;
                case 'U':
                        if (K("Uid:")) {
                                uint64_t x;
                                if (mb_parse_u64(&v, le, &x) == 0 && x <= UINT32_MAX)
                                        p->uid = (uint32_t)x;
                        }
                        break;
                case 'K':
                        if (K("Kthread:")) {
                                have_kthread_line = true;
                                while (v < le && (*v == '\t' || *v == ' '))
                                        v++;
                                kthread = v < le && *v == '1';
                        }
                        break;
                case 'T':
                        if (K("Threads:")) {
                                int64_t x;
                                if (mb_parse_i64(&v, le, &x) == 0 && x >= 0 && x <= INT32_MAX)
                                        p->threads = (int)x;
                        }
                        break;
                case 'V':
                        if (K("VmSize:"))
                                p->vsz = kb_value(v, le), have_vm = true;
                        else if (K("VmRSS:"))
                                p->rss = kb_value(v, le);
                        else if (K("VmHWM:"))
                                p->hwm = kb_value(v, le);
                        else if (K("VmSwap:"))
                                p->swap = kb_value(v, le);
                        break;
                case 'R':
                        if (K("RssAnon:"))
                                p->rss_anon = kb_value(v, le);
                        else if (K("RssFile:"))
                                p->rss_file = kb_value(v, le);
                        else if (K("RssShmem:"))
                                p->rss_shmem = kb_value(v, le);
                        break;
                default:
                        break;
                }
#undef K
                s = nl ? nl + 1 : end;
        }
        if (!have_name)
                return -EINVAL;
        if (p->state == 'Z')
                p->flags |= MB_P_ZOMBIE;
        /* Kernel threads have no Vm* lines; newer kernels also say Kthread: 1. */
        if (kthread || (!have_kthread_line && !have_vm && p->state != 'Z'))
                p->flags |= MB_P_KTHREAD;
        return 0;
}

int mb_stat_parse(const char *buf, size_t len, struct mb_proc *p)
{
        const char *rp = NULL, *s, *end = buf + len;
        int field = 2; /* the field the cursor is in: comm */

        /* comm may hold spaces and ')': split at the last ')'. */
        for (const char *q = buf; q < end; q++)
                if (*q == ')')
                        rp = q;
        if (!rp)
                return -EINVAL;
        s = rp + 1;
        while (s < end) {
                while (s < end && *s == ' ')
                        s++;
                if (s >= end || *s == '\n')
                        break;
                field++;
                if (field == 3) {
                        if (!p->state)
                                p->state = *s;
                } else if (field == 22) {
                        uint64_t v;
                        if (mb_parse_u64(&s, end, &v) < 0)
                                return -EINVAL;
                        p->starttime = v;
                        return 0;
                }
                while (s < end && *s != ' ' && *s != '\n')
                        s++;
        }
        return -EINVAL;
}

int mb_rollup_parse(const char *buf, size_t len, struct mb_proc *p)
{
        const char *s = buf, *end = buf + len;
        int64_t priv = 0;
        int got = 0;

        while (s < end) {
                const char *nl = memchr(s, '\n', (size_t)(end - s));
                const char *le = nl ? nl : end;
                const char *v;
                int64_t x;

#define K(lit) (key_is(s, le, lit, sizeof(lit) - 1) ? (v = s + sizeof(lit) - 1, true) : false)
                if (K("Pss:")) {
                        p->pss = kb_value(v, le);
                        got |= 1;
                } else if (K("Private_Clean:") || K("Private_Dirty:") || K("Private_Hugetlb:")) {
                        x = kb_value(v, le);
                        if (x == MB_UNKNOWN || priv == MB_UNKNOWN || priv > INT64_MAX - x)
                                priv = MB_UNKNOWN; /* garbled or absurd: USS unknown */
                        else
                                priv += x;
                        got |= 2;
                } else if (K("Swap:")) {
                        p->rollup_swap = kb_value(v, le);
                } else if (K("SwapPss:")) {
                        p->swappss = kb_value(v, le);
                } else if (K("AnonHugePages:")) {
                        p->anon_huge = kb_value(v, le);
                }
#undef K
                s = nl ? nl + 1 : end;
        }
        if (got != 3 || p->pss == MB_UNKNOWN)
                return -EINVAL;
        p->uss = priv;
        return 0;
}

void mb_cgroup_parse(struct mb_proctab *t, const char *buf, size_t len, struct mb_proc *p)
{
        const char *s = buf, *end = buf + len;

        while (s < end) {
                const char *nl = memchr(s, '\n', (size_t)(end - s));
                const char *le = nl ? nl : end;
                const char *c1 = memchr(s, ':', (size_t)(le - s));
                const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(le - c1 - 1)) : NULL;

                if (c2) {
                        const char *ctl = c1 + 1, *path = c2 + 1;
                        size_t clen = (size_t)(c2 - ctl), plen = (size_t)(le - path);
                        bool mem = false;

                        for (const char *q = ctl; q < c2;) {
                                const char *comma = memchr(q, ',', (size_t)(c2 - q));
                                const char *qe = comma ? comma : c2;
                                if (qe - q == 6 && !memcmp(q, "memory", 6))
                                        mem = true;
                                q = comma ? comma + 1 : c2;
                        }
                        if (clen == 0 && c1 - s == 1 && s[0] == '0')
                                p->cg_v2 = arena_put(t, path, plen);
                        else if (mem)
                                p->cg_mem = arena_put(t, path, plen);
                        else if (clen == 12 && !memcmp(ctl, "name=systemd", 12))
                                p->cg_sd = arena_put(t, path, plen);
                }
                s = nl ? nl + 1 : end;
        }
}

bool mb_scan_filter_accepts(const struct mb_scan_filter *f, const struct mb_proc *p)
{
        if (!f)
                return true;
        if (f->skip_kthreads && (p->flags & MB_P_KTHREAD))
                return false;
        if (f->has_uid && p->uid != f->uid)
                return false;
        if (f->min_rss > 0 && (p->rss == MB_UNKNOWN || p->rss < f->min_rss))
                return false;
        if (f->min_swap > 0 && (p->swap == MB_UNKNOWN || p->swap < f->min_swap))
                return false;
        return true;
}

/* The command line just read into t->rd: NULs and control separators to
 * spaces, trailing spaces cut, stored in the arena. */
static void store_cmdline(struct mb_proctab *t, struct mb_proc *p, size_t n)
{
        char *c = t->rd.data;

        if (n == CMDLINE_MAX)
                p->flags |= MB_P_CMDLINE_TRUNC;
        for (size_t i = 0; i < n; i++)
                if (c[i] == '\0' || c[i] == '\n' || c[i] == '\t')
                        c[i] = ' ';
        while (n > 0 && c[n - 1] == ' ')
                n--;
        c[n] = '\0';
        if (n > 0)
                p->cmdline = arena_put(t, c, n);
}

static void proc_reset(struct mb_proc *p, int pid)
{
        memset(p, 0, sizeof(*p));
        p->pid = pid;
        p->vsz = p->rss = p->hwm = p->rss_anon = p->rss_file = p->rss_shmem = p->swap = MB_UNKNOWN;
        p->pss = p->uss = p->swappss = p->rollup_swap = p->anon_huge = MB_UNKNOWN;
        p->gpu = MB_UNKNOWN;
}

struct mb_proc *mb_proctab_slot(struct mb_proctab *t, int pid)
{
        struct mb_proc *p;

        if (MB_GROW(t->p, t->n, t->cap, 512) < 0)
                return NULL;
        p = &t->p[t->n];
        proc_reset(p, pid);
        return p;
}

/* Read one file of a process: relative to dfd with `name`, or relative to
 * the proc root with "PID/name" when dfd < 0. */
static ssize_t read_pidfile(struct mb_proctab *t, int procfd, int dfd, const char *pidstr,
                            size_t pidlen, const char *name, size_t limit)
{
        char path[64];
        size_t nlen = strlen(name);

        if (dfd < 0) {
                memcpy(path, pidstr, pidlen);
                path[pidlen] = '/';
                memcpy(path + pidlen + 1, name, nlen + 1);
                dfd = procfd;
                name = path;
        }
        /* limit 0: a seq_file (status, stat, smaps_rollup, cgroup), whole in one read */
        return limit ? mb_read_file_at(dfd, name, &t->rd, limit)
                     : mb_read_seqfile_at(dfd, name, &t->rd);
}

/* Did the process go away?  In a captured tree a missing file is just
 * missing (the tree has what was captured); on the live /proc it means the
 * process is gone. */
static bool gone(const struct mb_root *root, ssize_t r)
{
        return r == -ESRCH || (r == -ENOENT && root->live);
}

int mb_proc_scan(struct mb_root *root, unsigned flags, const struct mb_scan_filter *filter,
                 struct mb_proctab *t)
{
        bool need_dirfd =
            (flags & (MB_SCAN_CMDLINE | MB_SCAN_STAT | MB_SCAN_ROLLUP | MB_SCAN_CGROUP)) != 0;
        int lfd;
        DIR *d;
        struct dirent *e;

        lfd = openat(root->proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (lfd < 0)
                return -errno;
        d = fdopendir(lfd);
        if (!d) {
                int r = -errno;
                close(lfd);
                return r;
        }
        t->n = 0;
        mb_buf_reset(&t->strings);
        t->flags = flags;
        t->n_seen = t->n_kthreads = t->n_zombies = t->n_vanished = t->n_denied = 0;
        t->n_pss_denied = t->n_filtered = 0;

        while ((e = readdir(d)) != NULL) {
                const char *name = e->d_name;
                struct mb_proc *p;
                size_t pidlen = 0;
                int pid = 0, dfd = -1;
                ssize_t r;

                if (name[0] < '1' || name[0] > '9')
                        continue;
                for (; name[pidlen]; pidlen++) {
                        if (name[pidlen] < '0' || name[pidlen] > '9' || pidlen > 9)
                                break;
                        pid = pid * 10 + (name[pidlen] - '0');
                }
                if (name[pidlen] || pidlen > 9)
                        continue;
                t->n_seen++;

                p = mb_proctab_slot(t, pid);
                if (!p) {
                        closedir(d);
                        return -ENOMEM;
                }

                if (need_dirfd) {
                        dfd = openat(root->proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (dfd < 0) {
                                if (errno == ENOENT || errno == ESRCH)
                                        t->n_vanished++;
                                else
                                        t->n_denied++;
                                continue;
                        }
                }

                r = read_pidfile(t, root->proc_fd, dfd, name, pidlen, "status", 0);
                if (r < 0 || mb_status_parse(t->rd.data, (size_t)r, p) < 0) {
                        if (r >= 0 || gone(root, r))
                                t->n_vanished++; /* empty or half a file: it went away */
                        else
                                t->n_denied++;
                        goto next_drop;
                }
                if (p->flags & MB_P_KTHREAD)
                        t->n_kthreads++;
                if (p->flags & MB_P_ZOMBIE)
                        t->n_zombies++;
                if (!mb_scan_filter_accepts(filter, p)) {
                        t->n_filtered++;
                        goto next_drop;
                }

                if ((flags & MB_SCAN_CMDLINE) || (filter && filter->match)) {
                        r = read_pidfile(t, root->proc_fd, dfd, name, pidlen, "cmdline",
                                         CMDLINE_MAX);
                        if (gone(root, r)) {
                                t->n_vanished++;
                                goto next_drop;
                        }
                        if (r > 0)
                                store_cmdline(t, p, (size_t)r);
                        if (filter && filter->match) {
                                const char *cl = p->cmdline ? mb_proc_str(t, p->cmdline) : p->name;
                                if (regexec(filter->match, cl, 0, NULL, 0) != 0) {
                                        t->n_filtered++;
                                        goto next_drop;
                                }
                        }
                }
                if (flags & MB_SCAN_STAT) {
                        r = read_pidfile(t, root->proc_fd, dfd, name, pidlen, "stat", 0);
                        if (gone(root, r)) {
                                t->n_vanished++;
                                goto next_drop;
                        }
                        if (r > 0)
                                mb_stat_parse(t->rd.data, (size_t)r, p);
                }
                if (flags & MB_SCAN_CGROUP) {
                        r = read_pidfile(t, root->proc_fd, dfd, name, pidlen, "cgroup", 0);
                        if (r > 0)
                                mb_cgroup_parse(t, t->rd.data, (size_t)r, p);
                }
                if ((flags & MB_SCAN_ROLLUP) && !(p->flags & (MB_P_KTHREAD | MB_P_ZOMBIE))) {
                        r = read_pidfile(t, root->proc_fd, dfd, name, pidlen, "smaps_rollup", 0);
                        if (r == -EACCES || r == -EPERM) {
                                p->flags |= MB_P_PSS_DENIED;
                                t->n_pss_denied++;
                        } else if (r > 0) {
                                mb_rollup_parse(t->rd.data, (size_t)r, p);
                        }
                }
                if (dfd >= 0)
                        close(dfd);
                t->n++;
                continue;
        next_drop:
                if (dfd >= 0)
                        close(dfd);
        }
        closedir(d);
        return (int)t->n;
}

int mb_proc_read_rollup(struct mb_root *root, struct mb_proctab *t, struct mb_proc *p)
{
        char path[32];
        ssize_t r;

        if (p->flags & (MB_P_KTHREAD | MB_P_ZOMBIE))
                return -ESRCH;
        if (p->pss != MB_UNKNOWN)
                return 0;
        snprintf(path, sizeof(path), "%d/smaps_rollup", p->pid);
        r = mb_read_seqfile_at(root->proc_fd, path, &t->rd);
        if (r == -EACCES || r == -EPERM) {
                if (!(p->flags & MB_P_PSS_DENIED)) {
                        p->flags |= MB_P_PSS_DENIED;
                        t->n_pss_denied++;
                }
                return -EACCES;
        }
        if (r < 0)
                return (int)r;
        return mb_rollup_parse(t->rd.data, (size_t)r, p);
}

int mb_proc_read_cmdline(struct mb_root *root, struct mb_proctab *t, struct mb_proc *p)
{
        struct mb_proc probe;
        char dir[16];
        ssize_t r;
        int dfd;

        if (p->cmdline || (p->flags & MB_P_KTHREAD))
                return 0;
        snprintf(dir, sizeof(dir), "%d", p->pid);
        dfd = openat(root->proc_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        /* Same process?  The directory fd pins it; its start time names it. */
        if (p->starttime) {
                memset(&probe, 0, sizeof(probe));
                r = mb_read_file_at(dfd, "stat", &t->rd, 0);
                if (r < 0 || mb_stat_parse(t->rd.data, (size_t)r, &probe) < 0 ||
                    probe.starttime != p->starttime) {
                        close(dfd);
                        return -ESRCH;
                }
        }
        r = mb_read_file_at(dfd, "cmdline", &t->rd, CMDLINE_MAX);
        close(dfd);
        if (r < 0)
                return (int)r;
        store_cmdline(t, p, (size_t)r);
        return 0;
}
