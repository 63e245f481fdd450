/* journal.c: append-only JSON-lines journal of applied changes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "../util/size.h"
#include "systemd.h"

void mb_journal_run_id(char *buf, size_t len)
{
        time_t t = time(NULL);
        struct tm tm;
        char ts[32];

        gmtime_r(&t, &tm);
        strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
        snprintf(buf, len, "%s-%d", ts, (int)getpid());
}

/* Cut a torn last record off (no '\n' at the end): the next append then
 * starts on a line of its own. */
static int repair_tail(int fd, bool *repaired)
{
        struct stat st;
        char buf[4096];
        off_t end, pos;

        if (fstat(fd, &st) < 0)
                return -errno;
        end = st.st_size;
        if (end == 0 || (pread(fd, buf, 1, end - 1) == 1 && buf[0] == '\n'))
                return 0;
        pos = end;
        while (pos > 0) {
                size_t n = pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
                ssize_t got = pread(fd, buf, n, pos - (off_t)n);
                if (got != (ssize_t)n)
                        return got < 0 ? -errno : -EIO;
                for (size_t k = n; k-- > 0;)
                        if (buf[k] == '\n') {
                                pos = pos - (off_t)n + (off_t)k + 1;
                                goto cut;
                        }
                pos -= (off_t)n;
        }
cut:
        if (ftruncate(fd, pos) < 0)
                return -errno;
        *repaired = true;
        return 0;
}

int mb_journal_open(struct mb_journal *j, const char *state_dir)
{
        int r;

        memset(j, 0, sizeof(*j));
        j->fd = -1;
        if ((size_t)snprintf(j->path, sizeof(j->path), "%s/%s", state_dir, MB_JOURNAL_FILE) >=
            sizeof(j->path))
                return -ENAMETOOLONG;
        j->fd = mb_open_trusted(j->path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW, MB_TRUST_SELF,
                                j->why, sizeof(j->why));
        if (j->fd < 0) {
                r = j->fd;
                j->fd = -1;
                return r;
        }
        r = repair_tail(j->fd, &j->repaired);
        if (r < 0) {
                snprintf(j->why, sizeof(j->why), "cannot repair its torn last line: %s",
                         mb_strerror(r));
                close(j->fd);
                j->fd = -1;
                return r;
        }
        mb_journal_run_id(j->run, sizeof(j->run));
        return 0;
}

void mb_journal_close(struct mb_journal *j)
{
        if (j->fd >= 0)
                close(j->fd);
        j->fd = -1;
}

static json_t *str_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

/* One write() of the whole line: a record is never interleaved with
 * another writer's, and a short write (disk full) is cut off again so the
 * journal ends on a whole record. */
static int write_line(struct mb_journal *j, json_t *o)
{
        char *s =
            json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(MB_REAL_DIGITS));
        struct stat st;
        size_t len;
        ssize_t n;
        int e;

        json_decref(o);
        if (!s)
                return -ENOMEM;
        len = strlen(s);
        s[len] = '\n'; /* replaces the NUL; we write len + 1 bytes */
        len++;
        if (fstat(j->fd, &st) < 0) {
                free(s);
                return -errno;
        }
        do
                n = write(j->fd, s, len);
        while (n < 0 && errno == EINTR);
        e = n < 0 ? errno : (size_t)n != len ? ENOSPC : 0;
        free(s);
        if (e) {
                if (n > 0 && ftruncate(j->fd, st.st_size) < 0)
                        (void)0; /* the next open cuts the torn line off */
                return -e;
        }
        if (fsync(j->fd) < 0)
                return -errno;
        return 0;
}

int mb_journal_append(struct mb_journal *j, const struct mb_change *c)
{
        json_t *o = json_object();
        int seq = j->seq, r;

        if (!o)
                return -ENOMEM;
        json_object_set_new(o, "time", json_real(mb_now_wall()));
        json_object_set_new(o, "run", json_string(j->run));
        json_object_set_new(o, "seq", json_integer(seq));
        json_object_set_new(o, "action", json_string(mb_action_name(c->action)));
        json_object_set_new(o, "target", json_string(c->target));
        json_object_set_new(o, "previous", str_or_null(c->current));
        json_object_set_new(o, "new", str_or_null(c->new_value));
        if (c->action == MB_ACT_CGROUP_MOVE) {
                json_object_set_new(o, "pid", json_integer(c->pid));
                json_object_set_new(o, "starttime", json_integer((json_int_t)c->starttime));
        }
        if (c->action == MB_ACT_SWAP_CYCLE)
                json_object_set_new(o, "prio", json_integer(c->prio));
        r = write_line(j, o);
        if (r < 0)
                return r;
        j->seq++;
        return seq;
}

int mb_journal_mark_undone(struct mb_journal *j, const char *run, int seq)
{
        json_t *o = json_object();

        if (!o)
                return -ENOMEM;
        json_object_set_new(o, "time", json_real(mb_now_wall()));
        json_object_set_new(o, "run", json_string(j->run));
        json_object_set_new(o, "action", json_string("undone"));
        json_object_set_new(o, "undoes_run", json_string(run));
        json_object_set_new(o, "undoes_seq", json_integer(seq));
        return write_line(j, o);
}

