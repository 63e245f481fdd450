/* cgroup.c: memory cgroups (v2 and v1): detect, plan limits, create, move, remove. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/size.h"
#include "../util/users.h"
#include "../util/util.h"
#include "cgroup.h"

static bool file_exists(const char *dir, const char *file)
{
        char p[1100];

        snprintf(p, sizeof(p), "%s/%s", dir, file);
        return access(p, F_OK) == 0;
}

static bool controllers_have_memory(const char *dir)
{
        char p[1100], buf[512];
        ssize_t n;

        snprintf(p, sizeof(p), "%s/cgroup.controllers", dir);
        n = mb_read_small_at(AT_FDCWD, p, buf, sizeof(buf));
        if (n <= 0)
                return false;
        for (char *sv, *s = strtok_r(buf, " \n", &sv); s; s = strtok_r(NULL, " \n", &sv))
                if (!strcmp(s, "memory"))
                        return true;
        return false;
}

int mb_cgroup_detect(const char *sys_root, struct mb_cgroup_fs *ret)
{
        static const char *const v2dirs[] = {"fs/cgroup", "fs/cgroup/unified"};
        char p[1024];

        memset(ret, 0, sizeof(*ret));
        if (!sys_root)
                sys_root = "/sys";
        for (size_t i = 0; i < MB_ARRAY_SIZE(v2dirs); i++) {
                snprintf(p, sizeof(p), "%s/%s", sys_root, v2dirs[i]);
                if (controllers_have_memory(p)) {
                        ret->version = MB_CG_V2;
                        mb_strlcpy(ret->mount, p, sizeof(ret->mount));
                        /* root has no memory.swap.max: assume it when swap is compiled in */
                        ret->swap_max = true;
                        return 0;
                }
        }
        snprintf(p, sizeof(p), "%s/fs/cgroup/memory", sys_root);
        if (file_exists(p, "memory.limit_in_bytes")) {
                ret->version = MB_CG_V1;
                mb_strlcpy(ret->mount, p, sizeof(ret->mount));
                ret->memsw = file_exists(p, "memory.memsw.limit_in_bytes");
                return 0;
        }
        return -ENOENT;
}

bool mb_cgroup_name_valid(const char *name)
{
        size_t n = strlen(name);

        if (n == 0 || n > 64 || !strcmp(name, ".") || !strcmp(name, ".."))
                return false;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
                        return false;
        return true;
}

void mb_cgroup_dir(const struct mb_cgroup_fs *fs, const char *name, char *buf, size_t len)
{
        snprintf(buf, len, "%s/membudget/%s", fs->mount, name);
}

static int add_write(struct mb_plan *plan, const char *dir, const char *file, const char *cur,
                     int64_t v, const char *unlimited, const char *how)
{
        char path[1200], val[32];

        snprintf(path, sizeof(path), "%s/%s", dir, file);
        if (v < 0)
                mb_strlcpy(val, unlimited, sizeof(val));
        else
                snprintf(val, sizeof(val), "%lld", (long long)v);
        return mb_plan_add(plan, MB_ACT_CGROUP_WRITE, path, cur, val, how) ? 0 : -ENOMEM;
}

int mb_cgroup_limit_plan(const struct mb_cgroup_fs *fs, const char *name,
                         const struct mb_cg_limits *lim, bool exists,
                         const struct mb_cg_values *now, const struct mb_cg_member *m, size_t n,
                         struct mb_plan *plan)
{
        struct mb_cg_values fresh;
        char dir[1100], how[256], sz[MB_SIZE_STRLEN];
        int r = 0;

