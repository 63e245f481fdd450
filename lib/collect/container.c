/* container.c: see container.h. */
#define _GNU_SOURCE
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/util.h"

const char *mb_ctr_runtime_name(enum mb_ctr_runtime r)
{
        switch (r) {
        case MB_CTR_DOCKER:
                return "docker";
        case MB_CTR_CONTAINERD:
                return "containerd";
        case MB_CTR_CRIO:
                return "cri-o";
        case MB_CTR_PODMAN:
                return "podman";
        case MB_CTR_LXC:
                return "lxc";
        case MB_CTR_KUBEPODS:
                return "kubepods";
        case MB_CTR_NONE:
                break;
        }
        return "";
}

static bool all_hex(const char *s, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

/* A container id: at least 12 lower-case hex digits (docker's short form). */
static bool is_id(const char *s, size_t n)
{
        return n >= 12 && n < 80 && all_hex(s, n);
}

static bool ends_with(const char *s, size_t n, const char *suf)
{
        size_t m = strlen(suf);
        return n >= m && memcmp(s + n - m, suf, m) == 0;
}

static bool starts_with(const char *s, size_t n, const char *pre)
{
        size_t m = strlen(pre);
        return n >= m && memcmp(s, pre, m) == 0;
}

static void copy_n(char *dst, size_t cap, const char *s, size_t n)
{
        if (n >= cap)
                n = cap - 1;
        memcpy(dst, s, n);
        dst[n] = '\0';
}

/* Scope prefixes of the systemd cgroup driver, longest first. */
static const struct {
        const char *prefix;
        enum mb_ctr_runtime rt;
        bool conmon;
} scopes[] = {
    {"cri-containerd-", MB_CTR_CONTAINERD, false},
    {"crio-conmon-", MB_CTR_CRIO, true},
    {"crio-", MB_CTR_CRIO, false},
    {"docker-", MB_CTR_DOCKER, false},
    {"libpod-conmon-", MB_CTR_PODMAN, true},
    {"libpod-", MB_CTR_PODMAN, false},
    {"nerdctl-", MB_CTR_CONTAINERD, false},
};

bool mb_ctr_name_of(const char *cgpath, struct mb_ctr_name *ret)
{
        const char *p = cgpath;
        bool kube = false, docker_dir = false, lxc_dir = false, after_pod = false;

        memset(ret, 0, sizeof(*ret));
        if (!p)
                return false;
        while (*p) {
                const char *c;
                size_t n;

                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                c = p;
                n = strcspn(c, "/");
                p = c + n;

                if ((n == 8 && starts_with(c, n, "kubepods")) ||
                    (n == 14 && starts_with(c, n, "kubepods.slice"))) {
                        kube = true;
                        ret->runtime = MB_CTR_KUBEPODS;
                        continue;
                }
                if (kube && !after_pod) {
                        static const char *const qos[] = {"burstable", "besteffort"};
                        bool q = false;
                        for (size_t i = 0; i < 2; i++) {
                                char sl[64];
                                snprintf(sl, sizeof(sl), "kubepods-%s.slice", qos[i]);
                                if ((n == strlen(qos[i]) && starts_with(c, n, qos[i])) ||
                                    (n == strlen(sl) && starts_with(c, n, sl))) {
                                        mb_strlcpy(ret->qos, qos[i], sizeof(ret->qos));
                                        q = true;
                                }
                        }
                        if (q)
                                continue;
                        /* cgroupfs "pod<uid>"; systemd "kubepods[-QOS]-pod<uid_>.slice" */
                        const char *pod = NULL;
                        size_t pn = 0;
                        if (starts_with(c, n, "pod") && !ends_with(c, n, ".slice")) {
                                pod = c + 3;
                                pn = n - 3;
                        } else if (ends_with(c, n, ".slice") && starts_with(c, n, "kubepods")) {
                                const char *m = memmem(c, n, "-pod", 4);
                                if (m) {
                                        pod = m + 4;
                                        pn = (size_t)(c + n - 6 - pod);
                                }
                        }
                        if (pod && pn > 0 && pn < sizeof(ret->pod)) {
                                copy_n(ret->pod, sizeof(ret->pod), pod, pn);
                                for (char *u = ret->pod; *u; u++)
                                        if (*u == '_')
                                                *u = '-';
                                if (!ret->qos[0])
                                        mb_strlcpy(ret->qos, "guaranteed", sizeof(ret->qos));
                                after_pod = true;
                                continue;
                        }
                }
                /* podman pod: machine-libpod_pod_<id>.slice (systemd), libpod_pod_<id> */
                {
                        const char *m = memmem(c, n, "libpod_pod_", 11);
                        if (m) {
                                const char *id = m + 11;
                                size_t in = (size_t)(c + n - id);
                                if (ends_with(id, in, ".slice"))
                                        in -= 6;
                                if (is_id(id, in)) {
                                        copy_n(ret->pod, sizeof(ret->pod), id, in);
                                        ret->runtime = MB_CTR_PODMAN;
                                        continue;
                                }
                        }
                }
                /* systemd driver scopes: PREFIX<id>.scope */
                if (ends_with(c, n, ".scope")) {
                        bool hit = false;
                        for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
                                size_t pl = strlen(scopes[i].prefix);
                                if (starts_with(c, n, scopes[i].prefix) &&
                                    is_id(c + pl, n - pl - 6)) {
                                        ret->runtime = scopes[i].rt;
                                        ret->conmon = scopes[i].conmon;
                                        copy_n(ret->id, sizeof(ret->id), c + pl, n - pl - 6);
                                        hit = true;
                                        break;
                                }
                        }
                        if (hit)
                                continue;
                }
                /* cgroupfs: libpod-<id> (podman), <id> under docker/ or a pod */
                if (starts_with(c, n, "libpod-") && is_id(c + 7, n - 7)) {
                        ret->runtime = MB_CTR_PODMAN;
                        copy_n(ret->id, sizeof(ret->id), c + 7, n - 7);
                        continue;
                }
                if (n == 6 && starts_with(c, n, "docker")) {
                        docker_dir = true;
                        continue;
                }
                if (is_id(c, n) && (docker_dir || after_pod)) {
                        if (docker_dir && !kube)
                                ret->runtime = MB_CTR_DOCKER;
                        copy_n(ret->id, sizeof(ret->id), c, n);
                        continue;
                }
                /* lxc: lxc.payload.NAME (4.x), lxc/NAME (older) */
                if (starts_with(c, n, "lxc.payload.") && n > 12) {
                        ret->runtime = MB_CTR_LXC;
                        copy_n(ret->id, sizeof(ret->id), c + 12, n - 12);
                        continue;
                }
                if (starts_with(c, n, "lxc.monitor.") && n > 12) {
                        ret->runtime = MB_CTR_LXC;
                        ret->conmon = true;
                        copy_n(ret->id, sizeof(ret->id), c + 12, n - 12);
                        continue;
                }
                if (n == 3 && starts_with(c, n, "lxc")) {
                        lxc_dir = true;
                        continue;
                }
                if (lxc_dir && !ret->id[0]) {
                        ret->runtime = MB_CTR_LXC;
                        copy_n(ret->id, sizeof(ret->id), c, n);
                        continue;
                }
        }
        if (ret->runtime == MB_CTR_NONE) {
                memset(ret, 0, sizeof(*ret));
                return false;
        }
        return true;
}

