/* scope.c: see scope.h. */
#define _GNU_SOURCE
#include "scope.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../util/dynlib.h"
#include "../util/util.h"
#include "systemd.h"

const char *mb_scope_way_name(enum mb_scope_way w)
{
        switch (w) {
        case MB_SCOPE_SDBUS:
                return "sd-bus (libsystemd)";
        case MB_SCOPE_BUSCTL:
                return "busctl";
        case MB_SCOPE_SYSTEMD_RUN:
                return "systemd-run --scope";
        case MB_SCOPE_NONE:
                break;
        }
        return "";
}

bool mb_systemd_booted(const char *root)
{
        char p[1100];
        struct stat st;

        snprintf(p, sizeof(p), "%s/run/systemd/system", root ? root : "");
        return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool slice_valid(const char *s)
{
        size_t n = strlen(s);
        if (n < 7 || n > 200 || strcmp(s + n - 6, ".slice") != 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == ':' || c == '@'))
                        return false;
        }
        return true;
}

int mb_scope_plan(const char *name, const char *slice, const char *description,
                  const struct mb_cg_limits *lim, struct mb_scope *ret)
{
        memset(ret, 0, sizeof(*ret));
        ret->lim.max = ret->lim.high = ret->lim.swap_max = -1;
        if (!name || !mb_cgroup_name_valid(name))
                return -EINVAL;
        if (slice && slice[0] && !slice_valid(slice))
                return -EINVAL;
        snprintf(ret->unit, sizeof(ret->unit), "membudget-%s.scope", name);
        if (slice)
                mb_strlcpy(ret->slice, slice, sizeof(ret->slice));
        if (description) {
                mb_strlcpy(ret->description, description, sizeof(ret->description));
                /* one line: systemd shows it in tables */
                for (char *p = ret->description; *p; p++)
                        if (*p == '\n' || *p == '\r' || *p == '\t')
                                *p = ' ';
        }
        if (lim)
                ret->lim = *lim;
        return 0;
}

/* The limit properties that are set, in a fixed order. */
static size_t props(const struct mb_scope *s, const char *names[3], uint64_t vals[3])
{
        size_t n = 0;
        if (s->lim.max >= 0) {
                names[n] = "MemoryMax";
                vals[n++] = (uint64_t)s->lim.max;
        }
        if (s->lim.high >= 0) {
                names[n] = "MemoryHigh";
                vals[n++] = (uint64_t)s->lim.high;
        }
        if (s->lim.swap_max >= 0) {
                names[n] = "MemorySwapMax";
                vals[n++] = (uint64_t)s->lim.swap_max;
        }
        return n;
}

void mb_scope_props_text(const struct mb_scope *s, char *buf, size_t len)
{
        const char *names[3];
        uint64_t vals[3];
        size_t n = props(s, names, vals), o = 0;

        if (!len)
                return;
        buf[0] = '\0';
        for (size_t i = 0; i < n && o < len; i++)
                o += (size_t)snprintf(buf + o, len - o, "%s%s=%llu", i ? " " : "", names[i],
                                      (unsigned long long)vals[i]);
}

/* An argv builder: strings go into store. */
struct av {
        char **argv;
        size_t n, cap;
        char *store;
        size_t used, storelen;
        bool full;
};

