/* sysctl.c: vm.swappiness runtime + sysctl.d persistence, load-order winner, drop caches. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/util.h"
#include "sysctl.h"

static const char *const dir_paths[MB_SD_COUNT] = {
    [MB_SD_ETC] = "/etc/sysctl.d",
    [MB_SD_RUN] = "/run/sysctl.d",
    [MB_SD_USR_LOCAL] = "/usr/local/lib/sysctl.d",
    [MB_SD_USR] = "/usr/lib/sysctl.d",
    [MB_SD_LIB] = "/lib/sysctl.d",
    [MB_SD_SYSCTL_CONF] = "/etc/sysctl.conf",
};

const char *mb_sysctl_dir_path(enum mb_sysctl_dir d)
{
        return (unsigned)d < MB_SD_COUNT ? dir_paths[d] : "?";
}

/* Normalise a key: '/' -> '.', into out. */
static void norm_key(const char *k, size_t n, char *out, size_t len)
{
        size_t i;

        for (i = 0; i < n && i + 1 < len; i++)
                out[i] = k[i] == '/' ? '.' : k[i];
        out[i] = '\0';
}

static const char *trim(const char *p, const char *e, const char **end)
{
        while (p < e && (*p == ' ' || *p == '\t'))
                p++;
        while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                e--;
        *end = e;
        return p;
}

int mb_sysctl_conf_value(const char *buf, size_t len, const char *key, char *val, size_t vlen)
{
        const char *p = buf, *end = buf + len;
        char want[256];
        int found = 0;

        norm_key(key, strlen(key), want, sizeof(want));
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *le = nl ? nl : end, *ke, *eq, *ve, *k, *v;
                char got[256];

                k = trim(p, le, &ke);
                p = nl ? nl + 1 : end;
                if (k == ke || *k == '#' || *k == ';')
                        continue;
                if (*k == '-')
                        k++;
                eq = memchr(k, '=', (size_t)(ke - k));
                if (!eq)
                        continue;
                {
                        const char *kend;
                        k = trim(k, eq, &kend);
                        norm_key(k, (size_t)(kend - k), got, sizeof(got));
                }
                if (strcmp(got, want))
                        continue;
                v = trim(eq + 1, ke, &ve);
                if ((size_t)(ve - v) >= vlen)
                        ve = v + vlen - 1;
                memcpy(val, v, (size_t)(ve - v));
                val[ve - v] = '\0';
                found = 1;
        }
        return found;
}

int mb_sysctl_src_add(struct mb_sysctl_srcs *s, enum mb_sysctl_dir dir, const char *path,
                      const char *name, const char *value)
{
        struct mb_sysctl_src *x;

        if (MB_GROW(s->s, s->n, s->cap, 16) < 0)
                return -ENOMEM;
        x = &s->s[s->n++];
        memset(x, 0, sizeof(*x));
        x->dir = dir;
        mb_strlcpy(x->path, path, sizeof(x->path));
        mb_strlcpy(x->name, name, sizeof(x->name));
        if (value) {
                x->sets = true;
                mb_strlcpy(x->value, value, sizeof(x->value));
        }
        return 0;
}

void mb_sysctl_srcs_release(struct mb_sysctl_srcs *s)
{
        free(s->s);
        memset(s, 0, sizeof(*s));
}

static int read_text(const char *path, struct mb_buf *b)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = mb_pread_all(fd, b);
        close(fd);
        return n < 0 ? (int)n : 0;
}

static int scan_one(struct mb_sysctl_srcs *ret, enum mb_sysctl_dir d, const char *path,
                    const char *name, const char *key, struct mb_buf *b)
{
        char val[64];

        if (read_text(path, b) < 0) /* unreadable, or a link to /dev/null: sets nothing */
                return mb_sysctl_src_add(ret, d, path, name, NULL);
        if (mb_sysctl_conf_value(b->data ? b->data : "", b->len, key, val, sizeof(val)))
                return mb_sysctl_src_add(ret, d, path, name, val);
        return mb_sysctl_src_add(ret, d, path, name, NULL);
}