        mb_cgroup_dir(fs, name, dir, sizeof(dir));
        if (!exists) {
                const char *u = fs->version == MB_CG_V2 ? "max" : "-1";
                memset(&fresh, 0, sizeof(fresh));
                mb_strlcpy(fresh.max, u, sizeof(fresh.max));
                mb_strlcpy(fresh.high, u, sizeof(fresh.high));
                mb_strlcpy(fresh.swap, u, sizeof(fresh.swap));
                mb_strlcpy(fresh.swappiness, "60", sizeof(fresh.swappiness));
                mb_strlcpy(fresh.move_charge, "0", sizeof(fresh.move_charge));
                now = &fresh;
                if (!mb_plan_add(plan, MB_ACT_CGROUP_CREATE, dir, NULL, "created",
                                 fs->version == MB_CG_V2
                                     ? "mkdir (memory controller enabled on its parents)"
                                     : "mkdir in the v1 memory hierarchy"))
                        return -ENOMEM;
        }
        if (fs->version == MB_CG_V2) {
                if (lim->high >= 0) {
                        snprintf(how, sizeof(how), "throttle above %s",
                                 mb_size_format(lim->high, sz, sizeof(sz)));
                        r = add_write(plan, dir, "memory.high", now->high, lim->high, "max", how);
                }
                if (!r) {
                        snprintf(how, sizeof(how), "hard limit %s (OOM kill inside the group)",
                                 mb_size_format(lim->max, sz, sizeof(sz)));
                        r = add_write(plan, dir, "memory.max", now->max, lim->max, "max", how);
                }
                if (!r && lim->swap_max >= 0)
                        r = add_write(plan, dir, "memory.swap.max", now->swap, lim->swap_max, "max",
                                      "swap limit");
        } else {
                char memsw_how[128];
                int64_t memsw = lim->max >= 0 && lim->swap_max >= 0 ? lim->max + lim->swap_max : -1;
                int64_t curmax = -1;
                bool raise;

                if (now->max[0] && strcmp(now->max, "-1"))
                        curmax = strtoll(now->max, NULL, 10);
                /* memsw must stay >= limit: raise memsw first, lower the limit first */
                raise = curmax >= 0 && lim->max > curmax;
                snprintf(how, sizeof(how), "hard limit %s (OOM kill inside the group)",
                         mb_size_format(lim->max, sz, sizeof(sz)));
                snprintf(memsw_how, sizeof(memsw_how), "memory + swap limit (swap %s)",
                         mb_size_format(lim->swap_max, sz, sizeof(sz)));
                if (fs->memsw && memsw >= 0 && raise)
                        r = add_write(plan, dir, "memory.memsw.limit_in_bytes", now->swap, memsw,
                                      "-1", memsw_how);
                if (!r)
                        r = add_write(plan, dir, "memory.limit_in_bytes", now->max, lim->max, "-1",
                                      how);
                if (!r && fs->memsw && memsw >= 0 && !raise)
                        r = add_write(plan, dir, "memory.memsw.limit_in_bytes", now->swap, memsw,
                                      "-1", memsw_how);
                if (!r && lim->high >= 0)
                        r = add_write(plan, dir, "memory.soft_limit_in_bytes", now->high, lim->high,
                                      "-1", "soft limit (v1 has no memory.high)");
                if (!r && !fs->memsw && lim->swap_max == 0)
                        r = add_write(plan, dir, "memory.swappiness", now->swappiness, 0, "0",
                                      "no swap in limit reclaim (swap accounting is off)");
                if (!r && !fs->memsw && lim->swap_max > 0)
                        mb_plan_note(plan, "swap accounting is off (no memory.memsw.* files): "
                                           "--swap-max is not enforced on this cgroup v1 host; "
                                           "boot with swapaccount=1");
        }
        if (r)
                return r;
        /* v1 leaves the pages of a moved process charged to its old group
         * unless the destination asks for them (anon 1 + file 2) */
        if (n > 0 && fs->version == MB_CG_V1 &&
            (r = add_write(plan, dir, "memory.move_charge_at_immigrate", now->move_charge, 3, "0",
                           "charge the moved processes' pages to the group")))
                return r;
        if (n > 0 && fs->version == MB_CG_V2)
                mb_plan_note(plan, "cgroup v2 never moves a charge: pages the processes hold now "
                                   "stay charged to their old groups; only new allocations count "
                                   "against this limit");
        for (size_t i = 0; i < n; i++) {
                struct mb_change *c;
                char target[128];

                snprintf(target, sizeof(target), "pid %d (%s)", m[i].pid, m[i].comm);
                c = mb_plan_add(plan, MB_ACT_CGROUP_MOVE, target, m[i].from, dir,
                                "move the process and all its threads");
                if (!c)
                        return -ENOMEM;
                c->pid = m[i].pid;
                c->starttime = m[i].starttime;
        }
        return 0;
}

static void read_str(const char *dir, const char *file, char *buf, size_t len)
{
        char p[1200];
        int fd;
        ssize_t n;

        buf[0] = '\0';
        snprintf(p, sizeof(p), "%s/%s", dir, file);
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        n = read(fd, buf, len - 1);
        close(fd);
        if (n < 0)
                n = 0;
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
}

