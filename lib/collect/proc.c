/* proc.c: see proc.h.  Formats: LINUX-MEMORY-REFERENCE.md §2. */
#define _GNU_SOURCE
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
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

/* Past "(comm)" of a stat line: comm may hold spaces and ')', so the split
 * is at the last ')'.  NULL when there is none. */
static const char *stat_after_comm(const char *buf, const char *end)
{
        const char *rp = NULL;

        for (const char *q = buf; q < end; q++)
                if (*q == ')')
                        rp = q;
        return rp ? rp + 1 : NULL;
}

/* The start of field `want` of a stat line, from s with field `at` before
 * it (2 past comm); NULL when the line ends first. */
static const char *stat_seek(const char *s, const char *end, int at, int want)
{
        while (s && s < end) {
                while (s < end && *s == ' ')
                        s++;
                if (s >= end || *s == '\n')
                        break;
                if (++at == want)
                        return s;
                while (s < end && *s != ' ' && *s != '\n')
                        s++;
        }
        return NULL;
}

int mb_stat_field(const char *buf, size_t len, int field, uint64_t *ret)
{
        const char *end = buf + len;
        const char *s = field > 2 ? stat_seek(stat_after_comm(buf, end), end, 2, field) : NULL;

        return s && mb_parse_u64(&s, end, ret) >= 0 ? 0 : -EINVAL;
}

int mb_stat_parse(const char *buf, size_t len, struct mb_proc *p)
{
        const char *end = buf + len, *s = stat_seek(stat_after_comm(buf, end), end, 2, 3);
        uint64_t v;

        if (!s)
                return -EINVAL;
        if (!p->state)
                p->state = *s; /* field 3 */
        s = stat_seek(s, end, 2, 22);
        if (!s || mb_parse_u64(&s, end, &v) < 0)
                return -EINVAL;
        p->starttime = v; /* field 22 */
        return 0;
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
        for (size_t i = 0; i < f->nskip; i++)
                if (p->pid == f->skip[i])
                        return false;
        if (f->has_uid && p->uid != f->uid)
                return false;
        if (f->min_rss > 0 && (p->rss == MB_UNKNOWN || p->rss < f->min_rss))
                return false;
        if (f->min_swap > 0 && (p->swap == MB_UNKNOWN || p->swap < f->min_swap))
                return false;
        return true;
}

/* A command line as read (n bytes at c, room for a NUL): NULs and control
 * separators to spaces, trailing spaces cut.  The new length. */
static size_t clean_cmdline(char *c, size_t n, struct mb_proc *p)
{
        if (n == CMDLINE_MAX)
                p->flags |= MB_P_CMDLINE_TRUNC;
        for (size_t i = 0; i < n; i++)
                if (c[i] == '\0' || c[i] == '\n' || c[i] == '\t')
                        c[i] = ' ';
        while (n > 0 && c[n - 1] == ' ')
                n--;
        c[n] = '\0';
        return n;
}