void mb_ctr_name_format(const struct mb_ctr_name *n, char *buf, size_t len)
{
        size_t o;

        if (!len)
                return;
        buf[0] = '\0';
        if (n->runtime == MB_CTR_NONE)
                return;
        o = (size_t)snprintf(buf, len, "%s", mb_ctr_runtime_name(n->runtime));
        if (n->pod[0] && o < len)
                o += (size_t)snprintf(buf + o, len - o, " pod %s", n->pod);
        if (n->id[0] && o < len)
                o +=
                    (size_t)snprintf(buf + o, len - o, "%s%.12s%s", n->pod[0] ? " container " : " ",
                                     n->id, n->conmon ? " (monitor)" : "");
}

int mb_ctr_cgroup_path(const char *text, bool v2, char *buf, size_t len)
{
        const char *p = text;

        while (p && *p) {
                const char *eol = strchr(p, '\n');
                size_t n = eol ? (size_t)(eol - p) : strlen(p);
                const char *c1 = memchr(p, ':', n);
                const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(p + n - c1 - 1)) : NULL;

                if (c1 && c2) {
                        const char *ctl = c1 + 1;
                        size_t cn = (size_t)(c2 - ctl);
                        bool hit = false;
                        if (v2)
                                hit = cn == 0 && c1 - p == 1 && p[0] == '0';
                        else
                                for (const char *q = ctl; q < c2;) {
                                        size_t w = strcspn(q, ",:");
                                        if (w == 6 && memcmp(q, "memory", 6) == 0)
                                                hit = true;
                                        q += w + 1;
                                }
                        if (hit) {
                                copy_n(buf, len, c2 + 1, (size_t)(p + n - c2 - 1));
                                return 0;
                        }
                }
                p = eol ? eol + 1 : NULL;
        }
        return -ENOENT;
}

int mb_ctr_parse_limit(const char *text, int64_t *ret)
{
        const char *p = text, *end;
        uint64_t v;

        while (*p == ' ')
                p++;
        end = p + strcspn(p, "\n");
        if (end - p == 3 && memcmp(p, "max", 3) == 0) {
                *ret = -1;
                return 0;
        }
        if (mb_parse_u64(&p, end, &v) < 0 || p != end)
                return -EINVAL;
        /* v1 says "no limit" with PAGE_COUNTER_MAX pages, about 2^63 */
        *ret = v >= (1ULL << 62) ? -1 : (int64_t)v;
        return 0;
}

static int64_t read_limit(const char *dir, const char *file)
{
        char p[1400], buf[64];
        int64_t v;

        snprintf(p, sizeof(p), "%s/%s", dir, file);
        if (mb_read_small_at(AT_FDCWD, p, buf, sizeof(buf)) <= 0)
                return -2; /* absent */
        if (mb_ctr_parse_limit(buf, &v) < 0)
                return -2;
        return v;
}