void mb_cgroup_values_read(const struct mb_cgroup_fs *fs, const char *dir, struct mb_cg_values *ret)
{
        memset(ret, 0, sizeof(*ret));
        if (fs->version == MB_CG_V2) {
                read_str(dir, "memory.max", ret->max, sizeof(ret->max));
                read_str(dir, "memory.high", ret->high, sizeof(ret->high));
                read_str(dir, "memory.swap.max", ret->swap, sizeof(ret->swap));
        } else {
                read_str(dir, "memory.limit_in_bytes", ret->max, sizeof(ret->max));
                read_str(dir, "memory.soft_limit_in_bytes", ret->high, sizeof(ret->high));
                read_str(dir, "memory.memsw.limit_in_bytes", ret->swap, sizeof(ret->swap));
                read_str(dir, "memory.swappiness", ret->swappiness, sizeof(ret->swappiness));
                read_str(dir, "memory.move_charge_at_immigrate", ret->move_charge,
                         sizeof(ret->move_charge));
        }
}

size_t mb_limit_match_policy(struct mb_plan *plan, const struct mb_cg_member *m, size_t n,
                             uint32_t self, bool user_given, bool force)
{
        char users[256] = "", why[256] = "";
        size_t off = 0, nusers = 0, refused = 0;
        bool other = false;

        for (size_t i = 0; i < n; i++) {
                bool seen = false;
                for (size_t k = 0; k < i && !seen; k++)
                        seen = m[k].uid == m[i].uid;
                if (seen)
                        continue;
                nusers++;
                other |= m[i].uid != self;
                if (off < sizeof(users))
                        off += (size_t)snprintf(users + off, sizeof(users) - off, "%s%s",
                                                off ? ", " : "", mb_user_name(m[i].uid));
        }
        if (n == 0)
                return 0;
        mb_plan_note(plan, "%zu process%s match%s (user%s %s)", n, n == 1 ? "" : "es",
                     n == 1 ? "es" : "", nusers == 1 ? "" : "s", users);
        if (user_given || force)
                return 0;
        if (n > MB_LIMIT_MATCH_MAX)
                snprintf(why, sizeof(why),
                         "%zu processes match, more than %d: narrow the pattern, or give "
                         "--user NAME or --force",
                         n, MB_LIMIT_MATCH_MAX);
        else if (other)
                snprintf(why, sizeof(why),
                         "processes of other users match (%.120s): give --user NAME (or --force)",
                         users);
        else
                return 0;
        for (size_t i = 0; i < plan->n; i++)
                if (plan->c[i].action == MB_ACT_CGROUP_MOVE) {
                        plan->c[i].refused = true;
                        mb_strlcpy(plan->c[i].reason, why, sizeof(plan->c[i].reason));
                        refused++;
                }
        return refused;
}

int mb_limit_usage_note(struct mb_plan *plan, const char *what, int64_t usage, int64_t limit)
{
        char u[MB_SIZE_STRLEN], l[MB_SIZE_STRLEN];

        if (usage < 0 || limit < 0 || usage <= limit)
                return 0;
        return mb_plan_note(plan,
                            "warning: %s use%s %s now, above the limit %s: the excess will be "
                            "pushed to swap, or the processes OOM-killed when swap is limited or "
                            "full",
                            what, strncmp(what, "the unit", 8) ? "" : "s",
                            mb_size_format(usage, u, sizeof(u)),
                            mb_size_format(limit, l, sizeof(l)));
}

