/* baseline.c: see baseline.h. */
#define _GNU_SOURCE
#include "baseline.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/size.h"

static void path_of(const char *dir, char *buf, size_t len)
{
        snprintf(buf, len, "%s/%s", dir, MB_BASELINE_FILE);
}

int mb_baseline_save(const char *state_dir, const struct mb_metrics *m)
{
        json_t *j = json_object(), *metrics = json_object();
        char path[1100], *text;
        int r;

        json_object_set_new(j, "version", json_integer(1));
        json_object_set_new(j, "time", json_real(m->time));
        for (int i = 0; i < MB_M_COUNT; i++)
                json_object_set_new(metrics, m->m[i].id,
                                    m->m[i].have ? json_real(m->m[i].now) : json_null());
        json_object_set_new(j, "metrics", metrics);
        text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                 JSON_REAL_PRECISION(MB_REAL_DIGITS));
        json_decref(j);
        if (!text)
                return -ENOMEM;
        path_of(state_dir, path, sizeof(path));
        r = mb_write_file_atomic(path, text, strlen(text), 0600);
        free(text);
        return r;
}

int mb_baseline_load(const char *state_dir, struct mb_metrics *ret, struct mb_error *err)
{
        char path[1100], why[256];
        json_error_t je;
        json_t *j, *metrics, *t;
        int fd;

        path_of(state_dir, path, sizeof(path));
        /* a regular file of ours only (a FIFO must not block) */
        fd = mb_open_trusted(path, O_RDONLY | O_NOFOLLOW, MB_TRUST_SELF, why, sizeof(why));
        if (fd < 0) {
                if (fd != -ENOENT)
                        mb_error_set(err, path, 0, 0, "%s: refusing to use it", why);
                return fd;
        }
        j = json_loadfd(fd, 0, &je);
        close(fd);
        if (!j) {
                mb_error_set(err, path, je.line, je.column, "%s", je.text);
                return -EINVAL;
        }
        metrics = json_object_get(j, "metrics");
        t = json_object_get(j, "time");
        if (!json_is_object(metrics) || !json_is_number(t)) {
                mb_error_set(err, path, 0, 0, "not a membudget baseline");
                json_decref(j);
                return -EINVAL;
        }
        /* Keep ids and labels: fill a template first. */
        for (int i = 0; i < MB_M_COUNT; i++) {
                json_t *v = json_object_get(metrics, ret->m[i].id);
                ret->m[i].have = json_is_number(v);
                ret->m[i].now = ret->m[i].have ? json_number_value(v) : 0;
        }
        ret->time = json_number_value(t);
        json_decref(j);
        return 0;
}

int mb_baseline_clear(const char *state_dir)
{
        char path[1100];

        path_of(state_dir, path, sizeof(path));
        return unlink(path) < 0 ? -errno : 0;
}
