/* journal.c: append-only JSON-lines journal of applied changes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"

void mb_journal_run_id(char *buf, size_t len)
{
        time_t t = time(NULL);
        struct tm tm;
        char ts[32];

        gmtime_r(&t, &tm);
        strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
        snprintf(buf, len, "%s-%d", ts, (int)getpid());
}

int mb_journal_open(struct mb_journal *j, const char *state_dir)
{
        struct stat st;

        memset(j, 0, sizeof(*j));
        j->fd = -1;
        if ((size_t)snprintf(j->path, sizeof(j->path), "%s/%s", state_dir, MB_JOURNAL_FILE) >=
            sizeof(j->path))
                return -ENAMETOOLONG;
        j->fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (j->fd < 0)
                return -errno;
        if (fstat(j->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(j->fd);
                j->fd = -1;
                return -EINVAL;
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

static int write_line(struct mb_journal *j, json_t *o)
{
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        size_t len;
        const char *p;

        json_decref(o);
        if (!s)
                return -ENOMEM;
        len = strlen(s);
        s[len] = '\n'; /* replaces the NUL; we write len + 1 bytes */
        p = s;
        len++;
        while (len > 0) {
                ssize_t n = write(j->fd, p, len);
                if (n < 0) {
                        int e = errno;
                        if (e == EINTR)
                                continue;
                        free(s);
                        return -e;
                }
                p += n;
                len -= (size_t)n;
        }
        free(s);
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

int mb_journal_read_buffer(const char *buf, size_t len, struct mb_journal_entries *ret,
                           struct mb_error *err)
{
        const char *p = buf, *end = buf + len;
        int lineno = 0;

        memset(ret, 0, sizeof(*ret));
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *le = nl ? nl : end;
                struct mb_journal_entry e;
                int r;

                lineno++;
                if (le == p) {
                        p = le + 1;
                        continue;
                }
                r = mb_journal_parse_line(p, (size_t)(le - p), &e);
                p = nl ? nl + 1 : end;
                if (r == -ENOMSG) {
                        for (size_t i = 0; i < ret->n; i++)
                                if (ret->e[i].seq == e.seq && !strcmp(ret->e[i].run, e.run))
                                        ret->e[i].undone = true;
                        continue;
                }
                if (r < 0) {
                        /* A torn last line (crash mid-write) is skipped; any
                         * other bad line is an error. */
                        if (!nl)
                                break;
                        mb_error_set(err, "journal", lineno, 0, "not a journal record");
                        mb_journal_entries_release(ret);
                        return -EINVAL;
                }
                if (MB_GROW(ret->e, ret->n, ret->cap, 16) < 0) {
                        free(e.change.current);
                        free(e.change.new_value);
                        mb_journal_entries_release(ret);
                        return -ENOMEM;
                }
                ret->e[ret->n++] = e;
        }
        return 0;
}

int mb_journal_read(const char *state_dir, struct mb_journal_entries *ret, struct mb_error *err)
{
        struct mb_buf b = MB_BUF_INIT;
        char path[1024];
        ssize_t n;
        int fd, r;

        memset(ret, 0, sizeof(*ret));
        snprintf(path, sizeof(path), "%s/%s", state_dir, MB_JOURNAL_FILE);
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                r = -errno;
                mb_error_set(err, path, 0, 0, "%s", mb_strerror(r));
                return r;
        }
        n = mb_pread_all(fd, &b);
        close(fd);
        if (n < 0) {
                mb_error_set(err, path, 0, 0, "%s", mb_strerror((int)n));
                mb_buf_release(&b);
                return (int)n;
        }
        r = mb_journal_read_buffer(b.data ? b.data : "", b.len, ret, err);
        if (r < 0)
                mb_strlcpy(err->where, path, sizeof(err->where));
        mb_buf_release(&b);
        return r;
}