int mb_cgroup_of(const struct mb_cgroup_fs *fs, const char *proc_root, int pid, char *buf,
                 size_t len)
{
        struct mb_buf b = MB_BUF_INIT;
        char path[256];
        const char *p, *end;
        ssize_t n;
        int r = -ENOENT;

        snprintf(path, sizeof(path), "%s/%d/cgroup", proc_root ? proc_root : "/proc", pid);
        if ((n = mb_read_file_at(AT_FDCWD, path, &b, 0)) < 0) {
                mb_buf_release(&b);
                return (int)n;
        }
        p = b.data ? b.data : "";
        end = p + b.len;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
                const char *c1 = memchr(p, ':', (size_t)(le - p)), *c2;
                if (c1 && (c2 = memchr(c1 + 1, ':', (size_t)(le - c1 - 1)))) {
                        bool hit = false;
                        if (fs->version == MB_CG_V2)
                                hit = c1 == p + 1 && p[0] == '0' && c2 == c1 + 1;
                        else {
                                /* controller list contains "memory" */
                                const char *s = c1 + 1;
                                while (s < c2) {
                                        const char *e = memchr(s, ',', (size_t)(c2 - s));
                                        if (!e)
                                                e = c2;
                                        if (e - s == 6 && !memcmp(s, "memory", 6))
                                                hit = true;
                                        s = e + 1;
                                }
                        }
                        if (hit) {
                                size_t pl = (size_t)(le - c2 - 1);
                                char rel[1024];
                                if (pl >= sizeof(rel))
                                        pl = sizeof(rel) - 1;
                                memcpy(rel, c2 + 1, pl);
                                rel[pl] = '\0';
                                if (!strcmp(rel, "/"))
                                        rel[0] = '\0';
                                snprintf(buf, len, "%s%s", fs->mount, rel);
                                r = 0;
                                break;
                        }
                }
                p = nl ? nl + 1 : end;
        }
        mb_buf_release(&b);
        return r;
}

int mb_cgroup_write(const char *path, const char *value)
{
        return mb_write_value(path, value, true);
}

/* v2: make sure the memory controller is on in dir's cgroup.subtree_control. */
static void enable_memory(const char *dir)
{
        char p[1200], buf[256];

        snprintf(p, sizeof(p), "%s/cgroup.subtree_control", dir);
        if (access(p, F_OK) < 0)
                return; /* v1 */
        read_str(dir, "cgroup.subtree_control", buf, sizeof(buf));
        for (char *sv, *s = strtok_r(buf, " \n", &sv); s; s = strtok_r(NULL, " \n", &sv))
                if (!strcmp(s, "memory"))
                        return;
        mb_cgroup_write(p, "+memory");
}

int mb_cgroup_create(const char *dir)
{
        char parent[1100], top[1100];
        int r;

        mb_strlcpy(parent, dir, sizeof(parent));
        dirname(parent);
        mb_strlcpy(top, parent, sizeof(top));
        dirname(top);
        if (access(parent, F_OK) < 0) {
                enable_memory(top);
                if (mkdir(parent, 0755) < 0 && errno != EEXIST)
                        return -errno;
        }
        enable_memory(top);
        enable_memory(parent);
        r = mkdir(dir, 0755);
        return r < 0 ? -errno : 0;
}

int mb_cgroup_remove(const char *dir)
{
        char parent[1100];
        const char *b;

        if (rmdir(dir) < 0 && errno != ENOENT)
                return -errno;
        mb_strlcpy(parent, dir, sizeof(parent));
        dirname(parent);
        b = strrchr(parent, '/');
        if (b && !strcmp(b + 1, "membudget"))
                (void)rmdir(parent); /* only when empty; others may use it */
        return 0;
}

int mb_cgroup_move(const char *dir, int pid)
{
        char p[1200], v[32];

        snprintf(p, sizeof(p), "%s/cgroup.procs", dir);
        snprintf(v, sizeof(v), "%d", pid);
        /* O_CREAT: cgroupfs cannot create files (fails there); fixture trees get one */
        {
                int fd = open(p, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_APPEND, 0644);
                ssize_t n;
                if (fd < 0)
                        return -errno;
                n = write(fd, v, strlen(v));
                if (n < 0) {
                        int e = errno;
                        close(fd);
                        return -e;
                }
                close(fd);
        }
        return 0;
}

int mb_cgroup_read_i64(const char *dir, const char *file, int64_t *ret)
{
        char buf[64];
        const char *p = buf;
        uint64_t v;

        read_str(dir, file, buf, sizeof(buf));
        if (!buf[0])
                return -ENOENT;
        if (!strcmp(buf, "max")) {
                *ret = INT64_MAX;
                return 0;
        }
        if (buf[0] == '-') {
                *ret = INT64_MAX;
                return 0;
        }
        if (mb_parse_u64(&p, buf + strlen(buf), &v) < 0)
                return -EINVAL;
        *ret = v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
        return 0;
}

