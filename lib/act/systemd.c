/* systemd.c: unit drop-ins for memory limits; systemctl through execvp. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util/util.h"
#include "systemd.h"

int mb_unit_name(const char *in, char *out, size_t len)
{
        size_t n = strlen(in);

        if (n == 0 || n > 200)
                return -EINVAL;
        for (const char *p = in; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || strchr(":_.@-\\", *p)))
                        return -EINVAL;
        if (in[0] == '.' || in[0] == '-')
                return -EINVAL;
        if (n > 8 && !strcmp(in + n - 8, ".service"))
                snprintf(out, len, "%s", in);
        else if (strchr(in, '.'))
                return -EINVAL; /* another unit type (.scope, .slice) or a stray dot */
        else
                snprintf(out, len, "%s.service", in);
        return 0;
}

void mb_systemd_size(int64_t v, char *buf, size_t len)
{
        static const char units[] = "KMGT";
        int u = -1;

        while (u < 3 && v >= 1024 && v % 1024 == 0) {
                v /= 1024;
                u++;
        }
        if (u < 0)
                snprintf(buf, len, "%lld", (long long)v);
        else
                snprintf(buf, len, "%lld%c", (long long)v, units[u]);
}

void mb_dropin_text(const struct mb_cg_limits *lim, char *buf, size_t len)
{
        char mx[32], hi[32], sw[32];
        int64_t high = lim->high >= 0 ? lim->high : lim->max / 10 * 9;

        /* MemoryHigh on a page boundary keeps the number as written */
        if (lim->high < 0)
                high -= high % 4096;
        mb_systemd_size(lim->max, mx, sizeof(mx));
        mb_systemd_size(high, hi, sizeof(hi));
        if (lim->swap_max >= 0)
                mb_systemd_size(lim->swap_max, sw, sizeof(sw));
        snprintf(buf, len,
                 "# Written by membudget limit; undo with 'membudget undo'.\n"
                 "[Service]\n"
                 "MemoryAccounting=yes\n"
                 "MemoryHigh=%s\n"
                 "MemoryMax=%s\n"
                 "%s%s%s"
                 "CPUAccounting=yes\n"
                 "TasksAccounting=yes\n",
                 hi, mx, lim->swap_max >= 0 ? "MemorySwapMax=" : "", lim->swap_max >= 0 ? sw : "",
                 lim->swap_max >= 0 ? "\n" : "");
}

bool mb_systemd_is_pid1(const char *proc_root)
{
        char p[1100], buf[32];
        ssize_t n;

        snprintf(p, sizeof(p), "%s/1/comm", proc_root ? proc_root : "/proc");
        n = mb_read_small_at(AT_FDCWD, p, buf, sizeof(buf));
        if (n <= 0)
                return false;
        buf[strcspn(buf, "\n")] = '\0';
        return strcmp(buf, "systemd") == 0;
}

int mb_systemd_limit_plan(const char *unit, const char *dropin_path, const char *current,
                          const struct mb_cg_limits *lim, bool pid1, const char *props_now,
                          struct mb_plan *plan)
{
        char text[1024], props[256], mx[32], hi[32], sw[32];
        int64_t high = lim->high >= 0 ? lim->high : lim->max / 10 * 9;
        struct mb_change *c;

        if (lim->high < 0)
                high -= high % 4096;
        mb_dropin_text(lim, text, sizeof(text));
        mb_systemd_size(lim->max, mx, sizeof(mx));
        mb_systemd_size(high, hi, sizeof(hi));
        if (lim->swap_max >= 0)
                mb_systemd_size(lim->swap_max, sw, sizeof(sw));
        snprintf(props, sizeof(props), "MemoryMax=%s\nMemoryHigh=%s\n%s%s%s", mx, hi,
                 lim->swap_max >= 0 ? "MemorySwapMax=" : "", lim->swap_max >= 0 ? sw : "",
                 lim->swap_max >= 0 ? "\n" : "");
        if (pid1) {
                /* first the running unit (set-property applies at once), so
                 * that undo's last step is its daemon-reload */
                c = mb_plan_add(plan, MB_ACT_UNIT_PROPS, unit, props_now, props,
                                "systemctl set-property --runtime: the running unit now");
                if (!c)
                        return -ENOMEM;
                c->noop = false; /* the values read are in bytes, ours in K/M/G */
        }
        c = mb_plan_add(plan, MB_ACT_FILE, dropin_path, current, text,
                        "drop-in with MemoryMax, MemoryHigh, MemorySwapMax");
        if (!c)
                return -ENOMEM;
        if (pid1) {
                if (!mb_plan_add(plan, MB_ACT_EXEC, "systemctl daemon-reload", NULL,
                                 "systemctl\ndaemon-reload", "reload unit files"))
                        return -ENOMEM;
                if (!props_now)
                        mb_plan_note(plan, "the unit's memory properties could not be read: undo "
                                           "will remove the drop-in but cannot restore the "
                                           "running unit's values");
        } else {
                mb_plan_note(plan,
                             "systemd is not PID 1 here: after --apply, on the host that runs "
                             "%s, run: systemctl daemon-reload && systemctl set-property "
                             "--runtime %s MemoryMax=%s MemoryHigh=%s%s%s",
                             unit, unit, mx, hi, lim->swap_max >= 0 ? " MemorySwapMax=" : "",
                             lim->swap_max >= 0 ? sw : "");
        }
        return 0;
}