/* The command line just read into t->rd, stored in the arena. */
static void store_cmdline(struct mb_proctab *t, struct mb_proc *p, size_t n)
{
        n = clean_cmdline(t->rd.data, n, p);
        if (n > 0)
                p->cmdline = arena_put(t, t->rd.data, n);
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

bool mb_proctab_admit(struct mb_proctab *t, const struct mb_proc *p,
                      const struct mb_scan_filter *filter)
{
        if (p->flags & MB_P_KTHREAD)
                t->n_kthreads++;
        if (p->flags & MB_P_ZOMBIE)
                t->n_zombies++;
        if (!mb_scan_filter_accepts(filter, p)) {
                t->n_filtered++;
                return false;
        }
        return true;
}

/* One process of a scan into the slot after t's last; kept (t->n++) unless
 * it vanished, was denied or filtered.  0, or -ENOMEM. */
static int scan_one(struct mb_root *root, unsigned flags, const struct mb_scan_filter *filter,
                    struct mb_proctab *t, int pid)
{
        bool need_dirfd = (flags & (MB_SCAN_CMDLINE | MB_SCAN_STAT | MB_SCAN_CGROUP)) != 0;
        char name[24];
        size_t pidlen = mb_fmt_u64((uint64_t)pid, name);
        struct mb_proc *p;
        int dfd = -1;
        ssize_t r;

        t->n_seen++;
        p = mb_proctab_slot(t, pid);
        if (!p)
                return -ENOMEM;
        if (need_dirfd) {
                dfd = openat(root->proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0) {
                        if (errno == ENOENT || errno == ESRCH)
                                t->n_vanished++;
                        else
                                t->n_denied++;
                        return 0;
                }
        }

        r = read_pidfile(t, root->proc_fd, dfd, name, pidlen, "status", 0);
        if (r < 0 || mb_status_parse(t->rd.data, (size_t)r, p) < 0) {
                if (r >= 0 || gone(root, r))
                        t->n_vanished++; /* empty or half a file: it went away */
                else
                        t->n_denied++;
                goto drop;
        }
        if (!mb_proctab_admit(t, p, filter))
                goto drop;

        if ((flags & MB_SCAN_CMDLINE) || (filter && filter->match)) {
                r = read_pidfile(t, root->proc_fd, dfd, name, pidlen, "cmdline", CMDLINE_MAX);
                if (gone(root, r)) {
                        t->n_vanished++;
                        goto drop;
                }
                if (r > 0)
                        store_cmdline(t, p, (size_t)r);
                if (filter && filter->match) {
                        const char *cl = p->cmdline ? mb_proc_str(t, p->cmdline) : p->name;
                        if (regexec(filter->match, cl, 0, NULL, 0) != 0) {
                                t->n_filtered++;
                                goto drop;
                        }
                }
        }
        if (flags & MB_SCAN_STAT) {
                r = read_pidfile(t, root->proc_fd, dfd, name, pidlen, "stat", 0);
                if (gone(root, r)) {
                        t->n_vanished++;
                        goto drop;
                }
                if (r > 0)
                        mb_stat_parse(t->rd.data, (size_t)r, p);
        }
        if (flags & MB_SCAN_CGROUP) {
                r = read_pidfile(t, root->proc_fd, dfd, name, pidlen, "cgroup", 0);
                if (r > 0)
                        mb_cgroup_parse(t, t->rd.data, (size_t)r, p);
        }
        t->n++;
drop:
        if (dfd >= 0)
                close(dfd);
        return 0;
}

/* The PIDs in the proc root, in directory order.  Count, or -errno. */
static ssize_t list_pids(struct mb_root *root, int **ret)
{
        int lfd, *pids = NULL;
        size_t n = 0, cap = 0;
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
        while ((e = readdir(d)) != NULL) {
                const char *name = e->d_name;
                size_t len = 0;
                int pid = 0;

                if (name[0] < '1' || name[0] > '9')
                        continue;
                for (; name[len]; len++) {
                        if (name[len] < '0' || name[len] > '9' || len > 9)
                                break;
                        pid = pid * 10 + (name[len] - '0');
                }
                if (name[len] || len > 9)
                        continue;
                if (MB_GROW(pids, n, cap, 1024) < 0) {
                        free(pids);
                        closedir(d);
                        return -ENOMEM;
                }
                pids[n++] = pid;
        }
        closedir(d);
        *ret = pids;
        return (ssize_t)n;
}

/*
 * Threads for a bulk pass over todo processes: the mb_scan_set_threads()
 * setting when there is one (the CLI's MEMBUDGET_SCAN_THREADS, 1 for the
 * daemons); else 1 under `min` of them, or the online CPUs, at most 4.
 */
static unsigned scan_threads_setting; /* 0: automatic */

void mb_scan_set_threads(unsigned n)
{
        scan_threads_setting = n > MB_SCAN_MAX_THREADS ? MB_SCAN_MAX_THREADS : n;
}

static unsigned scan_threads(size_t todo, size_t min)
{
        long n;

        if (scan_threads_setting)
                return scan_threads_setting;
        if (todo < min)
                return 1;
        n = sysconf(_SC_NPROCESSORS_ONLN);
        return n < 1 ? 1 : n > 4 ? 4 : (unsigned)n;
}

/*
 * Run fn(arg) on nthreads threads, this one included, and wait for them.  A
 * thread that cannot start leaves its share to the others (the workers
 * claim work until none is left).
 */
static void run_workers(unsigned nthreads, void *(*fn)(void *), void *arg)
{
        pthread_t tid[MB_SCAN_MAX_THREADS];
        unsigned started = 0;

        for (unsigned k = 1; k < nthreads && k < MB_SCAN_MAX_THREADS; k++)
                if (pthread_create(&tid[started], NULL, fn, arg) == 0)
                        started++;
        fn(arg);
        for (unsigned k = 0; k < started; k++)
                pthread_join(tid[k], NULL);
}

/* Claim the next rows [*from, *to) of n, 16 at a time; false when none is left. */
static bool claim(size_t *next, size_t n, size_t *from, size_t *to)
{
        size_t i = __atomic_fetch_add(next, 16, __ATOMIC_RELAXED);

        if (i >= n)
                return false;
        *from = i;
        *to = i + 16 < n ? i + 16 : n;
        return true;
}

struct scan_chunk {
        const int *pids;
        size_t n;
        struct mb_proctab t; /* its own table, strings and read buffer */
        int r;
};

struct scan_job {
        struct mb_root *root;
        unsigned flags;
        const struct mb_scan_filter *filter;
        struct scan_chunk *chunk;
        size_t nchunks;
        size_t next; /* next chunk to claim (atomic) */
};

/* One worker: claims whole chunks, one at a time. */
static void *scan_worker(void *arg)
{
        struct scan_job *job = arg;
        size_t k;

        while ((k = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED)) < job->nchunks) {
                struct scan_chunk *c = &job->chunk[k];
                for (size_t i = 0; i < c->n && c->r == 0; i++)
                        c->r = scan_one(job->root, job->flags, job->filter, &c->t, c->pids[i]);
        }
        return NULL;
}