int mb_sysctl_scan(const char *etc_root, const char *key, struct mb_sysctl_srcs *ret)
{
        struct mb_buf b = MB_BUF_INIT;
        char path[1024];
        int r = 0;

        memset(ret, 0, sizeof(*ret));
        for (int d = 0; d < MB_SD_SYSCTL_CONF && r == 0; d++) {
                DIR *dir;
                struct dirent *de;

                snprintf(path, sizeof(path), "%s%s", etc_root, dir_paths[d]);
                dir = opendir(path);
                if (!dir)
                        continue;
                while ((de = readdir(dir)) && r == 0) {
                        size_t l = strlen(de->d_name);
                        char fp[1024];
                        if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".conf"))
                                continue;
                        if ((size_t)snprintf(fp, sizeof(fp), "%s/%s", path, de->d_name) >=
                            sizeof(fp))
                                continue;
                        r = scan_one(ret, (enum mb_sysctl_dir)d, fp, de->d_name, key, &b);
                }
                closedir(dir);
        }
        snprintf(path, sizeof(path), "%s%s", etc_root, dir_paths[MB_SD_SYSCTL_CONF]);
        if (r == 0 && access(path, F_OK) == 0)
                r = scan_one(ret, MB_SD_SYSCTL_CONF, path, "sysctl.conf", key, &b);
        mb_buf_release(&b);
        if (r < 0)
                mb_sysctl_srcs_release(ret);
        return r;
}

static int cmp_src(const void *a, const void *b)
{
        const struct mb_sysctl_src *x = a, *y = b;
        int c;

        /* /etc/sysctl.conf after everything (procps --system) */
        if ((x->dir == MB_SD_SYSCTL_CONF) != (y->dir == MB_SD_SYSCTL_CONF))
                return x->dir == MB_SD_SYSCTL_CONF ? 1 : -1;
        c = strcmp(x->name, y->name);
        if (c)
                return c;
        return (int)x->dir - (int)y->dir;
}

int mb_sysctl_winner(struct mb_sysctl_srcs *s)
{
        int win = -1;

        if (s->n == 0)
                return -1;
        qsort(s->s, s->n, sizeof(s->s[0]), cmp_src);
        for (size_t i = 0; i < s->n; i++) {
                s->s[i].masked = false;
                /* after sorting, same names are adjacent and the earliest directory first */
                if (i > 0 && s->s[i].dir != MB_SD_SYSCTL_CONF &&
                    s->s[i - 1].dir != MB_SD_SYSCTL_CONF && !strcmp(s->s[i].name, s->s[i - 1].name))
                        s->s[i].masked = true;
        }
        for (size_t i = 0; i < s->n; i++)
                if (!s->s[i].masked && s->s[i].sets)
                        win = (int)i;
        return win;
}

void mb_swappiness_conf_text(int want, char *buf, size_t len)
{
        snprintf(buf, len,
                 "# Written by membudget tune (system.vm_swappiness); undo with 'membudget undo'.\n"
                 "vm.swappiness = %d\n",
                 want);
}