static const char *const props_known[] = {"MemoryMax", "MemoryHigh", "MemorySwapMax"};

#define CONTROL_NOTE "ControlDropIns"

void mb_systemd_control_dropins(const char *unit, char *buf, size_t len)
{
        size_t off = strlen(buf);
        bool first = true;

        off += (size_t)snprintf(buf + off, off < len ? len - off : 0, CONTROL_NOTE "=");
        for (size_t i = 0; i < MB_ARRAY_SIZE(props_known); i++) {
                char path[600];
                struct stat st;
                snprintf(path, sizeof(path), "%s/%s.d/50-%s.conf", MB_SYSTEMD_CONTROL_DIR, unit,
                         props_known[i]);
                if (lstat(path, &st) < 0)
                        continue;
                off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s",
                                        first ? "" : ".", props_known[i]);
                first = false;
        }
        if (off < len)
                snprintf(buf + off, len - off, "\n");
}

/* Is prop listed in the ControlDropIns line of props? */
static bool control_listed(const char *props, const char *prop, bool *have_note)
{
        const char *p = strstr(props, CONTROL_NOTE "=");
        size_t n = strlen(prop);

        *have_note = p && (p == props || p[-1] == '\n');
        if (!*have_note)
                return false;
        p += strlen(CONTROL_NOTE "=");
        for (;;) {
                size_t l = strcspn(p, ".\n");
                if (l == n && !strncmp(p, prop, n))
                        return true;
                if (p[l] != '.')
                        return false;
                p += l + 1;
        }
}

bool mb_systemd_props_valid(const char *props)
{
        for (const char *p = props; *p;) {
                const char *nl = strchr(p, '\n'), *eq = strchr(p, '=');
                size_t l = nl ? (size_t)(nl - p) : strlen(p);
                bool known = false;
                if (!eq || eq > p + l)
                        return false;
                for (size_t i = 0; i < MB_ARRAY_SIZE(props_known); i++)
                        known |= (size_t)(eq - p) == strlen(props_known[i]) &&
                                 !strncmp(p, props_known[i], (size_t)(eq - p));
                known |= (size_t)(eq - p) == strlen(CONTROL_NOTE) &&
                         !strncmp(p, CONTROL_NOTE, strlen(CONTROL_NOTE));
                if (!known)
                        return false;
                for (const char *q = eq + 1; q < p + l; q++)
                        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
                              (*q >= '0' && *q <= '9') || *q == '.' || *q == '%'))
                                return false;
                p += l + (nl ? 1 : 0);
        }
        return true;
}

