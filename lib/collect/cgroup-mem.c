/* cgroup-mem.c: see cgroup-mem.h. */
#include "cgroup-mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/util.h"
#include "container.h"

/* The value of "key N" lines in text; MB_CG_UNKNOWN when absent. */
static int64_t key_value(const char *text, const char *key)
{
        size_t kl = strlen(key);

        for (const char *q = text; q && *q; q = strchr(q, '\n') ? strchr(q, '\n') + 1 : NULL) {
                if (!strncmp(q, key, kl) && q[kl] == ' ') {
                        char *end;
                        long long v = strtoll(q + kl + 1, &end, 10);
                        if (end == q + kl + 1 || v < 0)
                                return MB_CG_UNKNOWN;
                        return v;
                }
        }
        return MB_CG_UNKNOWN;
}

int64_t mb_cgmem_working_set(const struct mb_cgmem *m)
{
        if (m->current == MB_CG_UNKNOWN || m->current < 0)
                return -1;
        if (m->inactive_file == MB_CG_UNKNOWN || m->inactive_file > m->current)
                return m->current;
        return m->current - m->inactive_file;
}

static void set_if(int64_t *field, int64_t v)
{
        if (v != MB_CG_UNKNOWN)
                *field = v;
}

void mb_cgmem_parse_events(const char *text, struct mb_cgmem *ret)
{
        set_if(&ret->ev_low, key_value(text, "low"));
        set_if(&ret->ev_high, key_value(text, "high"));
        set_if(&ret->ev_max, key_value(text, "max"));
        set_if(&ret->ev_oom, key_value(text, "oom"));
        set_if(&ret->ev_oom_kill, key_value(text, "oom_kill"));
}

void mb_cgmem_parse_stat(const char *text, struct mb_cgmem *ret)
{
        int64_t a = key_value(text, "workingset_refault_anon");
        int64_t f = key_value(text, "workingset_refault_file");
        int64_t w = key_value(text, "workingset_refault");
        int64_t i = key_value(text, "total_inactive_file");
        int64_t j = key_value(text, "total_pgmajfault");
        int64_t ta = key_value(text, "total_workingset_refault_anon");

        set_if(&ret->pswpin, key_value(text, "pswpin"));
        set_if(&ret->refault_anon, ta != MB_CG_UNKNOWN ? ta : a); /* v1: the hierarchy's */
        set_if(&ret->pgmajfault, j != MB_CG_UNKNOWN ? j : key_value(text, "pgmajfault"));
        set_if(&ret->inactive_file, i != MB_CG_UNKNOWN ? i : key_value(text, "inactive_file"));
        if (a != MB_CG_UNKNOWN || f != MB_CG_UNKNOWN)
                ret->refault = (a != MB_CG_UNKNOWN ? a : 0) + (f != MB_CG_UNKNOWN ? f : 0);
        else
                set_if(&ret->refault, w);
}

const char *mb_cgmem_swapin_counter(const struct mb_cgmem *m, int64_t *ret)
{
        if (m->pswpin != MB_CG_UNKNOWN)
                return *ret = m->pswpin, "pswpin";
        if (m->refault_anon != MB_CG_UNKNOWN)
                return *ret = m->refault_anon, "workingset_refault_anon";
        if (m->pgmajfault != MB_CG_UNKNOWN)
                return *ret = m->pgmajfault, "pgmajfault";
        return NULL;
}

void mb_cgmem_parse_oom_control(const char *text, struct mb_cgmem *ret)
{
        int64_t u = key_value(text, "under_oom");

        set_if(&ret->ev_oom_kill, key_value(text, "oom_kill"));
        ret->under_oom = u != MB_CG_UNKNOWN && u > 0;
}

static bool read_text(const char *dir, const char *file, char *buf, size_t cap)
{
        char p[1700];

        snprintf(p, sizeof(p), "%s/%s", dir, file);
        return mb_read_small_at(AT_FDCWD, p, buf, cap) > 0;
}

/* A limit or usage file: bytes, -1 for "max", MB_CG_UNKNOWN unreadable. */
static int64_t read_limit(const char *dir, const char *file)
{
        char buf[64];
        int64_t v;

        if (!read_text(dir, file, buf, sizeof(buf)) || mb_ctr_parse_limit(buf, &v) < 0)
                return MB_CG_UNKNOWN;
        return v;
}

static void parse_psi(const char *text, struct mb_cgmem *ret)
{
        const char *s = strstr(text, "some avg10="), *f = strstr(text, "full avg10=");

        if (s) {
                ret->have_psi = true;
                ret->psi_some10 = strtod(s + 11, NULL);
        }
        if (f)
                ret->psi_full10 = strtod(f + 11, NULL);
}