int mb_cgroup_read_key(const char *dir, const char *file, const char *key, int64_t *ret)
{
        struct mb_buf b = MB_BUF_INIT;
        char p[1200];
        const char *s, *end;
        size_t kl = strlen(key);
        ssize_t n;
        int r = -ENOENT;

        snprintf(p, sizeof(p), "%s/%s", dir, file);
        if ((n = mb_read_file_at(AT_FDCWD, p, &b, 0)) < 0) {
                mb_buf_release(&b);
                return (int)n;
        }
        s = b.data ? b.data : "";
        end = s + b.len;
        while (s < end) {
                const char *nl = memchr(s, '\n', (size_t)(end - s)), *le = nl ? nl : end;
                if ((size_t)(le - s) > kl && !memcmp(s, key, kl) && s[kl] == ' ') {
                        const char *q = s + kl + 1;
                        uint64_t v;
                        if (mb_parse_u64(&q, le, &v) == 0) {
                                *ret = (int64_t)v;
                                r = 0;
                        }
                        break;
                }
                s = nl ? nl + 1 : end;
        }
        mb_buf_release(&b);
        return r;
}

int mb_cgroup_pids(const char *dir, int **ret, size_t *n)
{
        struct mb_buf b = MB_BUF_INIT;
        char p[1200];
        const char *s, *end;
        int *v = NULL, fd;
        size_t k = 0, cap = 0;

        *ret = NULL;
        *n = 0;
        snprintf(p, sizeof(p), "%s/cgroup.procs", dir);
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (mb_pread_all(fd, &b) < 0) {
                close(fd);
                mb_buf_release(&b);
                return -EIO;
        }
        close(fd);
        s = b.data ? b.data : "";
        end = s + b.len;
        while (s < end) {
                uint64_t x;
                if (mb_parse_u64(&s, end, &x) == 0) {
                        if (k == cap) {
                                int *nv;
                                cap = cap ? cap * 2 : 16;
                                nv = realloc(v, cap * sizeof(*nv));
                                if (!nv) {
                                        free(v);
                                        mb_buf_release(&b);
                                        return -ENOMEM;
                                }
                                v = nv;
                        }
                        v[k++] = (int)x;
                }
                while (s < end && (*s < '0' || *s > '9'))
                        s++;
        }
        mb_buf_release(&b);
        *ret = v;
        *n = k;
        return 0;
}

int mb_cgroup_oom_kills(const struct mb_cgroup_fs *fs, const char *dir, int64_t *ret)
{
        return mb_cgroup_read_key(
            dir, fs->version == MB_CG_V2 ? "memory.events" : "memory.oom_control", "oom_kill", ret);
}

static int risk_walk(const struct mb_cgroup_fs *fs, const char *dir, int depth,
                     struct mb_cg_risk *ret, size_t max, size_t *n)
{
        bool v2 = fs->version == MB_CG_V2;
        int64_t usage, swap = 0, limit;
        struct dirent *de;
        DIR *d;

        if (mb_cgroup_read_i64(dir, v2 ? "memory.max" : "memory.limit_in_bytes", &limit) == 0 &&
            limit > 0 && limit < (INT64_C(1) << 60) &&
            mb_cgroup_read_i64(dir, v2 ? "memory.current" : "memory.usage_in_bytes", &usage) == 0) {
                if (v2)
                        mb_cgroup_read_i64(dir, "memory.swap.current", &swap);
                else
                        mb_cgroup_read_key(dir, "memory.stat", "total_swap", &swap);
                if (usage + swap > limit) {
                        if (*n < max) {
                                mb_strlcpy(ret[*n].dir, dir, sizeof(ret[*n].dir));
                                ret[*n].usage = usage;
                                ret[*n].swap = swap;
                                ret[*n].limit = limit;
                        }
                        (*n)++;
                }
        }
        if (depth >= 16 || !(d = opendir(dir)))
                return 0;
        while ((de = readdir(d))) {
                char sub[1024];
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) >= sizeof(sub))
                        continue;
                risk_walk(fs, sub, depth + 1, ret, max, n);
        }
        closedir(d);
        return 0;
}

int mb_cgroup_swap_risks(const struct mb_cgroup_fs *fs, struct mb_cg_risk *ret, size_t max)
{
        size_t n = 0;

        if (access(fs->mount, R_OK) < 0)
                return -errno;
        risk_walk(fs, fs->mount, 0, ret, max, &n);
        return (int)n;
}

