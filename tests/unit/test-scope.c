/* test-scope.c: transient scope plans and argv (pure), systemd detection on
 * a fixture root; with root on a systemd host (the VM stage), the real thing:
 * (a) a command started in a new scope, by sd-bus with a pin and by
 * systemd-run --scope, and (b) running PIDs adopted, by sd-bus and busctl,
 * each checked in /proc/PID/cgroup and the scope's memory.max/high/swap.max. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/act/run.h"
#include "../../lib/act/scope.h"
#include "../../lib/act/systemd.h"
#include "../../lib/util/util.h"

static const struct mb_cg_limits lim64 = {64 << 20, 48 << 20, 0};

static void test_plan(void **state)
{
        struct mb_scope s;
        struct mb_cg_limits none = {-1, -1, -1};
        char t[256];
        (void)state;
        assert_int_equal(mb_scope_plan("job1", NULL, "a\nb", &lim64, &s), 0);
        assert_string_equal(s.unit, "membudget-job1.scope");
        assert_string_equal(s.slice, "");
        assert_string_equal(s.description, "a b");
        mb_scope_props_text(&s, t, sizeof(t));
        assert_string_equal(t, "MemoryMax=67108864 MemoryHigh=50331648 MemorySwapMax=0");
        assert_int_equal(mb_scope_plan("x", "membudget.slice", NULL, &none, &s), 0);
        assert_string_equal(s.slice, "membudget.slice");
        mb_scope_props_text(&s, t, sizeof(t));
        assert_string_equal(t, "");
        /* bad names and slices: nothing planned */
        assert_int_equal(mb_scope_plan("a/b", NULL, NULL, &lim64, &s), -EINVAL);
        assert_int_equal(mb_scope_plan("", NULL, NULL, &lim64, &s), -EINVAL);
        assert_int_equal(mb_scope_plan("..", NULL, NULL, &lim64, &s), -EINVAL);
        assert_int_equal(mb_scope_plan("a b", NULL, NULL, &lim64, &s), -EINVAL);
        assert_int_equal(mb_scope_plan("ok", "system", NULL, &lim64, &s), -EINVAL);
        assert_int_equal(mb_scope_plan("ok", "a b.slice", NULL, &lim64, &s), -EINVAL);
        assert_int_equal(mb_scope_plan(NULL, NULL, NULL, &lim64, &s), -EINVAL);
}

static char *join(char **argv)
{
        static char buf[2048];
        size_t o = 0;
        buf[0] = '\0';
        for (size_t i = 0; argv[i]; i++)
                o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? "|" : "", argv[i]);
        return buf;
}

static void test_run_argv(void **state)
{
        struct mb_scope s;
        char *argv[32], store[1024];
        char *cmd[] = {"python3", "-c", "x = 1; print(x)", NULL};
        (void)state;
        assert_int_equal(mb_scope_plan("r1", "user.slice", "membudget run", &lim64, &s), 0);
        assert_int_equal(mb_scope_run_argv(&s, cmd, argv, 32, store, sizeof(store)), 19);
        assert_string_equal(join(argv),
                            "systemd-run|--scope|--quiet|--collect|--unit=membudget-r1.scope|"
                            "--slice=user.slice|--description=membudget run|-p|"
                            "MemoryAccounting=yes|-p|MemoryMax=67108864|-p|"
                            "MemoryHigh=50331648|-p|MemorySwapMax=0|--|python3|-c|"
                            "x = 1; print(x)");
        assert_null(argv[19]);
        /* too small: -ENOSPC, never a cut argv */
        assert_int_equal(mb_scope_run_argv(&s, cmd, argv, 5, store, sizeof(store)), -ENOSPC);
        assert_int_equal(mb_scope_run_argv(&s, cmd, argv, 32, store, 40), -ENOSPC);
}

static void test_busctl_argv(void **state)
{
        struct mb_scope s;
        struct mb_cg_limits l = {100 << 20, -1, 50 << 20};
        char *argv[64], store[2048];
        pid_t pids[] = {42, 4242};
        (void)state;
        assert_int_equal(mb_scope_plan("m", NULL, NULL, &l, &s), 0);
        assert_true(mb_scope_busctl_argv(&s, pids, 2, argv, 64, store, sizeof(store)) > 0);
        assert_string_equal(
            join(argv), "busctl|call|--quiet|org.freedesktop.systemd1|/org/freedesktop/systemd1|"
                        "org.freedesktop.systemd1.Manager|StartTransientUnit|ssa(sv)a(sa(sv))|"
                        "membudget-m.scope|fail|5|MemoryAccounting|b|true|CollectMode|s|"
                        "inactive-or-failed|MemoryMax|t|104857600|"
                        "MemorySwapMax|t|52428800|PIDs|au|2|42|4242|0");
        assert_int_equal(mb_scope_busctl_argv(&s, pids, 2, argv, 10, store, sizeof(store)),
                         -ENOSPC);
}