int mb_cgmem_read(const char *dir, int version, const char *path, struct mb_cgmem *ret)
{
        char buf[8192];
        bool any = false;

        memset(ret, 0, sizeof(*ret));
        mb_strlcpy(ret->path, path, sizeof(ret->path));
        mb_strlcpy(ret->dir, dir, sizeof(ret->dir));
        ret->version = version;
        ret->max = ret->high = ret->swap_max = ret->current = MB_CG_UNKNOWN;
        ret->ev_low = ret->ev_high = ret->ev_max = ret->ev_oom = ret->ev_oom_kill = MB_CG_UNKNOWN;
        ret->pswpin = ret->refault = ret->inactive_file = MB_CG_UNKNOWN;
        ret->refault_anon = ret->pgmajfault = MB_CG_UNKNOWN;
        if (version == 2) {
                ret->max = read_limit(dir, "memory.max");
                ret->high = read_limit(dir, "memory.high");
                ret->swap_max = read_limit(dir, "memory.swap.max");
                ret->current = read_limit(dir, "memory.current");
                if (read_text(dir, "memory.events", buf, sizeof(buf))) {
                        mb_cgmem_parse_events(buf, ret);
                        any = true;
                }
                if (read_text(dir, "memory.pressure", buf, sizeof(buf)))
                        parse_psi(buf, ret);
        } else {
                ret->max = read_limit(dir, "memory.limit_in_bytes");
                ret->current = read_limit(dir, "memory.usage_in_bytes");
                ret->ev_max = read_limit(dir, "memory.failcnt");
                if (ret->ev_max == -1)
                        ret->ev_max = MB_CG_UNKNOWN;
                if (read_text(dir, "memory.oom_control", buf, sizeof(buf))) {
                        mb_cgmem_parse_oom_control(buf, ret);
                        any = true;
                }
        }
        if (read_text(dir, "memory.stat", buf, sizeof(buf)))
                mb_cgmem_parse_stat(buf, ret);
        any = any || ret->max != MB_CG_UNKNOWN || ret->current != MB_CG_UNKNOWN;
        return any ? 0 : -ENOENT;
}

int mb_cgmem_read_limited(const char *mount, int version, const char *path, struct mb_cgmem *ret)
{
        char dir[1600], rel[600];
        int r;

        mb_strlcpy(rel, path, sizeof(rel));
        snprintf(dir, sizeof(dir), "%s%s", mount, strcmp(rel, "/") ? rel : "");
        if (access(dir, F_OK) != 0)
                rel[0] = '\0'; /* seen from a namespace: the mount's root */
        for (;;) {
                bool root = !rel[0] || !strcmp(rel, "/");
                snprintf(dir, sizeof(dir), "%s%s", mount, root ? "" : rel);
                int64_t m = read_limit(dir, version == 2 ? "memory.max" : "memory.limit_in_bytes");
                int64_t h = version == 2 ? read_limit(dir, "memory.high") : MB_CG_UNKNOWN;
                if ((m != MB_CG_UNKNOWN && m >= 0) || (h != MB_CG_UNKNOWN && h >= 0)) {
                        r = mb_cgmem_read(dir, version, root ? path : rel, ret);
                        if (root)
                                mb_strlcpy(ret->path, path, sizeof(ret->path));
                        return r;
                }
                if (root)
                        break;
                char *slash = strrchr(rel, '/');
                if (!slash)
                        break;
                *slash = '\0';
        }
        /* none is limited: the cgroup itself (or the root it resolves to) */
        snprintf(dir, sizeof(dir), "%s%s", mount, strcmp(path, "/") ? path : "");
        if (access(dir, F_OK) != 0)
                snprintf(dir, sizeof(dir), "%s", mount);
        return mb_cgmem_read(dir, version, path, ret);
}

struct walk {
        const char *mount;
        struct mb_cgmem *ret;
        size_t n, max, seen;
};

static void walk_dir(struct walk *w, char *dir, size_t len, int depth)
{
        char buf[1024];
        DIR *d;
        struct dirent *e;

        if (w->seen++ >= 4096 || depth > 16 || w->n >= w->max)
                return;
        if (depth > 0 && read_text(dir, "memory.events.local", buf, sizeof(buf))) {
                struct mb_cgmem m;
                int64_t lim = read_limit(dir, "memory.max");
                memset(&m, 0, sizeof(m));
                m.ev_max = m.ev_oom_kill = MB_CG_UNKNOWN;
                mb_cgmem_parse_events(buf, &m);
                if ((m.ev_oom_kill != MB_CG_UNKNOWN && m.ev_oom_kill > 0) ||
                    (m.ev_max != MB_CG_UNKNOWN && m.ev_max > 0 && lim != MB_CG_UNKNOWN &&
                     lim >= 0)) {
                        bool dup = false;
                        for (size_t i = 0; i < w->n; i++)
                                dup = dup || !strcmp(w->ret[i].dir, dir);
                        if (!dup &&
                            mb_cgmem_read(dir, 2, dir + strlen(w->mount), &w->ret[w->n]) == 0)
                                w->n++;
                }
        }
        d = opendir(dir);
        if (!d)
                return;
        while ((e = readdir(d)) && w->n < w->max) {
                size_t l = strlen(e->d_name);
                if (e->d_type != DT_DIR || e->d_name[0] == '.' || len + 1 + l >= 1500)
                        continue;
                dir[len] = '/';
                memcpy(dir + len + 1, e->d_name, l + 1);
                walk_dir(w, dir, len + 1 + l, depth + 1);
                dir[len] = '\0';
        }
        closedir(d);
}

size_t mb_cgmem_find_events(const char *mount, struct mb_cgmem *ret, size_t n, size_t max)
{
        struct walk w = {.mount = mount, .ret = ret, .n = n, .max = max};
        char dir[1600];

        mb_strlcpy(dir, mount, sizeof(dir));
        walk_dir(&w, dir, strlen(dir), 0);
        return w.n;
}