int mb_systemd_unit_props(const char *unit, bool current, char *buf, size_t len, char *msg,
                          size_t mlen)
{
        char *argv[] = {"systemctl",
                        "show",
                        "-p",
                        "MemoryCurrent",
                        "-p",
                        "MemoryMax",
                        "-p",
                        "MemoryHigh",
                        "-p",
                        "MemorySwapMax",
                        (char *)(uintptr_t)unit,
                        NULL};
        char raw[1024];
        size_t off = 0;
        int r;

        r = mb_run_capture(argv, raw, sizeof(raw), msg, mlen);
        if (r < 0)
                return r;
        /* systemctl prints in its own order: keep ours, drop MemoryCurrent
         * unless asked */
        buf[0] = '\0';
        for (int i = current ? -1 : 0; i < (int)MB_ARRAY_SIZE(props_known); i++) {
                const char *name = i < 0 ? "MemoryCurrent" : props_known[i];
                size_t n = strlen(name);
                for (const char *p = raw; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                        if (!strncmp(p, name, n) && p[n] == '=') {
                                size_t l = strcspn(p, "\n");
                                if (off + l + 2 < len) {
                                        memcpy(buf + off, p, l);
                                        off += l;
                                        buf[off++] = '\n';
                                        buf[off] = '\0';
                                }
                                break;
                        }
        }
        return 0;
}

int mb_systemd_set_props(const char *unit, const char *props, bool restore, char *msg, size_t len)
{
        char buf[512], *argv[16], path[600];
        size_t n = 0;
        int r;

        if (!mb_systemd_props_valid(props)) {
                snprintf(msg, len, "refusing unit properties '%.200s'", props);
                return -EINVAL;
        }
        argv[n++] = "systemctl";
        argv[n++] = "set-property";
        argv[n++] = "--runtime";
        argv[n++] = (char *)(uintptr_t)unit;
        mb_strlcpy(buf, props, sizeof(buf));
        for (char *sv, *s = strtok_r(buf, "\n", &sv); s && n + 1 < MB_ARRAY_SIZE(argv);
             s = strtok_r(NULL, "\n", &sv))
                if (strncmp(s, CONTROL_NOTE "=", strlen(CONTROL_NOTE "=")) != 0)
                        argv[n++] = s;
        argv[n] = NULL;
        r = mb_run_argv(argv, msg, len);
        if (r < 0 || !restore)
                return r;
        /* the values are back on the running unit: now let the unit files
         * (no membudget drop-in any more) rule again */
        for (size_t i = 0; i < MB_ARRAY_SIZE(props_known); i++) {
                bool noted;
                /* a runtime drop-in there before stays (set-property above
                 * wrote it again with the value before) */
                if (control_listed(props, props_known[i], &noted))
                        continue;
                snprintf(path, sizeof(path), "%s/%s.d/50-%s.conf", MB_SYSTEMD_CONTROL_DIR, unit,
                         props_known[i]);
                if (unlink(path) < 0 && errno != ENOENT) {
                        r = -errno;
                        snprintf(msg, len, "cannot remove %s: %s", path, strerror(-r));
                        return r;
                }
        }
        {
                char *reload[] = {"systemctl", "daemon-reload", NULL};
                return mb_run_argv(reload, msg, len);
        }
}

int mb_run_capture(char *const argv[], char *out, size_t len, char *msg, size_t mlen)
{
        int pfd[2], st;
        size_t off = 0;
        pid_t pid;

        out[0] = '\0';
        if (pipe2(pfd, O_CLOEXEC) < 0) {
                snprintf(msg, mlen, "pipe: %s", strerror(errno));
                return -errno;
        }
        pid = fork();
        if (pid < 0) {
                int e = errno;
                close(pfd[0]);
                close(pfd[1]);
                snprintf(msg, mlen, "cannot fork: %s", strerror(e));
                return -e;
        }
        if (pid == 0) {
                dup2(pfd[1], 1);
                execvp(argv[0], argv);
                _exit(127);
        }
        close(pfd[1]);
        for (;;) {
                ssize_t n = read(pfd[0], out + off, len - 1 - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                off += (size_t)n;
                if (off + 1 >= len) {
                        char sink[256];
                        while (read(pfd[0], sink, sizeof(sink)) > 0)
                                ;
                        break;
                }
        }
        out[off] = '\0';
        close(pfd[0]);
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return 0;
        snprintf(msg, mlen, "'%s' failed (status %d)", argv[0],
                 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        return -ECHILD;
}

int mb_run_argv(char *const argv[], char *msg, size_t len)
{
        pid_t pid;
        int st;

        pid = fork();
        if (pid < 0) {
                int e = errno;
                snprintf(msg, len, "cannot fork: %s", strerror(e));
                return -e;
        }
        if (pid == 0) {
                execvp(argv[0], argv);
                _exit(127);
        }
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR) {
                        int e = errno;
                        snprintf(msg, len, "waitpid: %s", strerror(e));
                        return -e;
                }
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return 0;
        if (WIFEXITED(st))
                snprintf(msg, len, "'%s' exited with status %d%s", argv[0], WEXITSTATUS(st),
                         WEXITSTATUS(st) == 127 ? " (not found?)" : "");
        else
                snprintf(msg, len, "'%s' killed by signal %d", argv[0], WTERMSIG(st));
        return -ECHILD;
}