static char *dup_or_null(json_t *v)
{
        return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

int mb_journal_parse_line(const char *line, size_t len, struct mb_journal_entry *ret)
{
        json_error_t jerr;
        json_t *o = json_loadb(line, len, 0, &jerr), *v;
        const char *action;
        int a, r = 0;

        memset(ret, 0, sizeof(*ret));
        if (!json_is_object(o)) {
                json_decref(o);
                return -EINVAL;
        }
        action = json_string_value(json_object_get(o, "action"));
        if (action && !strcmp(action, "undone")) {
                v = json_object_get(o, "undoes_run");
                if (!json_is_string(v) || !json_is_integer(json_object_get(o, "undoes_seq"))) {
                        r = -EINVAL;
                        goto out;
                }
                mb_strlcpy(ret->run, json_string_value(v), sizeof(ret->run));
                ret->seq = (int)json_integer_value(json_object_get(o, "undoes_seq"));
                r = -ENOMSG;
                goto out;
        }
        a = mb_action_from_name(action);
        v = json_object_get(o, "target");
        if (a < 0 || !json_is_string(v) || !json_is_string(json_object_get(o, "run")) ||
            !json_is_integer(json_object_get(o, "seq"))) {
                r = -EINVAL;
                goto out;
        }
        ret->action = (enum mb_action)a;
        ret->time = json_number_value(json_object_get(o, "time"));
        mb_strlcpy(ret->run, json_string_value(json_object_get(o, "run")), sizeof(ret->run));
        ret->seq = (int)json_integer_value(json_object_get(o, "seq"));
        ret->change.action = ret->action;
        ret->change.prio = -1;
        mb_strlcpy(ret->change.target, json_string_value(v), sizeof(ret->change.target));
        ret->change.current = dup_or_null(json_object_get(o, "previous"));
        ret->change.new_value = dup_or_null(json_object_get(o, "new"));
        ret->change.pid = (int)json_integer_value(json_object_get(o, "pid"));
        ret->change.starttime = (uint64_t)json_integer_value(json_object_get(o, "starttime"));
        if (json_is_integer(json_object_get(o, "prio")))
                ret->change.prio = (int)json_integer_value(json_object_get(o, "prio"));
out:
        json_decref(o);
        return r;
}

void mb_journal_entries_release(struct mb_journal_entries *e)
{
        for (size_t i = 0; i < e->n; i++) {
                free(e->e[i].change.current);
                free(e->e[i].change.new_value);
        }
        free(e->e);
        memset(e, 0, sizeof(*e));
}

static uint64_t key_hash(const char *run, int seq)
{
        uint64_t h = 1469598103934665603ull; /* FNV-1a */

        for (const unsigned char *p = (const unsigned char *)run; *p; p++)
                h = (h ^ *p) * 1099511628211ull;
        return (h ^ (uint64_t)(unsigned)seq) * 0x9E3779B97F4A7C15ull;
}

struct undone_mark {
        char run[64];
        int seq;
};

/* Mark the entries named by the undone markers: one hash table of the
 * entries' run/seq, so 80k records take milliseconds, not seconds. */
static int resolve_undone(struct mb_journal_entries *ret, const struct undone_mark *m, size_t nm)
{
        size_t cap = 16, *slot;

        if (nm == 0 || ret->n == 0)
                return 0;
        while (cap < ret->n * 2)
                cap *= 2;
        slot = malloc(cap * sizeof(*slot));
        if (!slot)
                return -ENOMEM;
        for (size_t i = 0; i < cap; i++)
                slot[i] = SIZE_MAX;
        for (size_t i = 0; i < ret->n; i++) {
                size_t h = (size_t)key_hash(ret->e[i].run, ret->e[i].seq) & (cap - 1);
                while (slot[h] != SIZE_MAX)
                        h = (h + 1) & (cap - 1);
                slot[h] = i;
        }
        for (size_t k = 0; k < nm; k++) {
                size_t h = (size_t)key_hash(m[k].run, m[k].seq) & (cap - 1);
                for (; slot[h] != SIZE_MAX; h = (h + 1) & (cap - 1)) {
                        struct mb_journal_entry *x = &ret->e[slot[h]];
                        if (x->seq == m[k].seq && !strcmp(x->run, m[k].run))
                                x->undone = true;
                }
        }
        free(slot);
        return 0;
}

int mb_journal_read_buffer(const char *buf, size_t len, struct mb_journal_entries *ret,
                           struct mb_error *err)
{
        const char *p = buf, *end = buf + len;
        struct undone_mark *marks = NULL;
        size_t nmarks = 0, capmarks = 0;
        int lineno = 0, r;

        (void)err;
        memset(ret, 0, sizeof(*ret));
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *le = nl ? nl : end;
                struct mb_journal_entry e;

                lineno++;
                if (le == p) {
                        p = le + 1;
                        continue;
                }
                r = mb_journal_parse_line(p, (size_t)(le - p), &e);
                p = nl ? nl + 1 : end;
                if (r == -ENOMSG) {
                        if (MB_GROW(marks, nmarks, capmarks, 16) < 0)
                                goto nomem;
                        mb_strlcpy(marks[nmarks].run, e.run, sizeof(marks[nmarks].run));
                        marks[nmarks++].seq = e.seq;
                        continue;
                }
                if (r < 0) {
                        /* A torn last line (crash mid-write) is skipped
                         * silently; a corrupt one elsewhere is counted. */
                        if (!nl)
                                break;
                        if (!ret->skipped++)
                                ret->first_bad = lineno;
                        continue;
                }
                if (MB_GROW(ret->e, ret->n, ret->cap, 16) < 0) {
                        free(e.change.current);
                        free(e.change.new_value);
                        goto nomem;
                }
                ret->e[ret->n++] = e;
        }
        r = resolve_undone(ret, marks, nmarks);
        free(marks);
        if (r < 0)
                mb_journal_entries_release(ret);
        return r;
nomem:
        free(marks);
        mb_journal_entries_release(ret);
        return -ENOMEM;
}