static bool exists(const char *a, const char *b)
{
        char p[1400];
        snprintf(p, sizeof(p), "%s%s", a, b);
        return access(p, F_OK) == 0;
}

static void add_how(struct mb_container *r, const char *s)
{
        size_t o = strlen(r->how);
        snprintf(r->how + o, sizeof(r->how) - o, "%s%s", o ? ", " : "", s);
        r->in_container = true;
}

int mb_container_detect(const char *proc_root, const char *sys_root, const char *root,
                        struct mb_container *ret)
{
        char p[1200], mnt[1100], a[256], b[256], dir[2200];
        struct mb_buf t = MB_BUF_INIT;
        const char *proc = proc_root ? proc_root : "/proc";
        const char *sys = sys_root ? sys_root : "/sys";
        const char *fsr = root ? root : "";
        bool v2;
        ssize_t n;

        memset(ret, 0, sizeof(*ret));
        ret->limit = ret->high = ret->swap_max = ret->current = -1;

        snprintf(mnt, sizeof(mnt), "%s/fs/cgroup", sys);
        v2 = exists(mnt, "/cgroup.controllers");
        if (!v2) {
                snprintf(mnt, sizeof(mnt), "%s/fs/cgroup/memory", sys);
                if (!exists(mnt, "/memory.limit_in_bytes"))
                        mnt[0] = '\0';
        }
        ret->version = v2 ? 2 : mnt[0] ? 1 : 0;

        snprintf(p, sizeof(p), "%s/self/cgroup", proc);
        n = mb_read_file_at(AT_FDCWD, p, &t, 1 << 16);
        if (n < 0) {
                mb_buf_release(&t);
                return (int)n;
        }
        if (ret->version)
                mb_ctr_cgroup_path(t.data ? t.data : "", v2, ret->cgroup, sizeof(ret->cgroup));
        mb_buf_release(&t);

        /* the signs */
        {
                char s1[300], s2[300];
                ssize_t l1, l2;
                snprintf(s1, sizeof(s1), "%s/self/ns/cgroup", proc);
                snprintf(s2, sizeof(s2), "%s/1/ns/cgroup", proc);
                l1 = readlink(s1, a, sizeof(a) - 1);
                l2 = readlink(s2, b, sizeof(b) - 1);
                if (l1 > 0 && l2 > 0) {
                        a[l1] = b[l2] = '\0';
                        if (strcmp(a, b) != 0)
                                ret->cgroupns = true;
                }
                if (v2 && exists(mnt, "/cgroup.events"))
                        ret->cgroupns = true;
                if (ret->cgroupns)
                        add_how(ret, "cgroup namespace");
        }
        if (exists(fsr, "/.dockerenv"))
                add_how(ret, "/.dockerenv");
        if (exists(fsr, "/run/.containerenv"))
                add_how(ret, "/run/.containerenv");
        if (exists(fsr, "/run/systemd/container"))
                add_how(ret, "/run/systemd/container");
        mb_ctr_name_of(ret->cgroup, &ret->name);

        if (!ret->version || !ret->cgroup[0])
                return 0;
        /* From the own cgroup up to the visible root: the smallest limit.  A
         * path that does not resolve (a host mount seen from a namespace)
         * starts at the root. */
        snprintf(dir, sizeof(dir), "%s%s", mnt, strcmp(ret->cgroup, "/") ? ret->cgroup : "");
        if (access(dir, F_OK) != 0)
                snprintf(dir, sizeof(dir), "%s", mnt);
        for (;;) {
                int64_t v = read_limit(dir, v2 ? "memory.max" : "memory.limit_in_bytes");
                if (v >= 0 && (ret->limit < 0 || v < ret->limit)) {
                        ret->limit = v;
                        mb_strlcpy(ret->limit_dir, dir, sizeof(ret->limit_dir));
                }
                if (strlen(dir) <= strlen(mnt))
                        break;
                char *slash = strrchr(dir, '/');
                if (!slash)
                        break;
                *slash = '\0';
        }
        /* No limit anywhere: the usage of the own cgroup (or the root) still counts. */
        if (!ret->limit_dir[0]) {
                snprintf(dir, sizeof(dir), "%s%s", mnt,
                         strcmp(ret->cgroup, "/") ? ret->cgroup : "");
                if (access(dir, F_OK) != 0)
                        snprintf(dir, sizeof(dir), "%s", mnt);
        } else {
                mb_strlcpy(dir, ret->limit_dir, sizeof(dir));
        }
        {
                int64_t v = read_limit(dir, v2 ? "memory.current" : "memory.usage_in_bytes");
                ret->current = v >= 0 ? v : -1;
                if (v2) {
                        v = read_limit(dir, "memory.high");
                        ret->high = v >= 0 ? v : -1;
                        v = read_limit(dir, "memory.swap.max");
                        ret->swap_max = v >= 0 ? v : -1;
                }
        }
        return 0;
}