static uint32_t rebase(uint32_t off, uint32_t base)
{
        return off ? off + base : 0;
}

/* Append chunk c's processes and counters to t (string offsets moved). */
static int merge_chunk(struct mb_proctab *t, struct scan_chunk *c)
{
        uint32_t base = 0;

        if (c->t.strings.len > 1) {
                if (t->strings.len == 0 && mb_buf_append(&t->strings, "", 1) < 0)
                        return -ENOMEM;
                if (t->strings.len > UINT32_MAX - c->t.strings.len)
                        return -ENOMEM;
                /* chunk offset 0 is its empty string; keep offsets >= 1 */
                base = (uint32_t)t->strings.len - 1;
                if (mb_buf_append(&t->strings, c->t.strings.data + 1, c->t.strings.len - 1) < 0)
                        return -ENOMEM;
        }
        while (t->cap < t->n + c->t.n)
                if (MB_GROW(t->p, t->cap, t->cap, 512) < 0)
                        return -ENOMEM;
        for (size_t i = 0; i < c->t.n; i++) {
                struct mb_proc *p = &t->p[t->n++];
                *p = c->t.p[i];
                p->cmdline = rebase(p->cmdline, base);
                p->cg_v2 = rebase(p->cg_v2, base);
                p->cg_mem = rebase(p->cg_mem, base);
                p->cg_sd = rebase(p->cg_sd, base);
        }
        t->n_seen += c->t.n_seen;
        t->n_kthreads += c->t.n_kthreads;
        t->n_zombies += c->t.n_zombies;
        t->n_vanished += c->t.n_vanished;
        t->n_denied += c->t.n_denied;
        t->n_filtered += c->t.n_filtered;
        return 0;
}

int mb_proc_scan(struct mb_root *root, unsigned flags, const struct mb_scan_filter *filter,
                 struct mb_proctab *t)
{
        struct scan_chunk chunk[MB_SCAN_MAX_THREADS];
        struct scan_job job = {.root = root, .flags = flags, .filter = filter, .chunk = chunk};
        unsigned nthreads;
        ssize_t npids;
        int *pids = NULL, r = 0;

        npids = list_pids(root, &pids);
        if (npids < 0)
                return (int)npids;
        t->n = 0;
        mb_buf_reset(&t->strings);
        t->flags = flags;
        t->n_seen = t->n_kthreads = t->n_zombies = t->n_vanished = t->n_denied = 0;
        t->n_pss_denied = t->n_filtered = 0;