static void av_add(struct av *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void av_add(struct av *a, const char *fmt, ...)
{
        va_list ap;
        int k;

        if (a->full || a->n + 1 >= a->cap) {
                a->full = true;
                return;
        }
        va_start(ap, fmt);
        k = vsnprintf(a->store + a->used, a->storelen - a->used, fmt, ap);
        va_end(ap);
        if (k < 0 || (size_t)k >= a->storelen - a->used) {
                a->full = true;
                return;
        }
        a->argv[a->n++] = a->store + a->used;
        a->argv[a->n] = NULL;
        a->used += (size_t)k + 1;
}

int mb_scope_run_argv(const struct mb_scope *s, char *const cmd[], char **argv, size_t cap,
                      char *store, size_t storelen)
{
        struct av a = {argv, 0, cap, store, 0, storelen, false};
        const char *names[3];
        uint64_t vals[3];
        size_t n = props(s, names, vals);

        if (cap == 0 || storelen == 0)
                return -ENOSPC;
        argv[0] = NULL;
        av_add(&a, "systemd-run");
        av_add(&a, "--scope");
        av_add(&a, "--quiet");
        av_add(&a, "--collect");
        av_add(&a, "--unit=%s", s->unit);
        if (s->slice[0])
                av_add(&a, "--slice=%s", s->slice);
        if (s->description[0])
                av_add(&a, "--description=%s", s->description);
        av_add(&a, "-p");
        av_add(&a, "MemoryAccounting=yes");
        for (size_t i = 0; i < n; i++) {
                av_add(&a, "-p");
                av_add(&a, "%s=%llu", names[i], (unsigned long long)vals[i]);
        }
        av_add(&a, "--");
        for (size_t i = 0; cmd && cmd[i]; i++)
                av_add(&a, "%s", cmd[i]);
        return a.full ? -ENOSPC : (int)a.n;
}

int mb_scope_busctl_argv(const struct mb_scope *s, const pid_t *pids, size_t np, char **argv,
                         size_t cap, char *store, size_t storelen)
{
        struct av a = {argv, 0, cap, store, 0, storelen, false};
        const char *names[3];
        uint64_t vals[3];
        size_t n = props(s, names, vals);

        if (cap == 0 || storelen == 0)
                return -ENOSPC;
        argv[0] = NULL;
        av_add(&a, "busctl");
        av_add(&a, "call");
        av_add(&a, "--quiet");
        av_add(&a, "org.freedesktop.systemd1");
        av_add(&a, "/org/freedesktop/systemd1");
        av_add(&a, "org.freedesktop.systemd1.Manager");
        av_add(&a, "StartTransientUnit");
        av_add(&a, "ssa(sv)a(sa(sv))");
        av_add(&a, "%s", s->unit);
        av_add(&a, "fail");
        av_add(&a, "%zu", n + 3 + (s->slice[0] ? 1 : 0) + (s->description[0] ? 1 : 0));
        av_add(&a, "MemoryAccounting");
        av_add(&a, "b");
        av_add(&a, "true");
        av_add(&a, "CollectMode");
        av_add(&a, "s");
        av_add(&a, "inactive-or-failed");
        if (s->slice[0]) {
                av_add(&a, "Slice");
                av_add(&a, "s");
                av_add(&a, "%s", s->slice);
        }
        if (s->description[0]) {
                av_add(&a, "Description");
                av_add(&a, "s");
                av_add(&a, "%s", s->description);
        }
        for (size_t i = 0; i < n; i++) {
                av_add(&a, "%s", names[i]);
                av_add(&a, "t");
                av_add(&a, "%llu", (unsigned long long)vals[i]);
        }
        av_add(&a, "PIDs");
        av_add(&a, "au");
        av_add(&a, "%zu", np);
        for (size_t i = 0; i < np; i++)
                av_add(&a, "%d", (int)pids[i]);
        av_add(&a, "0");
        return a.full ? -ENOSPC : (int)a.n;
}

/*
 * sd-bus, from libsystemd.so.0 at run time: the few declarations we use
 * (sd-bus.h is not needed to build).
 */
typedef struct sd_bus sd_bus;
typedef struct sd_bus_message sd_bus_message;
typedef struct {
        const char *name;
        const char *message;
        int need_free;
} sd_bus_error;

static struct {
        void *lib;
        int (*open_system)(sd_bus **ret);
        int (*new_method_call)(sd_bus *bus, sd_bus_message **m, const char *destination,
                               const char *path, const char *interface, const char *member);
        int (*append)(sd_bus_message *m, const char *types, ...);
        int (*open_container)(sd_bus_message *m, char type, const char *contents);
        int (*close_container)(sd_bus_message *m);
        int (*call)(sd_bus *bus, sd_bus_message *m, uint64_t usec, sd_bus_error *err,
                    sd_bus_message **reply);
        sd_bus_message *(*message_unref)(sd_bus_message *m);
        sd_bus *(*flush_close_unref)(sd_bus *bus);
        void (*error_free)(sd_bus_error *e);
} sdb;

#define SD_SONAME "libsystemd.so.0"

static int sdb_load(char *why, size_t len)
{
        static const struct mb_dl_sym syms[] = {
            {"sd_bus_open_system", (void **)&sdb.open_system},
            {"sd_bus_message_new_method_call", (void **)&sdb.new_method_call},
            {"sd_bus_message_append", (void **)&sdb.append},
            {"sd_bus_message_open_container", (void **)&sdb.open_container},
            {"sd_bus_message_close_container", (void **)&sdb.close_container},
            {"sd_bus_call", (void **)&sdb.call},
            {"sd_bus_message_unref", (void **)&sdb.message_unref},
            {"sd_bus_flush_close_unref", (void **)&sdb.flush_close_unref},
            {"sd_bus_error_free", (void **)&sdb.error_free},
        };
        return mb_dl_load(&sdb.lib, SD_SONAME, syms, sizeof(syms) / sizeof(syms[0]), why, len);
}

static int start_sdbus(const struct mb_scope *s, const pid_t *pids, size_t np, char *msg,
                       size_t len)
{
        sd_bus *bus = NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error err = {NULL, NULL, 0};
        const char *names[3];
        uint64_t vals[3];
        size_t n = props(s, names, vals);
        int r;

        r = sdb_load(msg, len);
        if (r < 0)
                return r;
        r = sdb.open_system(&bus);
        if (r < 0) {
                snprintf(msg, len, "cannot connect to the system bus: %s", mb_strerror(r));
                return r;
        }
#define CK(x)                                                                                      \
        do {                                                                                       \
                if ((r = (x)) < 0)                                                                 \
                        goto build_failed;                                                         \
        } while (0)
        CK(sdb.new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "StartTransientUnit"));
        CK(sdb.append(m, "ss", s->unit, "fail"));
        CK(sdb.open_container(m, 'a', "(sv)"));
        CK(sdb.append(m, "(sv)", "MemoryAccounting", "b", 1));
        CK(sdb.append(m, "(sv)", "CollectMode", "s", "inactive-or-failed"));
        if (s->slice[0])
                CK(sdb.append(m, "(sv)", "Slice", "s", s->slice));
        if (s->description[0])
                CK(sdb.append(m, "(sv)", "Description", "s", s->description));
        for (size_t i = 0; i < n; i++)
                CK(sdb.append(m, "(sv)", names[i], "t", vals[i]));
        CK(sdb.open_container(m, 'r', "sv"));
        CK(sdb.append(m, "s", "PIDs"));
        CK(sdb.open_container(m, 'v', "au"));
        CK(sdb.open_container(m, 'a', "u"));
        for (size_t i = 0; i < np; i++)
                CK(sdb.append(m, "u", (uint32_t)pids[i]));
        CK(sdb.close_container(m));
        CK(sdb.close_container(m));
        CK(sdb.close_container(m));
        CK(sdb.close_container(m));
        CK(sdb.append(m, "a(sa(sv))", 0));
#undef CK
        r = sdb.call(bus, m, 0, &err, &reply);
        if (r < 0)
                snprintf(msg, len, "StartTransientUnit %s: %s: %s", s->unit,
                         err.name ? err.name : "error", err.message ? err.message : mb_strerror(r));
        goto out;
build_failed:
        snprintf(msg, len, "cannot build the D-Bus message: %s", mb_strerror(r));
out:
        sdb.error_free(&err);
        if (reply)
                sdb.message_unref(reply);
        if (m)
                sdb.message_unref(m);
        sdb.flush_close_unref(bus);
        return r < 0 ? r : 0;
}

