/*
 * gpu-drm.c: AMD and Intel GPUs.  Device-wide counters from sysfs
 * (<sys>/class/drm/cardN/device/mem_info_*), per-process memory from DRM
 * fdinfo (<proc>/PID/fdinfo/N).  LINUX-MEMORY-REFERENCE.md §9.2, §9.3;
 * htop linux/GPU.c and nvtop extract_processinfo_fdinfo.c read the same.
 */
#define _GNU_SOURCE
#include "gpu-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define DRM_MAJOR 226

static bool starts(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Strip trailing blanks and newlines in place. */
static char *chomp(char *s)
{
        size_t n = strlen(s);

        while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
                s[--n] = '\0';
        return s;
}

/* Read "class/drm/CARD/device/FILE" into buf (chomped); length or -errno. */
static ssize_t dev_read(int sysfd, const char *card, const char *file, char *buf, size_t cap)
{
        char path[128];
        ssize_t r;

        snprintf(path, sizeof(path), "class/drm/%s/device/%s", card, file);
        r = mb_read_small_at(sysfd, path, buf, cap);
        if (r >= 0)
                r = (ssize_t)strlen(chomp(buf));
        return r;
}

/* A sysfs file holding one decimal byte count; MB_UNKNOWN when absent. */
static int64_t dev_bytes(int sysfd, const char *card, const char *file)
{
        char buf[32];
        const char *p = buf;
        uint64_t v;

        if (dev_read(sysfd, card, file, buf, sizeof(buf)) <= 0)
                return MB_UNKNOWN;
        if (mb_parse_u64(&p, buf + strlen(buf), &v) < 0 || v > INT64_MAX)
                return MB_UNKNOWN;
        return (int64_t)v;
}

/* The value of KEY= in a uevent file, or "". */
static void uevent_get(const char *uevent, const char *key, char *ret, size_t retlen)
{
        size_t klen = strlen(key);

        ret[0] = '\0';
        for (const char *l = uevent; *l;) {
                size_t len = strcspn(l, "\n");
                if (len > klen && strncmp(l, key, klen) == 0 && l[klen] == '=') {
                        size_t n = len - klen - 1;
                        if (n >= retlen)
                                n = retlen - 1;
                        memcpy(ret, l + klen + 1, n);
                        ret[n] = '\0';
                        return;
                }
                l += len;
                if (*l == '\n')
                        l++;
        }
}

static int int_cmp(const void *a, const void *b)
{
        int x = *(const int *)a, y = *(const int *)b;

        return (x > y) - (x < y);
}

static void drm_device(int sysfd, int cardno, struct mb_gpus *g)
{
        char card[24], buf[256], uevent[1024], driver[32], pci_id[32];
        const char *vendor;
        struct mb_gpu *d;
        ssize_t n;

        snprintf(card, sizeof(card), "card%d", cardno);
        if (dev_read(sysfd, card, "vendor", buf, sizeof(buf)) <= 0)
                return;
        if (strcasecmp(buf, "0x1002") == 0)
                vendor = "amd";
        else if (strcasecmp(buf, "0x8086") == 0)
                vendor = "intel";
        else
                return; /* NVIDIA is NVML's; virtual and other GPUs are not ours */
        if (!(d = mb_gpus_add_dev(g)))
                return;
        mb_strlcpy(d->vendor, vendor, sizeof(d->vendor));

        if (dev_read(sysfd, card, "uevent", uevent, sizeof(uevent)) < 0)
                uevent[0] = '\0';
        uevent_get(uevent, "DRIVER", driver, sizeof(driver));
        uevent_get(uevent, "PCI_ID", pci_id, sizeof(pci_id));
        uevent_get(uevent, "PCI_SLOT_NAME", d->pci, sizeof(d->pci));
        if (!d->pci[0]) {
                /* device -> ../../../0000:03:00.0 */
                char path[64];
                snprintf(path, sizeof(path), "class/drm/%s/device", card);
                n = readlinkat(sysfd, path, buf, sizeof(buf) - 1);
                if (n > 0) {
                        const char *base;
                        buf[n] = '\0';
                        base = strrchr(buf, '/');
                        mb_strlcpy(d->pci, base ? base + 1 : buf, sizeof(d->pci));
                }
        }
        if (dev_read(sysfd, card, "product_name", buf, sizeof(buf)) > 0)
                mb_strlcpy(d->name, buf, sizeof(d->name));
        else
                snprintf(d->name, sizeof(d->name), "%s%s%s", driver[0] ? driver : card,
                         pci_id[0] ? " " : "", pci_id);
        if (dev_read(sysfd, card, "unique_id", buf, sizeof(buf)) > 0)
                mb_strlcpy(d->uuid, buf, sizeof(d->uuid));

        d->total = dev_bytes(sysfd, card, "mem_info_vram_total");
        d->used = dev_bytes(sysfd, card, "mem_info_vram_used");
        if (d->total != MB_UNKNOWN && d->used != MB_UNKNOWN)
                d->free = d->total > d->used ? d->total - d->used : 0;
        d->gtt_total = dev_bytes(sysfd, card, "mem_info_gtt_total");
        d->gtt_used = dev_bytes(sysfd, card, "mem_info_gtt_used");
}

size_t mb_gpu_drm_devices(struct mb_root *root, struct mb_gpus *g)
{
        size_t before = g->n, ncards = 0;
        int fd, cards[64];
        DIR *dir;
        struct dirent *e;

        if (root->sys_fd < 0)
                return 0;
        fd = openat(root->sys_fd, "class/drm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        if (!(dir = fdopendir(fd))) {
                close(fd);
                return 0;
        }
        /* cardN only: not card0-HDMI-A-1 (connectors) nor renderD128. */
        while ((e = readdir(dir)) != NULL && ncards < MB_ARRAY_SIZE(cards)) {
                const char *s = e->d_name + 4;
                int no = 0;
                if (strncmp(e->d_name, "card", 4) != 0 || !*s)
                        continue;
                for (; *s >= '0' && *s <= '9' && no < 100000; s++)
                        no = no * 10 + (*s - '0');
                if (*s == '\0')
                        cards[ncards++] = no;
        }
        closedir(dir);
        qsort(cards, ncards, sizeof(cards[0]), int_cmp);
        for (size_t i = 0; i < ncards; i++)
                drm_device(root->sys_fd, cards[i], g);
        return g->n - before;
}

/* ---- fdinfo ---- */

enum { R_RESIDENT, R_MEMORY, R_TOTAL, R_KINDS };

struct region {
        char name[24];
        int64_t v[R_KINDS];
};

/* "123", "4 KiB", "512 MiB" (drm_fdinfo_print_size); MB_UNKNOWN otherwise. */
static int64_t size_value(const char *p, const char *end)
{
        uint64_t v, mul = 1;
        size_t n;

        if (mb_parse_u64(&p, end, &v) < 0)
                return MB_UNKNOWN;
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        n = (size_t)(end - p);
        if (n == 0)
                mul = 1;
        else if ((n == 3 && memcmp(p, "KiB", 3) == 0) || (n == 2 && memcmp(p, "kB", 2) == 0))
                mul = 1024;
        else if (n == 3 && memcmp(p, "MiB", 3) == 0)
                mul = 1024 * 1024;
        else if (n == 3 && memcmp(p, "GiB", 3) == 0)
                mul = 1024 * 1024 * 1024;
        else
                return MB_UNKNOWN;
        if (v > (uint64_t)INT64_MAX / mul)
                return MB_UNKNOWN;
        return (int64_t)(v * mul);
}

static void copy_field(char *dst, size_t cap, const char *v, const char *end)
{
        size_t n = (size_t)(end - v);

        if (n >= cap)
                n = cap - 1;
        memcpy(dst, v, n);
        dst[n] = '\0';
}

static bool region_local(const char *name)
{
        return starts(name, "vram") || starts(name, "local");
}

int mb_drm_fdinfo_parse(const char *buf, size_t len, struct mb_drm_client *ret)
{
        static const char *const kinds[R_KINDS] = {"drm-resident-", "drm-memory-", "drm-total-"};
        struct region reg[16];
        size_t nreg = 0;
        const char *s = buf, *end = buf + len;

        memset(ret, 0, sizeof(*ret));
        while (s < end) {
                const char *nl = memchr(s, '\n', (size_t)(end - s));
                const char *le = nl ? nl : end, *colon, *v, *ve;
                size_t klen;

                colon = memchr(s, ':', (size_t)(le - s));
                if (!colon || le - s < 4 || memcmp(s, "drm-", 4) != 0)
                        goto next;
                klen = (size_t)(colon - s);
                /* amdgpu prints "drm-memory-gtt: \t0 KiB": trim both */
                for (v = colon + 1; v < le && (*v == ' ' || *v == '\t'); v++)
                        ;
                for (ve = le; ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'); ve--)
                        ;
                if (klen == 10 && memcmp(s, "drm-driver", 10) == 0) {
                        copy_field(ret->driver, sizeof(ret->driver), v, ve);
                } else if (klen == 8 && memcmp(s, "drm-pdev", 8) == 0) {
                        copy_field(ret->pdev, sizeof(ret->pdev), v, ve);
                } else if (klen == 13 && memcmp(s, "drm-client-id", 13) == 0) {
                        const char *p = v;
                        ret->have_client_id = mb_parse_u64(&p, ve, &ret->client_id) == 0;
                } else {
                        for (int k = 0; k < R_KINDS; k++) {
                                size_t pl = strlen(kinds[k]), rl;
                                char name[24];
                                size_t i;

                                if (klen <= pl || memcmp(s, kinds[k], pl) != 0)
                                        continue;
                                rl = klen - pl;
                                if (rl >= sizeof(name))
                                        break;
                                memcpy(name, s + pl, rl);
                                name[rl] = '\0';
                                for (i = 0; i < nreg && strcmp(reg[i].name, name) != 0; i++)
                                        ;
                                if (i == nreg) {
                                        if (nreg == MB_ARRAY_SIZE(reg))
                                                break;
                                        memcpy(reg[i].name, name, rl + 1);
                                        for (int j = 0; j < R_KINDS; j++)
                                                reg[i].v[j] = MB_UNKNOWN;
                                        nreg++;
                                }
                                reg[i].v[k] = size_value(v, ve);
                                break;
                        }
                }
        next:
                s = nl ? nl + 1 : end;
        }
        if (!ret->driver[0])
                return -EINVAL;
        for (size_t i = 0; i < nreg; i++) {
                int64_t val = MB_UNKNOWN;
                for (int k = 0; k < R_KINDS && val == MB_UNKNOWN; k++)
                        val = reg[i].v[k];
                if (val == MB_UNKNOWN)
                        continue;
                /* val >= 0: sums saturate instead of overflowing */
                if (region_local(reg[i].name)) {
                        ret->local = val > INT64_MAX - ret->local ? INT64_MAX : ret->local + val;
                        ret->have_local = true;
                } else if (strcmp(reg[i].name, "cpu") != 0) {
                        ret->other = val > INT64_MAX - ret->other ? INT64_MAX : ret->other + val;
                }
        }
        return 0;
}

struct seen {
        char pdev[32];
        uint64_t id;
};

struct walk {
        struct mb_gpus *g;
        size_t first; /* first DRM record in g->procs */
        struct seen *seen;
        size_t nseen;
        struct mb_buf rd;
};

/* True when this (pdev, client-id) was counted already; else remembers it. */
static bool client_seen(struct walk *w, const struct mb_drm_client *c)
{
        struct seen *ns;

        for (size_t i = 0; i < w->nseen; i++)
                if (w->seen[i].id == c->client_id && strcasecmp(w->seen[i].pdev, c->pdev) == 0)
                        return true;
        ns = realloc(w->seen, (w->nseen + 1) * sizeof(*ns));
        if (!ns)
                return false;
        w->seen = ns;
        mb_strlcpy(ns[w->nseen].pdev, c->pdev, sizeof(ns->pdev));
        ns[w->nseen].id = c->client_id;
        w->nseen++;
        return false;
}

/* The device a client belongs to, by PCI slot; a row is added when the
 * sysfs listing did not have it.  -1 on ENOMEM. */
static int client_device(struct mb_gpus *g, const struct mb_drm_client *c)
{
        const char *vendor = strcmp(c->driver, "amdgpu") == 0 ? "amd" : "intel";
        struct mb_gpu *d;

        for (size_t i = 0; i < g->n; i++) {
                if (c->pdev[0] ? strcasecmp(g->dev[i].pci, c->pdev) == 0
                               : strcmp(g->dev[i].vendor, vendor) == 0)
                        return (int)i;
        }
        if (!(d = mb_gpus_add_dev(g)))
                return -1;
        mb_strlcpy(d->vendor, vendor, sizeof(d->vendor));
        mb_strlcpy(d->name, c->driver, sizeof(d->name));
        mb_strlcpy(d->pci, c->pdev, sizeof(d->pci));
        return d->index;
}

static void charge(struct walk *w, int pid, int gpu, int64_t bytes)
{
        struct mb_gpus *g = w->g;

        for (size_t k = w->first; k < g->nprocs; k++) {
                if (g->procs[k].pid == pid && g->procs[k].gpu == gpu) {
                        int64_t *b = &g->procs[k].bytes; /* saturating, like the parser */
                        *b = bytes > INT64_MAX - *b ? INT64_MAX : *b + bytes;
                        return;
                }
        }
        mb_gpus_add_proc(g, pid, gpu, bytes);
}

/* Is fd NAME of this process a DRM device?  Its link names /dev/dri/...; on
 * the live /proc, a renamed node is recognised by its major number. */
static bool is_drm_fd(int fdd, const char *name, bool live)
{
        char target[256];
        ssize_t n = readlinkat(fdd, name, target, sizeof(target) - 1);
        struct stat st;

        if (n <= 0)
                return false;
        target[n] = '\0';
        if (starts(target, "/dev/dri/"))
                return true;
        if (!live || !starts(target, "/dev/"))
                return false;
        return fstatat(fdd, name, &st, 0) == 0 && S_ISCHR(st.st_mode) &&
               major(st.st_rdev) == DRM_MAJOR;
}

/* Returns -EACCES when the process's fds are not ours to read. */
static int proc_clients(struct walk *w, struct mb_root *root, int pid)
{
        char path[64];
        struct dirent *e;
        DIR *dir;
        int fdd;

        snprintf(path, sizeof(path), "%d/fd", pid);
        fdd = openat(root->proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fdd < 0)
                return errno == EACCES || errno == EPERM ? -EACCES : 0;
        if (!(dir = fdopendir(fdd))) {
                close(fdd);
                return 0;
        }
        while ((e = readdir(dir)) != NULL) {
                struct mb_drm_client c;
                ssize_t r;
                int gpu;

                if (e->d_name[0] < '0' || e->d_name[0] > '9')
                        continue;
                if (!is_drm_fd(fdd, e->d_name, root->live))
                        continue;
                snprintf(path, sizeof(path), "%d/fdinfo/%.20s", pid, e->d_name);
                r = mb_read_file_at(root->proc_fd, path, &w->rd, 0);
                if (r == -EACCES || r == -EPERM) {
                        closedir(dir);
                        return -EACCES;
                }
                if (r <= 0 || mb_drm_fdinfo_parse(w->rd.data, (size_t)r, &c) < 0)
                        continue;
                if (strcmp(c.driver, "amdgpu") != 0 && strcmp(c.driver, "i915") != 0 &&
                    strcmp(c.driver, "xe") != 0)
                        continue;
                /* dup()ed, inherited or passed fds show the same client */
                if (c.have_client_id && client_seen(w, &c))
                        continue;
                gpu = client_device(w->g, &c);
                if (gpu >= 0)
                        charge(w, pid, gpu, mb_drm_client_bytes(&c));
        }
        closedir(dir);
        return 0;
}

struct pid_order {
        int pid;
        size_t idx;
};

static int pid_order_cmp(const void *a, const void *b)
{
        const struct pid_order *x = a, *y = b;

        return (x->pid > y->pid) - (x->pid < y->pid);
}

void mb_gpu_drm_clients(struct mb_root *root, const struct mb_proctab *t, struct mb_gpus *g,
                        bool *denied)
{
        struct walk w = {.g = g, .first = g->nprocs, .rd = MB_BUF_INIT};
        struct pid_order *order;

        /* In pid order, so that a client shared by a parent and its children
         * is charged to the parent (the lowest pid), whatever readdir gave. */
        order = malloc((t->n + 1) * sizeof(*order));
        if (!order)
                return;
        for (size_t i = 0; i < t->n; i++)
                order[i] = (struct pid_order){t->p[i].pid, i};
        qsort(order, t->n, sizeof(*order), pid_order_cmp);
        w.rd.max = 1u << 16;
        for (size_t k = 0; k < t->n; k++) {
                size_t i = order[k].idx;
                const struct mb_proc *p = &t->p[i];
                if (p->flags & (MB_P_KTHREAD | MB_P_ZOMBIE))
                        continue;
                if (proc_clients(&w, root, p->pid) == -EACCES) {
                        g->fdinfo_denied++;
                        if (denied)
                                denied[i] = true;
                }
        }
        free(order);
        free(w.seen);
        mb_buf_release(&w.rd);
}