        /* Several CPUs read contiguous shares of the PID list into tables of
         * their own, merged in order: the same rows as one pass. */
        nthreads = scan_threads((size_t)npids, MB_SCAN_PARALLEL_MIN);
        if (nthreads <= 1) {
                for (ssize_t i = 0; i < npids && r == 0; i++)
                        r = scan_one(root, flags, filter, t, pids[i]);
        } else {
                size_t per = ((size_t)npids + nthreads - 1) / nthreads;
                for (size_t from = 0; from < (size_t)npids; from += per) {
                        struct scan_chunk *c = &chunk[job.nchunks++];
                        *c = (struct scan_chunk){
                            .pids = pids + from,
                            .n = from + per < (size_t)npids ? per : (size_t)npids - from};
                        mb_proctab_init(&c->t);
                        c->t.clk_tck = t->clk_tck;
                }
                run_workers(nthreads, scan_worker, &job);
                for (size_t k = 0; k < job.nchunks; k++) {
                        if (r == 0)
                                r = chunk[k].r < 0 ? chunk[k].r : merge_chunk(t, &chunk[k]);
                        mb_proctab_release(&chunk[k].t);
                }
        }
        free(pids);
        if (r < 0)
                return r;
        /* smaps_rollup walks each process's page tables: by far the costliest
         * file.  Read after the pass, on several CPUs. */
        if ((flags & MB_SCAN_ROLLUP) && mb_proc_read_rollups(root, t) < 0)
                return -ENOMEM;
        return (int)t->n;
}

/* smaps_rollup of p into rd and p: 0, -EACCES (p marked denied; the
 * return says whether it newly was), or -errno. */
static int rollup_into(struct mb_root *root, struct mb_proc *p, struct mb_buf *rd, unsigned *denied)
{
        char path[32];
        ssize_t r;

        snprintf(path, sizeof(path), "%d/smaps_rollup", p->pid);
        r = mb_read_seqfile_at(root->proc_fd, path, rd);
        if (r == -EACCES || r == -EPERM) {
                if (!(p->flags & MB_P_PSS_DENIED)) {
                        p->flags |= MB_P_PSS_DENIED;
                        (*denied)++;
                }
                return -EACCES;
        }
        if (r < 0)
                return (int)r;
        return mb_rollup_parse(rd->data, (size_t)r, p);
}

int mb_proc_read_rollup(struct mb_root *root, struct mb_proctab *t, struct mb_proc *p)
{
        if (p->flags & (MB_P_KTHREAD | MB_P_ZOMBIE))
                return -ESRCH;
        if (p->pss != MB_UNKNOWN)
                return 0;
        return rollup_into(root, p, &t->rd, &t->n_pss_denied);
}

struct rollup_job {
        struct mb_root *root;
        struct mb_proc **todo;
        size_t n;
        size_t next; /* next index to claim (atomic) */
        unsigned denied;
};

/* One worker: claims processes 16 at a time; its own read buffer. */
static void *rollup_worker(void *arg)
{
        struct rollup_job *job = arg;
        struct mb_buf rd = {.max = 1u << 20};
        unsigned denied = 0;

        for (size_t i, end; claim(&job->next, job->n, &i, &end);)
                for (; i < end; i++)
                        rollup_into(job->root, job->todo[i], &rd, &denied);
        mb_buf_release(&rd);
        __atomic_fetch_add(&job->denied, denied, __ATOMIC_RELAXED);
        return NULL;
}

int mb_proc_read_rollups(struct mb_root *root, struct mb_proctab *t)
{
        struct rollup_job job = {.root = root};

        job.todo = malloc((t->n ? t->n : 1) * sizeof(*job.todo));
        if (!job.todo)
                return -ENOMEM;
        for (size_t i = 0; i < t->n; i++) {
                struct mb_proc *p = &t->p[i];
                if (!(p->flags & (MB_P_KTHREAD | MB_P_ZOMBIE | MB_P_PSS_DENIED)) &&
                    p->pss == MB_UNKNOWN)
                        job.todo[job.n++] = p;
        }
        /* Each process is written by exactly one worker; the table does not
         * move meanwhile. */
        run_workers(scan_threads(job.n, MB_ROLLUP_PARALLEL_MIN), rollup_worker, &job);
        t->n_pss_denied += job.denied;
        free(job.todo);
        return 0;
}