int mb_swappiness_plan(int current, int want, const char *proc_path, const char *conf_path,
                       const char *conf_current, struct mb_sysctl_srcs *srcs, struct mb_plan *plan)
{
        char cur[32], nw[32], text[256], wantv[16];
        struct mb_change *c;
        const char *base = strrchr(conf_path, '/');
        bool found = false;
        int win;

        base = base ? base + 1 : conf_path;
        snprintf(cur, sizeof(cur), "%d", current);
        snprintf(nw, sizeof(nw), "%d", want);
        c = mb_plan_add(plan, MB_ACT_SYSCTL, proc_path, current < 0 ? NULL : cur, nw,
                        "runtime value (takes effect now)");
        if (!c)
                return -ENOMEM;
        mb_swappiness_conf_text(want, text, sizeof(text));
        c = mb_plan_add(plan, MB_ACT_FILE, conf_path, conf_current, text,
                        "persist for boot (systemd-sysctl, sysctl --system)");
        if (!c)
                return -ENOMEM;

        /* Load order with our file as it will be. */
        snprintf(wantv, sizeof(wantv), "%d", want);
        for (size_t i = 0; i < srcs->n; i++)
                if (srcs->s[i].dir == MB_SD_ETC && !strcmp(srcs->s[i].name, base)) {
                        srcs->s[i].sets = true;
                        mb_strlcpy(srcs->s[i].value, wantv, sizeof(srcs->s[i].value));
                        found = true;
                }
        if (!found && mb_sysctl_src_add(srcs, MB_SD_ETC, conf_path, base, wantv) < 0)
                return -ENOMEM;
        win = mb_sysctl_winner(srcs);
        for (size_t i = 0; i < srcs->n; i++) {
                const struct mb_sysctl_src *s = &srcs->s[i];
                if (!s->sets || (s->dir == MB_SD_ETC && !strcmp(s->name, base)))
                        continue;
                if (s->masked)
                        continue;
                if ((int)i == win) {
                        if (strcmp(s->value, wantv))
                                mb_plan_note(plan,
                                             "warning: %s sets vm.swappiness = %s and is read "
                                             "after %s: it wins at boot; change or remove it",
                                             s->path, s->value, base);
                } else if (strcmp(s->value, wantv)) {
                        mb_plan_note(plan, "%s sets vm.swappiness = %s; %s is read later and wins",
                                     s->path, s->value, base);
                }
        }
        return 0;
}

int mb_drop_caches_plan(const char *drop_path, struct mb_plan *plan)
{
        struct mb_change *c = mb_plan_add(plan, MB_ACT_DROP_CACHES, drop_path, NULL, "3",
                                          "sync, then drop clean page cache and slab");

        if (!c)
                return -ENOMEM;
        mb_plan_note(plan, "drop caches frees only clean, unmapped cache that MemAvailable already "
                           "counts as available; it never lowers a process's RSS, and the files "
                           "are read again from disk later; it cannot be undone");
        return 0;
}

int mb_sysctl_write(const char *path, const char *value)
{
        return mb_write_value(path, value, false);
}

void mb_sysctl_vm_path(const char *proc_root, const char *name, char *buf, size_t len)
{
        snprintf(buf, len, "%s/sys/vm/%s", proc_root ? proc_root : "/proc", name);
}

int mb_swappiness_plan_host(const char *proc_root, const char *etc_root, int current, int want,
                            struct mb_plan *plan, char *conf, size_t conflen, bool *read_err)
{
        struct mb_sysctl_srcs srcs = {0};
        struct mb_buf b = MB_BUF_INIT;
        char proc_sw[1200];
        int r;

        *read_err = false;
        mb_sysctl_vm_path(proc_root, "swappiness", proc_sw, sizeof(proc_sw));
        snprintf(conf, conflen, "%s/etc/sysctl.d/%s", etc_root, MB_SYSCTL_CONF_NAME);
        r = read_text(conf, &b);
        if (r < 0 && r != -ENOENT) {
                *read_err = true;
                mb_buf_release(&b);
                return r;
        }
        /* the conf's text: NULL when absent */
        const char *text = r == 0 ? (b.data ? b.data : "") : NULL;
        r = mb_sysctl_scan(etc_root, "vm.swappiness", &srcs);
        if (r >= 0)
                r = mb_swappiness_plan(current, want, proc_sw, conf, text, &srcs, plan);
        mb_buf_release(&b);
        mb_sysctl_srcs_release(&srcs);
        return r < 0 ? -ENOMEM : 0;
}