static void test_booted(void **state)
{
        char t[] = "/tmp/mbtest-scope-unit.XXXXXX", p[256];
        (void)state;
        assert_non_null(mkdtemp(t));
        assert_false(mb_systemd_booted(t));
        snprintf(p, sizeof(p), "%s/run", t);
        mkdir(p, 0755);
        snprintf(p, sizeof(p), "%s/run/systemd", t);
        mkdir(p, 0755);
        snprintf(p, sizeof(p), "%s/run/systemd/system", t);
        assert_int_equal(close(open(p, O_CREAT | O_WRONLY, 0644)), 0);
        assert_false(mb_systemd_booted(t)); /* a file is not enough */
        unlink(p);
        mkdir(p, 0755);
        assert_true(mb_systemd_booted(t));
        rmdir(p);
        snprintf(p, sizeof(p), "%s/run/systemd", t);
        rmdir(p);
        snprintf(p, sizeof(p), "%s/run", t);
        rmdir(p);
        rmdir(t);
}

/* ---- live: root on a systemd host only -------------------------------------- */

static bool live(void)
{
        return geteuid() == 0 && mb_systemd_booted(NULL) && getenv("MB_TEST_SCOPE_LIVE");
}

/* A cgroup file's text, newlines as spaces. */
static void read_cg(const char *cgpath, const char *file, char *buf, size_t len)
{
        char p[1400];
        ssize_t n;
        snprintf(p, sizeof(p), "/sys/fs/cgroup%s/%s", cgpath, file);
        n = mb_read_small_at(AT_FDCWD, p, buf, len);
        if (n <= 0)
                snprintf(buf, len, "?");
        for (char *q = buf; *q; q++)
                if (*q == '\n')
                        *q = q[1] ? ' ' : '\0';
}

static void check_limits(const char *cgpath)
{
        char max[32], high[32], swap[32];
        read_cg(cgpath, "memory.max", max, sizeof(max));
        read_cg(cgpath, "memory.high", high, sizeof(high));
        read_cg(cgpath, "memory.swap.max", swap, sizeof(swap));
        print_message("evidence: %s memory.max=%s memory.high=%s memory.swap.max=%s\n", cgpath, max,
                      high, swap);
        assert_string_equal(max, "67108864");
        assert_string_equal(high, "50331648");
        assert_string_equal(swap, "0");
}

static pid_t sleeper(void)
{
        return mb_scope_pin_spawn(); /* pause(), SIGKILL with the test */
}

static void reap(pid_t p)
{
        kill(p, SIGKILL);
        waitpid(p, NULL, 0);
}

/* (b) adopt running PIDs: sd-bus, then busctl */
static void test_live_adopt(void **state)
{
        struct mb_scope s;
        enum mb_scope_way way;
        char name[64], msg[512], cg[1024], store[4096], *argv[64];
        pid_t a, b;
        (void)state;
        if (!live())
                skip();
        a = sleeper();
        b = sleeper();
        snprintf(name, sizeof(name), "mbtest-vm-adopt-%d", (int)a);
        assert_int_equal(mb_scope_plan(name, NULL, "membudget test: adopt", &lim64, &s), 0);
        pid_t both[] = {a, b};
        int r = mb_scope_start(&s, both, 2, &way, msg, sizeof(msg));
        if (r < 0)
                print_message("mb_scope_start: %s\n", msg);
        assert_int_equal(r, 0);
        assert_int_equal(way, MB_SCOPE_SDBUS);
        assert_int_equal(mb_scope_wait(NULL, a, s.unit, 5, cg, sizeof(cg)), 0);
        assert_int_equal(mb_scope_wait(NULL, b, s.unit, 5, cg, sizeof(cg)), 0);
        print_message("evidence: adopt by %s: pids %d %d in %s\n", mb_scope_way_name(way), (int)a,
                      (int)b, cg);
        check_limits(cg);
        reap(a);
        reap(b);

        /* the busctl fallback, called directly */
        a = sleeper();
        snprintf(name, sizeof(name), "mbtest-vm-busctl-%d", (int)a);
        assert_int_equal(mb_scope_plan(name, NULL, NULL, &lim64, &s), 0);
        assert_true(mb_scope_busctl_argv(&s, &a, 1, argv, 64, store, sizeof(store)) > 0);
        r = mb_run_argv(argv, msg, sizeof(msg));
        if (r < 0)
                print_message("busctl: %s\n", msg);
        assert_int_equal(r, 0);
        assert_int_equal(mb_scope_wait(NULL, a, s.unit, 5, cg, sizeof(cg)), 0);
        print_message("evidence: adopt by busctl: pid %d in %s\n", (int)a, cg);
        check_limits(cg);
        reap(a);
}

/* (a) a command in a new scope: sd-bus before exec (with a pin to read the
 * figures after it ended), then systemd-run --scope */