int mb_journal_read(const char *state_dir, struct mb_journal_entries *ret, struct mb_error *err)
{
        struct mb_buf b = MB_BUF_INIT;
        char path[1024], why[256];
        ssize_t n;
        int fd, r;

        memset(ret, 0, sizeof(*ret));
        snprintf(path, sizeof(path), "%s/%s", state_dir, MB_JOURNAL_FILE);
        fd = mb_open_trusted(path, O_RDONLY | O_NOFOLLOW, MB_TRUST_SELF, why, sizeof(why));
        if (fd < 0) {
                if (fd == -ENOENT)
                        return 0;
                mb_error_set(err, path, 0, 0, "%s%s", why,
                             fd == -EPERM ? ": refusing to act on it" : "");
                return fd;
        }
        b.max = 1u << 30;
        n = mb_pread_all(fd, &b);
        close(fd);
        if (n < 0) {
                mb_error_set(err, path, 0, 0, "%s", mb_strerror((int)n));
                mb_buf_release(&b);
                return (int)n;
        }
        r = mb_journal_read_buffer(b.data ? b.data : "", b.len, ret, err);
        if (r < 0)
                mb_error_set(err, path, 0, 0, "%s", mb_strerror(r));
        mb_buf_release(&b);
        return r;
}

static bool under(const char *path, const char *root, const char *rel)
{
        size_t a = strlen(root), b = strlen(rel);

        return !strncmp(path, root, a) && !strncmp(path + a, rel, b);
}

bool mb_journal_path_allowed(const struct mb_change *c, const char *etc_root, const char *proc_root,
                             const char *sys_root)
{
        const char *t = c->target, *slash;
        char etc[1024];

        if (strstr(t, "/../") || strstr(t, "/./") || strstr(t, "//"))
                return false;
        etc_root = etc_root ? etc_root : "";
        switch (c->action) {
        case MB_ACT_FILE:
                snprintf(etc, sizeof(etc), "%s/etc/sysctl.d/60-membudget.conf", etc_root);
                if (!strcmp(t, etc))
                        return true;
                /* a unit drop-in: ETC/etc/systemd/system/UNIT.d/NAME.conf or
                 * the runtime control directory */
                snprintf(etc, sizeof(etc), "%s/etc/systemd/system/", etc_root);
                if (under(t, etc, ""))
                        t += strlen(etc);
                else if (under(t, "/run/systemd/system.control/", ""))
                        t += strlen("/run/systemd/system.control/");
                else
                        return false;
                slash = strchr(t, '/');
                return slash && slash - t > 2 && !strncmp(slash - 2, ".d", 2) &&
                       !strchr(slash + 1, '/') && strlen(slash + 1) > 5 &&
                       !strcmp(slash + strlen(slash) - 5, ".conf");
        case MB_ACT_SYSCTL:
        case MB_ACT_DROP_CACHES:
                snprintf(etc, sizeof(etc), "%s/sys/vm/", proc_root ? proc_root : "/proc");
                return under(t, etc, "") && t[strlen(etc)] && !strchr(t + strlen(etc), '/');
        case MB_ACT_CGROUP_CREATE:
        case MB_ACT_CGROUP_REMOVE:
        case MB_ACT_CGROUP_WRITE:
                snprintf(etc, sizeof(etc), "%s/fs/cgroup/", sys_root ? sys_root : "/sys");
                return under(t, etc, "");
        case MB_ACT_CGROUP_MOVE:
                snprintf(etc, sizeof(etc), "%s/fs/cgroup", sys_root ? sys_root : "/sys");
                return (!c->current || under(c->current, etc, "")) &&
                       (!c->new_value || under(c->new_value, etc, ""));
        case MB_ACT_UNIT_PROPS: {
                char u[256];
                return mb_unit_name(t, u, sizeof(u)) == 0 && !strcmp(u, t) &&
                       (!c->current || mb_systemd_props_valid(c->current)) &&
                       (!c->new_value || mb_systemd_props_valid(c->new_value));
        }
        default:
                return true; /* swap cycle, exec: nothing to revert */
        }
}