int mb_scope_start(const struct mb_scope *s, const pid_t *pids, size_t n, enum mb_scope_way *way,
                   char *msg, size_t len)
{
        char why[512], store[4096];
        char *argv[64];
        int r;

        *way = MB_SCOPE_NONE;
        if (n == 0) {
                snprintf(msg, len, "no process to put in %s", s->unit);
                return -EINVAL;
        }
        r = start_sdbus(s, pids, n, why, sizeof(why));
        if (r == 0) {
                *way = MB_SCOPE_SDBUS;
                return 0;
        }
        /* The bus refused (a real answer): busctl would get the same. */
        if (r != -ELIBACC && r != -ELIBBAD) {
                snprintf(msg, len, "%s", why);
                return r;
        }
        if (n > 48 || mb_scope_busctl_argv(s, pids, n, argv, 64, store, sizeof(store)) < 0) {
                snprintf(msg, len, "%s; too many processes for busctl", why);
                return -E2BIG;
        }
        r = mb_run_argv(argv, msg, len);
        if (r == 0)
                *way = MB_SCOPE_BUSCTL;
        return r;
}

int mb_scope_wait(const char *proc_root, pid_t pid, const char *unit, double timeout_s,
                  char *cgpath, size_t len)
{
        char p[1100], buf[4096];
        size_t ul = strlen(unit);
        double end = mb_now_mono() + timeout_s;

        snprintf(p, sizeof(p), "%s/%d/cgroup", proc_root ? proc_root : "/proc", (int)pid);
        for (;;) {
                ssize_t n = mb_read_small_at(AT_FDCWD, p, buf, sizeof(buf));
                if (n < 0)
                        return (int)n;
                for (char *line = buf; line && *line;) {
                        char *eol = strchr(line, '\n');
                        if (eol)
                                *eol = '\0';
                        if (strncmp(line, "0::", 3) == 0) {
                                const char *path = line + 3;
                                size_t pl = strlen(path);
                                if (pl > ul && path[pl - ul - 1] == '/' &&
                                    strcmp(path + pl - ul, unit) == 0) {
                                        mb_strlcpy(cgpath, path, len);
                                        return 0;
                                }
                        }
                        line = eol ? eol + 1 : NULL;
                }
                if (mb_now_mono() >= end)
                        return -ETIMEDOUT;
                struct timespec ts = {0, 20 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
}

pid_t mb_scope_pin_spawn(void)
{
        pid_t parent = getpid(), pid = fork();

        if (pid < 0)
                return -errno;
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                        _exit(0);
                /* hold no descriptor of the parent's: a pipe's write end
                 * kept here would never let its reader see EOF */
                if (close_range(3, ~0U, 0) < 0)
                        for (int fd = 3; fd < 4096; fd++)
                                close(fd);
                for (;;)
                        pause();
        }
        return pid;
}