static void test_live_run(void **state)
{
        struct mb_scope s;
        enum mb_scope_way way;
        char name[64], msg[512], cg[1024], ev[512], store[4096], *argv[64], out[4096];
        int go[2], outp[2], st;
        pid_t c, pin;
        ssize_t n;
        (void)state;
        if (!live())
                skip();
        assert_int_equal(pipe(go), 0);
        c = fork();
        if (c == 0) {
                char b;
                close(go[1]);
                if (read(go[0], &b, 1) < 0)
                        _exit(126);
                /* 100 MiB under a 64 MiB limit without swap: the scope's OOM killer */
                execlp("python3", "python3", "-c", "b = bytearray(100 << 20)", (char *)NULL);
                _exit(127);
        }
        close(go[0]);
        pin = mb_scope_pin_spawn();
        assert_true(pin > 0);
        snprintf(name, sizeof(name), "mbtest-vm-run-%d", (int)c);
        assert_int_equal(mb_scope_plan(name, NULL, "membudget test: run", &lim64, &s), 0);
        pid_t both[] = {c, pin};
        assert_int_equal(mb_scope_start(&s, both, 2, &way, msg, sizeof(msg)), 0);
        assert_int_equal(mb_scope_wait(NULL, c, s.unit, 5, cg, sizeof(cg)), 0);
        check_limits(cg);
        close(go[1]); /* go */
        assert_int_equal(waitpid(c, &st, 0), c);
        read_cg(cg, "memory.events", ev, sizeof(ev));
        print_message("evidence: run by %s in %s: command %s %d; memory.events after it ended "
                      "(pin kept the scope): %s\n",
                      mb_scope_way_name(way), cg, WIFSIGNALED(st) ? "killed by signal" : "exit",
                      WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), ev);
        assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        assert_non_null(strstr(ev, "oom_kill 1"));
        reap(pin);

        /* systemd-run --scope: the command sees its own scope and limit */
        snprintf(name, sizeof(name), "mbtest-vm-sdrun-%d", (int)getpid());
        assert_int_equal(mb_scope_plan(name, NULL, NULL, &lim64, &s), 0);
        char *cmd[] = {"sh", "-c",
                       "p=$(sed -n 's/^0:://p' /proc/self/cgroup); echo \"$p $(cat "
                       "/sys/fs/cgroup$p/memory.max)\"",
                       NULL};
        assert_true(mb_scope_run_argv(&s, cmd, argv, 64, store, sizeof(store)) > 0);
        assert_int_equal(pipe(outp), 0);
        c = fork();
        if (c == 0) {
                dup2(outp[1], 1);
                execvp(argv[0], argv);
                _exit(127);
        }
        close(outp[1]);
        n = read(outp[0], out, sizeof(out) - 1);
        out[n > 0 ? n : 0] = '\0';
        close(outp[0]);
        waitpid(c, &st, 0);
        out[strcspn(out, "\n")] = '\0';
        print_message("evidence: run by systemd-run --scope: the command says '%s'\n", out);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        assert_non_null(strstr(out, "/membudget-mbtest-vm-sdrun-"));
        assert_non_null(strstr(out, ".scope 67108864"));
}

/* `run`'s way: a scope only with systemd on a pure v2 hierarchy and no
 * captured tree; a raw group elsewhere; none without a controller or root. */
static void test_run_way(void **state)
{
        static const struct {
                enum mb_cg_version v;
                const char *mount;
                bool systemd, capture, root;
                enum mb_run_way want;
        } cases[] = {
            {MB_CG_V2, "/sys/fs/cgroup", true, false, true, MB_RUN_SCOPE},
            {MB_CG_V2, "/sys/fs/cgroup", false, false, true, MB_RUN_CGROUP},
            {MB_CG_V2, "/sys/fs/cgroup", true, true, true, MB_RUN_CGROUP},
            {MB_CG_V2, "/sys/fs/cgroup/unified", true, false, true, MB_RUN_CGROUP},
            {MB_CG_V1, "/sys/fs/cgroup/memory", true, false, true, MB_RUN_CGROUP},
            {MB_CG_V2, "/sys/fs/cgroup", true, false, false, MB_RUN_NOGROUP},
            {MB_CG_NONE, "", true, false, true, MB_RUN_NOGROUP},
        };
        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct mb_cgroup_fs fs = {.version = cases[i].v};
                struct mb_run_plan p;
                snprintf(fs.mount, sizeof(fs.mount), "%s", cases[i].mount);
                mb_run_plan(&fs, cases[i].systemd, cases[i].capture, cases[i].root, &p);
                if (p.way != cases[i].want)
                        fail_msg("case %zu: way %d, want %d", i, p.way, cases[i].want);
                assert_true((p.way == MB_RUN_NOGROUP) == (p.why[0] != '\0'));
        }
        {
                struct mb_run_plan p;
                mb_run_plan(NULL, true, false, true, &p);
                assert_int_equal(p.way, MB_RUN_NOGROUP);
                assert_non_null(strstr(p.why, "no cgroup memory controller"));
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_plan),        cmocka_unit_test(test_run_argv),
            cmocka_unit_test(test_busctl_argv), cmocka_unit_test(test_booted),
            cmocka_unit_test(test_run_way),     cmocka_unit_test(test_live_adopt),
            cmocka_unit_test(test_live_run),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