/* The command line of p into rd (cleaned; length in *len), after checking
 * through the same directory fd that the PID still names the process
 * scanned (its start time).  0, -ESRCH when gone or reused, or -errno. */
static int cmdline_into(struct mb_root *root, struct mb_proc *p, struct mb_buf *rd, size_t *len)
{
        struct mb_proc probe;
        char dir[16];
        ssize_t r;
        int dfd;

        snprintf(dir, sizeof(dir), "%d", p->pid);
        dfd = openat(root->proc_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        /* Same process?  The directory fd pins it; its start time names it. */
        if (p->starttime) {
                memset(&probe, 0, sizeof(probe));
                r = mb_read_file_at(dfd, "stat", rd, 0);
                if (r < 0 || mb_stat_parse(rd->data, (size_t)r, &probe) < 0 ||
                    probe.starttime != p->starttime) {
                        close(dfd);
                        return -ESRCH;
                }
        }
        r = mb_read_file_at(dfd, "cmdline", rd, CMDLINE_MAX);
        close(dfd);
        if (r < 0)
                return (int)r;
        *len = clean_cmdline(rd->data, (size_t)r, p);
        return 0;
}

int mb_proc_read_cmdline(struct mb_root *root, struct mb_proctab *t, struct mb_proc *p)
{
        size_t n = 0;
        int r;

        if (p->cmdline || (p->flags & MB_P_KTHREAD))
                return 0;
        r = cmdline_into(root, p, &t->rd, &n);
        if (r == 0 && n > 0)
                p->cmdline = arena_put(t, t->rd.data, n);
        return r;
}

int mb_proc_read_cgroup(struct mb_root *root, struct mb_proctab *t, struct mb_proc *p)
{
        char path[32];
        ssize_t r;

        if (p->cg_v2 || p->cg_mem || p->cg_sd)
                return 0;
        snprintf(path, sizeof(path), "%d/cgroup", p->pid);
        r = mb_read_file_at(root->proc_fd, path, &t->rd, 64 * 1024);
        if (r < 0)
                return (int)r;
        mb_cgroup_parse(t, t->rd.data, (size_t)r, p);
        return 0;
}

/*
 * The command line of p read by path, without cmdline_into()'s start-time
 * check: for rows of a scan taken milliseconds before.  The kernel hands
 * PIDs out cyclically, so the PID of a process that exited meanwhile names
 * nothing (ENOENT: gone) until pid_max (32768 at least) more have been
 * handed out, far more forks than can happen in that time.  A third of the
 * system calls.
 */
static int cmdline_direct(struct mb_root *root, struct mb_proc *p, struct mb_buf *rd, size_t *len)
{
        char path[32];
        ssize_t r;

        snprintf(path, sizeof(path), "%d/cmdline", p->pid);
        r = mb_read_file_at(root->proc_fd, path, rd, CMDLINE_MAX);
        if (r < 0)
                return (int)r;
        *len = clean_cmdline(rd->data, (size_t)r, p);
        return 0;
}

struct cmdline_job {
        struct mb_root *root;
        struct mb_proc *p; /* the first n rows */
        size_t n;
        size_t next; /* next index to claim (atomic) */
        char **text; /* per row: the cleaned command line (malloc), or NULL */
        size_t *len;
        int *err;
};

static void *cmdline_worker(void *arg)
{
        struct cmdline_job *job = arg;
        struct mb_buf rd = {.max = 1u << 20};

        for (size_t i, end; claim(&job->next, job->n, &i, &end);) {
                for (; i < end; i++) {
                        struct mb_proc *p = &job->p[i];
                        size_t n = 0;
                        if (p->cmdline || (p->flags & MB_P_KTHREAD))
                                continue;
                        job->err[i] = cmdline_direct(job->root, p, &rd, &n);
                        if (job->err[i] == 0 && n > 0 && (job->text[i] = malloc(n + 1)))
                                memcpy(job->text[i], rd.data, n + 1), job->len[i] = n;
                }
        }
        mb_buf_release(&rd);
        return NULL;
}

int mb_proc_read_cmdlines(struct mb_root *root, struct mb_proctab *t, size_t n)
{
        struct cmdline_job job = {.root = root, .p = t->p, .n = n < t->n ? n : t->n};
        int r = 0;

        job.text = calloc(job.n + 1, sizeof(*job.text));
        job.len = calloc(job.n + 1, sizeof(*job.len));
        job.err = calloc(job.n + 1, sizeof(*job.err));
        if (!job.text || !job.len || !job.err) {
                r = -ENOMEM;
                goto out;
        }
        /* Workers read; only this thread writes the string arena. */
        run_workers(scan_threads(job.n, MB_CMDLINE_PARALLEL_MIN), cmdline_worker, &job);
        for (size_t i = 0; i < job.n; i++) {
                if (job.text[i])
                        t->p[i].cmdline = arena_put(t, job.text[i], job.len[i]);
                if (job.err[i] == -ESRCH || job.err[i] == -ENOENT)
                        t->p[i].flags |= MB_P_GONE;
        }
out:
        if (job.text)
                for (size_t i = 0; i < job.n; i++)
                        free(job.text[i]);
        free(job.text);
        free(job.len);
        free(job.err);
        return r;
}

size_t mb_proc_drop_gone(struct mb_proctab *t, size_t n)
{
        size_t k = 0;

        for (size_t i = 0; i < n; i++) {
                if (t->p[i].flags & MB_P_GONE) {
                        t->n_vanished++;
                        continue;
                }
                if (k != i) {
                        struct mb_proc tmp = t->p[k];
                        t->p[k] = t->p[i];
                        t->p[i] = tmp;
                }
                k++;
        }
        return k;
}

size_t mb_proc_self_chain(struct mb_root *root, pid_t *out, size_t max)
{
        pid_t pid = getpid();
        size_t n = 0;

        if (max == 0)
                return 0;
        out[n++] = pid;
        while (root->live && n < max) {
                char path[32], buf[4096];
                struct mb_proc p = {.ppid = 0};
                ssize_t len;

                snprintf(path, sizeof(path), "%d/status", (int)pid);
                len = mb_read_small_at(root->proc_fd, path, buf, sizeof(buf));
                if (len < 0 || mb_status_parse(buf, (size_t)len, &p) < 0 || p.ppid <= 1)
                        break;
                out[n++] = pid = p.ppid;
        }
        return n;
}

static int cmp_charge_desc(const void *a, const void *b)
{
        const struct mb_proc *x = a, *y = b;
        int64_t cx = mb_proc_rss_swap(x), cy = mb_proc_rss_swap(y);

        if (cx != cy)
                return cx > cy ? -1 : 1;
        return x->pid < y->pid ? -1 : x->pid > y->pid;
}

int mb_proc_match_pids(struct mb_root *root, const regex_t *re, size_t max, int **ret,
                       size_t *ret_n, size_t *ret_more)
{
        struct mb_proctab t;
        struct mb_scan_filter f = {.match = re, .skip_kthreads = true};
        pid_t self[MB_SELF_CHAIN_MAX];
        int *pids = NULL;
        size_t n = 0;
        int r;

        /* not membudget itself nor its launchers: their command lines hold the pattern */
        f.nskip = mb_proc_self_chain(root, self, MB_SELF_CHAIN_MAX);
        f.skip = self;
        mb_proctab_init(&t);
        r = mb_proc_scan(root, MB_SCAN_CMDLINE | MB_SCAN_STAT, &f, &t);
        if (r < 0) {
                mb_proctab_release(&t);
                return r;
        }
        qsort(t.p, t.n, sizeof(*t.p), cmp_charge_desc);
        pids = calloc(t.n ? t.n : 1, sizeof(*pids));
        if (!pids) {
                mb_proctab_release(&t);
                return -ENOMEM;
        }
        *ret_more = 0;
        for (size_t i = 0; i < t.n; i++) {
                if (t.p[i].flags & MB_P_ZOMBIE)
                        continue;
                if (n >= max) {
                        (*ret_more)++;
                        continue;
                }
                pids[n++] = t.p[i].pid;
        }
        mb_proctab_release(&t);
        *ret = pids;
        *ret_n = n;
        return 0;
}
