/* systemd.c: unit drop-ins for memory limits; systemctl through execvp. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
                          const struct mb_cg_limits *lim, bool pid1, struct mb_plan *plan)
{
        char text[1024], argv[512], mx[32], hi[32], sw[32];
        int64_t high = lim->high >= 0 ? lim->high : lim->max / 10 * 9;
        struct mb_change *c;

        if (lim->high < 0)
                high -= high % 4096;
        mb_dropin_text(lim, text, sizeof(text));
        c = mb_plan_add(plan, MB_ACT_FILE, dropin_path, current, text,
                        "drop-in with MemoryMax, MemoryHigh, MemorySwapMax");
        if (!c)
                return -ENOMEM;
        mb_systemd_size(lim->max, mx, sizeof(mx));
        mb_systemd_size(high, hi, sizeof(hi));
        if (lim->swap_max >= 0)
                mb_systemd_size(lim->swap_max, sw, sizeof(sw));
        if (pid1) {
                if (!mb_plan_add(plan, MB_ACT_EXEC, "systemctl daemon-reload", NULL,
                                 "systemctl\ndaemon-reload", "reload unit files"))
                        return -ENOMEM;
                snprintf(argv, sizeof(argv),
                         "systemctl\nset-property\n--runtime\n%s\nMemoryMax=%s\nMemoryHigh=%s%s%s",
                         unit, mx, hi, lim->swap_max >= 0 ? "\nMemorySwapMax=" : "",
                         lim->swap_max >= 0 ? sw : "");
                if (!mb_plan_add(plan, MB_ACT_EXEC, "systemctl set-property", NULL, argv,
                                 "apply to the running unit now"))
                        return -ENOMEM;
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