void mb_swap_cycle_refuse_cgroups(struct mb_plan *plan, const struct mb_cg_risk *r, size_t n)
{
        char u[MB_SIZE_STRLEN], w[MB_SIZE_STRLEN], l[MB_SIZE_STRLEN];

        if (n == 0)
                return;
        /* the host check's "allowed" no longer holds */
        for (size_t i = 0; i < plan->nnotes; i++) {
                char *x;
                if (strncmp(plan->notes[i], "swap cycle allowed: ", 20) ||
                    asprintf(&x, "host RAM would be enough (%.*s), a memory cgroup's limit is not",
                             (int)strcspn(plan->notes[i] + 20, ";"), plan->notes[i] + 20) < 0)
                        continue;
                free(plan->notes[i]);
                plan->notes[i] = x;
        }
        for (size_t i = 0; i < plan->n; i++) {
                struct mb_change *c = &plan->c[i];
                if (c->action != MB_ACT_SWAP_CYCLE || c->noop || c->refused)
                        continue; /* the first reason stays */
                c->refused = true;
                snprintf(c->reason, sizeof(c->reason),
                         "swap cycle refused: cgroup %.300s uses %s with %s in swap, above its "
                         "limit %s%s: swapoff would make its OOM killer kill",
                         r[0].dir, mb_size_format(r[0].usage, u, sizeof(u)),
                         mb_size_format(r[0].swap, w, sizeof(w)),
                         mb_size_format(r[0].limit, l, sizeof(l)),
                         n > 1 ? " (and other groups)" : "");
        }
}

static bool path_limited(int sys_fd, const char *base, const char *file, const char *path,
                         uint64_t ram, char *detail, size_t dlen)
{
        char p[1200], buf[64];
        size_t len;

        if (sys_fd < 0 || !*path)
                return false;
        snprintf(p, sizeof(p), "%s%s", base, path);
        len = strlen(p);
        for (;;) {
                char f[1300];
                ssize_t n;
                snprintf(f, sizeof(f), "%s/%s", p, file);
                n = mb_read_small_at(sys_fd, f, buf, sizeof(buf));
                if (n > 0 && strncmp(buf, "max", 3) != 0) {
                        uint64_t v;
                        const char *q = buf;
                        if (mb_parse_u64(&q, buf + n, &v) == 0 && v < (1ull << 62)) {
                                char s[MB_SIZE_STRLEN], r[MB_SIZE_STRLEN];
                                bool below = ram == 0 || v < ram;
                                snprintf(detail, dlen, "/sys/%.200s = %s%s%s%s", f,
                                         mb_size_format((int64_t)v, s, sizeof(s)),
                                         below ? "" : ", not below RAM (",
                                         below ? "" : mb_size_format((int64_t)ram, r, sizeof(r)),
                                         below ? "" : "): no effect");
                                if (below)
                                        return true;
                        }
                }
                while (len > strlen(base) && p[len - 1] != '/')
                        len--;
                if (len <= strlen(base) + 1)
                        return false;
                p[--len] = '\0';
        }
}

bool mb_target_all_limited(int sys_fd, const struct mb_proctab *t, uint64_t ram, char *detail,
                           size_t dlen)
{
        size_t n = 0;

        detail[0] = '\0';
        for (size_t i = 0; i < t->n; i++) {
                const struct mb_proc *p = &t->p[i];
                char d[512] = "";
                if (!(p->flags & MB_P_TARGET) || (p->flags & MB_P_ZOMBIE))
                        continue;
                if (!path_limited(sys_fd, "fs/cgroup/memory", "memory.limit_in_bytes",
                                  mb_proc_str(t, p->cg_mem), ram, d, sizeof(d)) &&
                    !path_limited(sys_fd, "fs/cgroup", "memory.max", mb_proc_str(t, p->cg_v2), ram,
                                  d, sizeof(d))) {
                        if (d[0])
                                mb_strlcpy(detail, d, dlen);
                        else if (n > 0)
                                snprintf(detail, dlen,
                                         "pid %d (%.60s) is outside the limited group: not every "
                                         "target process is under a limit",
                                         p->pid, p->name);
                        else
                                detail[0] = '\0';
                        return false;
                }
                if (n++ == 0)
                        mb_strlcpy(detail, d, dlen);
        }
        return n > 0;
}
