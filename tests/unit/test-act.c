/* test-act.c: pure plans, journal round trip, sysctl file idempotence, load-order winner. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/act/apply.h"
#include "../../lib/act/cgroup.h"
#include "../../lib/act/journal.h"
#include "../../lib/act/limit.h"
#include "../../lib/act/plan.h"
#include "../../lib/act/swap.h"
#include "../../lib/act/sysctl.h"
#include "../../lib/act/systemd.h"
#include "../../lib/out/run.h"

static char *tmpdir(void)
{
        char *t = strdup("/tmp/mbtest-actions-unit.XXXXXX");
        assert_non_null(mkdtemp(t));
        return t;
}

static void rmtree(const char *d)
{
        char *argv[] = {"rm", "-rf", (char *)(uintptr_t)d, NULL};
        char msg[256];
        mb_run_argv(argv, msg, sizeof(msg));
}

static char *slurp(const char *path)
{
        struct mb_buf b = MB_BUF_INIT;
        int fd = open(path, O_RDONLY);
        if (fd < 0)
                return NULL;
        mb_pread_all(fd, &b);
        close(fd);
        return b.data ? b.data : strdup("");
}

static void test_conf_value(void **state)
{
        const char *t = "# vm.swappiness = 1\n; vm.swappiness=2\n  vm.swappiness = 30 \n"
                        "-vm/swappiness=40\nvm.swappinessx = 9\nkernel.x=1";
        char v[16];
        (void)state;
        assert_int_equal(mb_sysctl_conf_value(t, strlen(t), "vm.swappiness", v, sizeof(v)), 1);
        assert_string_equal(v, "40");
        assert_int_equal(mb_sysctl_conf_value("kernel.x=1", 10, "vm.swappiness", v, sizeof(v)), 0);
        /* no trailing newline, CR */
        assert_int_equal(mb_sysctl_conf_value("vm.swappiness=7\r", 16, "vm/swappiness", v, 16), 1);
        assert_string_equal(v, "7");
}

static void test_winner(void **state)
{
        struct mb_sysctl_srcs s = {0};
        int w;
        (void)state;
        mb_sysctl_src_add(&s, MB_SD_USR, "/usr/lib/sysctl.d/99-x.conf", "99-x.conf", "30");
        mb_sysctl_src_add(&s, MB_SD_ETC, "/etc/sysctl.d/10-a.conf", "10-a.conf", "5");
        mb_sysctl_src_add(&s, MB_SD_USR, "/usr/lib/sysctl.d/60-m.conf", "60-m.conf", "1");
        mb_sysctl_src_add(&s, MB_SD_ETC, "/etc/sysctl.d/60-m.conf", "60-m.conf", "10");
        w = mb_sysctl_winner(&s);
        assert_true(w >= 0);
        assert_string_equal(s.s[w].path, "/usr/lib/sysctl.d/99-x.conf");
        /* the /usr/lib 60-m.conf is masked by /etc's */
        for (size_t i = 0; i < s.n; i++)
                if (!strcmp(s.s[i].path, "/usr/lib/sysctl.d/60-m.conf"))
                        assert_true(s.s[i].masked);
                else
                        assert_false(s.s[i].masked);
        /* /etc/sysctl.conf comes last, whatever its name sorts as */
        mb_sysctl_src_add(&s, MB_SD_SYSCTL_CONF, "/etc/sysctl.conf", "sysctl.conf", "60");
        w = mb_sysctl_winner(&s);
        assert_string_equal(s.s[w].path, "/etc/sysctl.conf");
        assert_int_equal(w, (int)s.n - 1);
        mb_sysctl_srcs_release(&s);
        /* a later file that does not set the key does not win */
        mb_sysctl_src_add(&s, MB_SD_ETC, "/etc/sysctl.d/60-m.conf", "60-m.conf", "10");
        mb_sysctl_src_add(&s, MB_SD_ETC, "/etc/sysctl.d/99-y.conf", "99-y.conf", NULL);
        w = mb_sysctl_winner(&s);
        assert_string_equal(s.s[w].name, "60-m.conf");
        mb_sysctl_srcs_release(&s);
}

static void test_swappiness_plan(void **state)
{
        struct mb_sysctl_srcs s = {0};
        struct mb_plan p;
        char text[256];
        (void)state;
        mb_plan_init(&p);
        mb_sysctl_src_add(&s, MB_SD_ETC, "/etc/sysctl.d/99-sysctl.conf", "99-sysctl.conf", "60");
        assert_int_equal(mb_swappiness_plan(60, 10, "/proc/sys/vm/swappiness",
                                            "/etc/sysctl.d/60-membudget.conf", NULL, &s, &p),
                         0);
        assert_int_equal(p.n, 2);
        assert_int_equal(p.c[0].action, MB_ACT_SYSCTL);
        assert_string_equal(p.c[0].current, "60");
        assert_string_equal(p.c[0].new_value, "10");
        assert_false(p.c[0].noop);
        assert_null(p.c[1].current);
        assert_non_null(strstr(p.c[1].new_value, "vm.swappiness = 10\n"));
        assert_int_equal(mb_plan_todo(&p), 2);
        assert_int_equal(p.nnotes, 1);
        assert_non_null(strstr(p.notes[0], "99-sysctl.conf sets vm.swappiness = 60"));
        assert_non_null(strstr(p.notes[0], "wins at boot"));
        mb_plan_release(&p);
        mb_sysctl_srcs_release(&s);

        /* already in place: nothing to do */
        mb_swappiness_conf_text(10, text, sizeof(text));
        mb_plan_init(&p);
        assert_int_equal(mb_swappiness_plan(10, 10, "/proc/sys/vm/swappiness",
                                            "/etc/sysctl.d/60-membudget.conf", text, &s, &p),
                         0);
        assert_int_equal(mb_plan_todo(&p), 0);
        assert_int_equal(p.nnotes, 0);
        mb_plan_release(&p);
        mb_sysctl_srcs_release(&s);
}

static void test_sysctl_file_idempotent(void **state)
{
        struct mb_apply_ctx ctx = {0};
        struct mb_sysctl_srcs s = {0};
        struct mb_plan p;
        char *d = tmpdir(), conf[512], *t1, *t2;
        struct stat st;
        (void)state;
        snprintf(conf, sizeof(conf), "%s/etc/sysctl.d/60-membudget.conf", d);
        for (int round = 0; round < 2; round++) {
                char *cur = slurp(conf);
                mb_plan_init(&p);
                assert_int_equal(mb_swappiness_plan(10, 10, "/nonexistent", conf, cur, &s, &p), 0);
                assert_int_equal(p.c[1].noop, round == 1);
                if (!p.c[1].noop)
                        assert_int_equal(mb_change_do(&p.c[1], &ctx), 0);
                mb_plan_release(&p);
                mb_sysctl_srcs_release(&s);
                free(cur);
                if (round == 0)
                        t1 = slurp(conf);
        }
        t2 = slurp(conf);
        assert_non_null(t1);
        assert_string_equal(t1, t2);
        assert_int_equal(stat(conf, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0644);
        /* and the scan finds it with its value */
        assert_int_equal(mb_sysctl_scan(d, "vm.swappiness", &s), 0);
        assert_int_equal(s.n, 1);
        assert_true(s.s[0].sets);
        assert_string_equal(s.s[0].value, "10");
        mb_sysctl_srcs_release(&s);
        free(t1);
        free(t2);
        rmtree(d);
        free(d);
}

static void meminfo(struct mb_meminfo *mi, uint64_t avail)
{
        memset(mi, 0, sizeof(*mi));
        mi->v[MB_MI_MEMAVAILABLE] = avail;
        mi->have = 1ull << MB_MI_MEMAVAILABLE;
}

static void test_swap_cycle_plan(void **state)
{
        struct mb_swapdev dev[2] = {{.path = "/swapfile", .used = 1ull << 30, .priority = 5},
                                    {.path = "/dev/zram0", .used = 0, .priority = 100}};
        struct mb_swaps sw = {.dev = dev, .n = 2};
        struct mb_meminfo mi;
        struct mb_plan p;
        (void)state;
        /* 1 GiB used: needs 1.2 GiB + 512 MiB = 1.7 GiB */
        meminfo(&mi, 1700ull << 20);
        mb_plan_init(&p);
        assert_int_equal(mb_swap_cycle_plan(&mi, &sw, 1.2, 512ll << 20, &p), 0);
        assert_int_equal(p.n, 2);
        assert_true(p.c[0].refused);
        assert_non_null(strstr(p.c[0].reason, "swap cycle refused: MemAvailable"));
        assert_int_equal(mb_plan_refused(&p), 2);
        {
                char msg[512];
                assert_int_equal(mb_plan_check(&p, true, msg, sizeof(msg)), -ECANCELED);
                assert_non_null(strstr(msg, "refused"));
        }
        mb_plan_release(&p);

        meminfo(&mi, 2000ull << 20);
        mb_plan_init(&p);
        assert_int_equal(mb_swap_cycle_plan(&mi, &sw, 1.2, 512ll << 20, &p), 0);
        assert_false(p.c[0].refused);
        assert_int_equal(p.c[0].prio, 5);
        assert_true(p.c[1].noop); /* nothing in it */
        assert_int_equal(mb_plan_todo(&p), 1);
        mb_plan_release(&p);

        /* no swap: a note, no change */
        sw.n = 0;
        mb_plan_init(&p);
        assert_int_equal(mb_swap_cycle_plan(&mi, &sw, 1.2, 512ll << 20, &p), 0);
        assert_int_equal(p.n, 0);
        assert_int_equal(p.nnotes, 1);
        mb_plan_release(&p);
}

static void test_journal_roundtrip(void **state)
{
        struct mb_journal j;
        struct mb_journal_entries e;
        struct mb_error err = {0};
        struct mb_plan p, u;
        char *d = tmpdir(), path[512];
        struct stat st;
        char run1[64];
        (void)state;
        mb_plan_init(&p);
        mb_plan_add(&p, MB_ACT_SYSCTL, "/proc/sys/vm/swappiness", "60", "10", "x");
        mb_plan_add(&p, MB_ACT_FILE, "/etc/sysctl.d/60-membudget.conf", NULL, "a\n\"b\"\n", "y");
        assert_int_equal(mb_journal_open(&j, d), 0);
        mb_strlcpy(run1, j.run, sizeof(run1));
        assert_int_equal(mb_journal_append(&j, &p.c[0]), 0);
        assert_int_equal(mb_journal_append(&j, &p.c[1]), 1);
        mb_journal_close(&j);
        snprintf(path, sizeof(path), "%s/%s", d, MB_JOURNAL_FILE);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);

        /* a second run with a cgroup move */
        assert_int_equal(mb_journal_open(&j, d), 0);
        snprintf(j.run, sizeof(j.run), "run-two");
        {
                struct mb_change *c =
                    mb_plan_add(&p, MB_ACT_CGROUP_MOVE, "pid 42 (x)", "/a", "/b", "m");
                c->pid = 42;
                c->starttime = 12345;
                assert_int_equal(mb_journal_append(&j, c), 0);
        }
        mb_journal_close(&j);

        assert_int_equal(mb_journal_read(d, &e, &err), 0);
        assert_int_equal(e.n, 3);
        assert_string_equal(e.e[0].run, run1);
        assert_int_equal(e.e[0].action, MB_ACT_SYSCTL);
        assert_string_equal(e.e[0].change.current, "60");
        assert_string_equal(e.e[0].change.new_value, "10");
        assert_null(e.e[1].change.current);
        assert_string_equal(e.e[1].change.new_value, "a\n\"b\"\n");
        assert_int_equal(e.e[2].change.pid, 42);
        assert_int_equal(e.e[2].change.starttime, 12345);
        assert_string_equal(mb_undo_last_run(&e), "run-two");

        /* undo --last: only the move, back to /a */
        mb_plan_init(&u);
        assert_int_equal(mb_undo_plan(&e, "run-two", &u), 1);
        assert_int_equal(u.c[0].action, MB_ACT_CGROUP_MOVE);
        assert_string_equal(u.c[0].new_value, "/a");
        assert_int_equal(u.c[0].pid, 42);
        mb_plan_release(&u);
        /* undo --all: newest first; the file goes away, swappiness back to 60 */
        mb_plan_init(&u);
        assert_int_equal(mb_undo_plan(&e, NULL, &u), 3);
        assert_int_equal(u.c[1].action, MB_ACT_FILE);
        assert_null(u.c[1].new_value);
        assert_int_equal(u.c[2].action, MB_ACT_SYSCTL);
        assert_string_equal(u.c[2].new_value, "60");
        assert_int_equal(u.c[2].undoes_seq, 0);
        mb_plan_release(&u);
        mb_journal_entries_release(&e);

        /* mark run-two undone: the last run is run1 again */
        assert_int_equal(mb_journal_open(&j, d), 0);
        assert_int_equal(mb_journal_mark_undone(&j, "run-two", 0), 0);
        mb_journal_close(&j);
        assert_int_equal(mb_journal_read(d, &e, &err), 0);
        assert_true(e.e[2].undone);
        assert_string_equal(mb_undo_last_run(&e), run1);
        mb_journal_entries_release(&e);

        /* a torn last line is skipped; a bad line in the middle is an error */
        {
                const char *torn = "{\"time\":1,\"run\":\"r\",\"seq\":0,\"action\":\"sysctl\","
                                   "\"target\":\"t\",\"previous\":\"1\",\"new\":\"2\"}\n{\"ti";
                const char *bad = "garbage\n{\"time\":1,\"run\":\"r\",\"seq\":0,\"action\":"
                                  "\"sysctl\",\"target\":\"t\",\"previous\":\"1\",\"new\":\"2\"}\n";
                assert_int_equal(mb_journal_read_buffer(torn, strlen(torn), &e, &err), 0);
                assert_int_equal(e.n, 1);
                mb_journal_entries_release(&e);
                /* a corrupt line is skipped and counted, not fatal */
                assert_int_equal(mb_journal_read_buffer(bad, strlen(bad), &e, &err), 0);
                assert_int_equal(e.n, 1);
                assert_int_equal(e.skipped, 1);
                assert_int_equal(e.first_bad, 1);
                mb_journal_entries_release(&e);
        }
        /* the journal is never followed through a symlink */
        unlink(path);
        assert_int_equal(symlink("/tmp/mbtest-actions-elsewhere", path), 0);
        assert_int_equal(mb_journal_open(&j, d), -ELOOP);
        mb_plan_release(&p);
        rmtree(d);
        free(d);
}

/* Issue 15.11: a torn tail (disk full mid-append) is cut off on open, so
 * the next record is not glued to it and undo still reads the journal. */
static void test_journal_torn_tail(void **state)
{
        char *d = tmpdir(), path[512], *text;
        const char *rec = "{\"time\":1,\"run\":\"r\",\"seq\":0,\"action\":\"sysctl\","
                          "\"target\":\"/proc/sys/vm/swappiness\",\"previous\":\"60\","
                          "\"new\":\"10\"}\n{\"time\":2,\"run\":\"r\",\"se";
        struct mb_journal j;
        struct mb_journal_entries e;
        struct mb_error err = {0};
        struct mb_plan p;
        int fd;

        (void)state;
        snprintf(path, sizeof(path), "%s/%s", d, MB_JOURNAL_FILE);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, rec, strlen(rec)), (ssize_t)strlen(rec));
        close(fd);
        mb_plan_init(&p);
        mb_plan_add(&p, MB_ACT_SYSCTL, "/proc/sys/vm/vfs_cache_pressure", "100", "50", "w");
        assert_int_equal(mb_journal_open(&j, d), 0);
        assert_true(j.repaired);
        assert_int_equal(mb_journal_append(&j, &p.c[0]), 0);
        mb_journal_close(&j);
        text = slurp(path);
        assert_non_null(strstr(text, "\"new\":\"10\"}\n{\"time\""));
        assert_null(strstr(text, "\"se{"));
        free(text);
        assert_int_equal(mb_journal_read(d, &e, &err), 0);
        assert_int_equal(e.n, 2);
        assert_int_equal(e.skipped, 0);
        mb_journal_entries_release(&e);
        mb_plan_release(&p);
        rmtree(d);
        free(d);
}

static double cpu_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Issue 15.18: matching undone markers is linear: 80k records (40k
 * changes, 40k markers) in well under a second (was 24 s). */
static void test_journal_undone_linear(void **state)
{
        struct mb_buf b = MB_BUF_INIT;
        struct mb_journal_entries e;
        struct mb_error err = {0};
        double t0;
        size_t undone = 0;

        (void)state;
        b.max = 64u << 20;
        for (int i = 0; i < 40000; i++)
                mb_buf_printf(&b,
                              "{\"time\":1,\"run\":\"run-%d\",\"seq\":%d,\"action\":\"sysctl\","
                              "\"target\":\"/proc/sys/vm/swappiness\",\"previous\":\"60\","
                              "\"new\":\"10\"}\n",
                              i / 4, i % 4);
        for (int i = 0; i < 40000; i += 2)
                mb_buf_printf(&b,
                              "{\"time\":2,\"run\":\"u\",\"action\":\"undone\","
                              "\"undoes_run\":\"run-%d\",\"undoes_seq\":%d}\n",
                              i / 4, i % 4);
        t0 = cpu_s(); /* CPU time: other builds share this machine */
        assert_int_equal(mb_journal_read_buffer(b.data, b.len, &e, &err), 0);
        t0 = cpu_s() - t0;
        print_message("80k records: %.3f s\n", t0);
#if defined(__SANITIZE_ADDRESS__)
        assert_true(t0 < 4.0); /* quadratic took 24 s; ASan is ~3x slower */
#else
        assert_true(t0 < 1.0); /* quadratic took 24 s */
#endif
        assert_int_equal(e.n, 40000);
        for (size_t i = 0; i < e.n; i++)
                undone += e.e[i].undone;
        assert_int_equal(undone, 20000);
        assert_true(e.e[0].undone && !e.e[1].undone && e.e[39998].undone);
        mb_journal_entries_release(&e);
        mb_buf_release(&b);
}

/* Issue 15.8: journal records may only name what membudget writes; a
 * journal in a directory or file others can write is refused. */
static void test_journal_trust(void **state)
{
        struct mb_change c = {.action = MB_ACT_FILE};
        char *d = tmpdir(), path[512], why[256];
        struct mb_journal j;
        struct mb_journal_entries e;
        struct mb_error err = {0};
        struct mb_plan p;
        int fd;

        (void)state;
#define ALLOWED(a, t, yes)                                                                         \
        do {                                                                                       \
                c.action = (a);                                                                    \
                mb_strlcpy(c.target, (t), sizeof(c.target));                                       \
                assert_int_equal(mb_journal_path_allowed(&c, "/r", NULL, NULL), (yes));            \
        } while (0)
        ALLOWED(MB_ACT_FILE, "/r/etc/sysctl.d/60-membudget.conf", true);
        ALLOWED(MB_ACT_FILE, "/r/etc/systemd/system/omni.service.d/50-membudget.conf", true);
        ALLOWED(MB_ACT_FILE, "/run/systemd/system.control/omni.service.d/50-MemoryMax.conf", true);
        ALLOWED(MB_ACT_FILE, "/etc/shadow", false);
        ALLOWED(MB_ACT_FILE, "/r/etc/sysctl.d/../../etc/shadow", false);
        ALLOWED(MB_ACT_FILE, "/r/etc/systemd/system/x.service.d/../../../../root/.bashrc", false);
        ALLOWED(MB_ACT_FILE, "/r/etc/systemd/system/x.service", false);
        ALLOWED(MB_ACT_SYSCTL, "/proc/sys/vm/swappiness", true);
        ALLOWED(MB_ACT_SYSCTL, "/proc/sys/kernel/core_pattern", false);
        ALLOWED(MB_ACT_CGROUP_WRITE, "/sys/fs/cgroup/memory/membudget/x/memory.limit_in_bytes",
                true);
        ALLOWED(MB_ACT_CGROUP_WRITE, "/etc/passwd", false);
#undef ALLOWED
        /* undo refuses a foreign record */
        mb_plan_init(&p);
        mb_plan_add(&p, MB_ACT_FILE, "/etc/cron.d/evil", "x", NULL, "restore");
        assert_int_equal(mb_undo_refuse_foreign(&p, "", NULL, NULL), 1);
        assert_true(p.c[0].refused);
        mb_plan_release(&p);

        /* a journal through a FIFO never blocks */
        snprintf(path, sizeof(path), "%s/%s", d, MB_JOURNAL_FILE);
        assert_int_equal(mkfifo(path, 0600), 0);
        assert_int_equal(mb_journal_read(d, &e, &err), -EINVAL);
        assert_int_equal(mb_journal_open(&j, d), -EINVAL);
        unlink(path);
        /* group-writable: refused */
        fd = open(path, O_WRONLY | O_CREAT, 0600);
        assert_true(fd >= 0);
        fchmod(fd, 0620);
        close(fd);
        assert_int_equal(mb_journal_read(d, &e, &err), -EPERM);
        assert_non_null(strstr(err.msg, "writable by group or others"));
        assert_int_equal(mb_journal_open(&j, d), -EPERM);
        /* the directory */
        chmod(d, 0777);
        assert_int_equal(mb_dir_trusted(d, why, sizeof(why)), -EPERM);
        chmod(d, 0700);
        assert_int_equal(mb_dir_trusted(d, why, sizeof(why)), 0);
        if (geteuid() == 0) { /* owned by another user */
                chmod(path, 0600);
                assert_int_equal(chown(path, 65534, 65534), 0);
                assert_int_equal(mb_journal_read(d, &e, &err), -EPERM);
                assert_non_null(strstr(err.msg, "owned by uid 65534"));
                assert_int_equal(chown(d, 65534, 65534), 0);
                assert_int_equal(mb_dir_trusted(d, why, sizeof(why)), -EPERM);
        }
        rmtree(d);
        free(d);
}

/* Issue 15.17: temp files a killed run left are removed by the next write;
 * a fresh one (a concurrent writer) is kept. */
static void test_stale_temps(void **state)
{
        char *d = tmpdir(), path[512], old[600], fresh[600];
        struct timespec ts[2] = {{.tv_sec = 1000000}, {.tv_sec = 1000000}};
        int fd;

        (void)state;
        snprintf(path, sizeof(path), "%s/60-membudget.conf", d);
        snprintf(old, sizeof(old), "%s.tmp.AbC123", path);
        snprintf(fresh, sizeof(fresh), "%s.tmp.XyZ789", path);
        fd = open(old, O_WRONLY | O_CREAT, 0600);
        close(fd);
        assert_int_equal(utimensat(AT_FDCWD, old, ts, 0), 0);
        fd = open(fresh, O_WRONLY | O_CREAT, 0600);
        close(fd);
        assert_int_equal(mb_write_file_atomic(path, "vm.swappiness = 10\n", 19, 0644), 0);
        assert_int_equal(access(old, F_OK), -1);
        assert_int_equal(access(fresh, F_OK), 0);
        assert_int_equal(access(path, F_OK), 0);
        rmtree(d);
        free(d);
}

static void put(const char *dir, const char *file, const char *text)
{
        char p[600];
        int fd;

        snprintf(p, sizeof(p), "%s/%s", dir, file);
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
}

/* Issue 15.1: a memory cgroup at its limit with pages in swap refuses the
 * swap cycle (v1 and v2 trees). */
static void test_swap_cycle_cgroups(void **state)
{
        char *d = tmpdir(), sub[512];
        struct mb_cgroup_fs fs = {.version = MB_CG_V1};
        struct mb_cg_risk r[2];
        struct mb_meminfo mi = {0};
        struct mb_swapdev dev = {.path = "/swapfile", .used = 600 << 20, .priority = -2};
        struct mb_swaps sw = {.dev = &dev, .n = 1};
        struct mb_plan p;

        (void)state;
        mb_strlcpy(fs.mount, d, sizeof(fs.mount));
        put(d, "memory.limit_in_bytes", "9223372036854771712\n");
        put(d, "memory.usage_in_bytes", "2000000000\n");
        snprintf(sub, sizeof(sub), "%s/workers", d);
        mkdir(sub, 0755);
        put(sub, "memory.limit_in_bytes", "524288000\n"); /* 500 MiB */
        put(sub, "memory.usage_in_bytes", "520000000\n");
        put(sub, "memory.stat", "cache 0\nswap 0\ntotal_swap 468713472\n");
        assert_int_equal(mb_cgroup_swap_risks(&fs, r, 2), 1);
        assert_string_equal(r[0].dir, sub);
        assert_int_equal(r[0].swap, 468713472);
        mb_plan_init(&p);
        mi.v[MB_MI_MEMAVAILABLE] = 20ull << 30;
        mi.have |= 1ull << MB_MI_MEMAVAILABLE;
        assert_int_equal(mb_swap_cycle_plan(&mi, &sw, 1.2, 512 << 20, &p), 0);
        assert_false(p.c[0].refused); /* the host has room... */
        mb_swap_cycle_refuse_cgroups(&p, r, 1);
        assert_true(p.c[0].refused); /* ...the group has not */
        assert_non_null(strstr(p.c[0].reason, "workers"));
        assert_non_null(strstr(p.c[0].reason, "OOM"));
        mb_plan_release(&p);
        /* a plan the host check refused keeps that reason */
        mb_plan_init(&p);
        mi.v[MB_MI_MEMAVAILABLE] = 100 << 20;
        assert_int_equal(mb_swap_cycle_plan(&mi, &sw, 1.2, 512 << 20, &p), 0);
        mb_swap_cycle_refuse_cgroups(&p, r, 1);
        assert_non_null(strstr(p.c[0].reason, "MemAvailable"));
        mb_plan_release(&p);
        /* under its limit: no risk; v2 names */
        put(sub, "memory.stat", "total_swap 0\n");
        assert_int_equal(mb_cgroup_swap_risks(&fs, r, 2), 0);
        fs.version = MB_CG_V2;
        put(sub, "memory.max", "524288000\n");
        put(sub, "memory.current", "500000000\n");
        put(sub, "memory.swap.current", "100000000\n");
        assert_int_equal(mb_cgroup_swap_risks(&fs, r, 2), 1);
        put(sub, "memory.max", "max\n");
        assert_int_equal(mb_cgroup_swap_risks(&fs, r, 2), 0);
        rmtree(d);
        free(d);
}

/* Issue 15.2: past 16 matches, or other users' processes, --match needs
 * --user or --force; the count is always shown.  Issue 15.3: v1 moves
 * the charge with the processes. */
static void test_limit_match_policy(void **state)
{
        struct mb_cgroup_fs v1 = {.version = MB_CG_V1, .mount = "/sys/fs/cgroup/memory"};
        struct mb_cg_limits lim = {512 << 20, -1, -1};
        struct mb_cg_member m[20];
        struct mb_plan p;

        (void)state;
        memset(m, 0, sizeof(m));
        for (int i = 0; i < 20; i++) {
                m[i].pid = 100 + i;
                m[i].uid = 1000;
                mb_strlcpy(m[i].from, "/sys/fs/cgroup/memory", sizeof(m[i].from));
        }
        /* 3 of our own: fine */
        mb_plan_init(&p);
        assert_int_equal(mb_cgroup_limit_plan(&v1, "w", &lim, false, NULL, m, 3, &p), 0);
        assert_non_null(strstr(p.c[2].target, "memory.move_charge_at_immigrate"));
        assert_string_equal(p.c[2].new_value, "3");
        assert_int_equal(mb_limit_match_policy(&p, m, 3, 1000, false, false), 0);
        assert_non_null(strstr(p.notes[p.nnotes - 1], "3 processes match (user "));
        mb_plan_release(&p);
        /* one of another user: refused unless --user or --force */
        m[1].uid = 0;
        mb_plan_init(&p);
        assert_int_equal(mb_cgroup_limit_plan(&v1, "w", &lim, false, NULL, m, 3, &p), 0);
        assert_int_equal(mb_limit_match_policy(&p, m, 3, 1000, false, false), 3);
        assert_non_null(strstr(p.c[p.n - 1].reason, "other users"));
        mb_plan_release(&p);
        mb_plan_init(&p);
        assert_int_equal(mb_cgroup_limit_plan(&v1, "w", &lim, false, NULL, m, 3, &p), 0);
        assert_int_equal(mb_limit_match_policy(&p, m, 3, 1000, true, false), 0);
        mb_plan_release(&p);
        m[1].uid = 1000;
        /* 20 matches: too many */
        mb_plan_init(&p);
        assert_int_equal(mb_cgroup_limit_plan(&v1, "w", &lim, false, NULL, m, 20, &p), 0);
        assert_int_equal(mb_limit_match_policy(&p, m, 20, 1000, false, false), 20);
        assert_non_null(strstr(p.c[p.n - 1].reason, "20 processes match, more than 16"));
        assert_int_equal(mb_limit_match_policy(&p, m, 20, 1000, false, true), 0);
        /* issue 15.6: a limit below the usage is said */
        assert_int_equal(mb_limit_usage_note(&p, "the unit web.service", 1 << 30, 512 << 20), 0);
        assert_non_null(strstr(p.notes[p.nnotes - 1], "the unit web.service uses 1 GiB now, above "
                                                      "the limit 512 MiB"));
        assert_non_null(strstr(p.notes[p.nnotes - 1], "swap"));
        assert_non_null(strstr(p.notes[p.nnotes - 1], "OOM-killed"));
        mb_plan_release(&p);
}

static uint32_t str_at(struct mb_proctab *t, const char *v)
{
        uint32_t off;

        if (t->strings.len == 0)
                assert_int_equal(mb_buf_append(&t->strings, "", 1), 0);
        off = (uint32_t)t->strings.len;
        assert_int_equal(mb_buf_append(&t->strings, v, strlen(v) + 1), 0);
        return off;
}

/* Issue 15.3: check ticks "target under a memory limit" only when every
 * target process is inside a limited group. */
static void test_target_all_limited(void **state)
{
        char *d = tmpdir(), sub[512], detail[600];
        struct mb_proctab t;
        int fd;

        (void)state;
        snprintf(sub, sizeof(sub), "%s/fs/cgroup/memory/membudget/limit", d);
        assert_int_equal(mb_mkdir_p(sub, 0755), 0);
        put(sub, "memory.limit_in_bytes", "536870912\n");
        mb_proctab_init(&t);
        t.p = calloc(2, sizeof(*t.p));
        t.n = 2;
        t.p[0].pid = 10;
        t.p[0].flags = MB_P_TARGET;
        t.p[0].cg_mem = str_at(&t, "/membudget/limit");
        t.p[1].pid = 11;
        t.p[1].flags = MB_P_TARGET;
        t.p[1].cg_mem = str_at(&t, "/user.slice");
        fd = open(d, O_RDONLY | O_DIRECTORY);
        assert_false(mb_target_all_limited(fd, &t, 8ull << 30, detail, sizeof(detail)));
        assert_non_null(strstr(detail, "pid 11"));
        t.p[1].cg_mem = t.p[0].cg_mem; /* both inside */
        assert_true(mb_target_all_limited(fd, &t, 8ull << 30, detail, sizeof(detail)));
        assert_non_null(strstr(detail, "512 MiB"));
        t.p[1].flags = 0; /* a process outside that is not the target does not matter */
        assert_true(mb_target_all_limited(fd, &t, 8ull << 30, detail, sizeof(detail)));
        close(fd);
        mb_proctab_release(&t);
        rmtree(d);
        free(d);
}

static void test_cgroup_plans(void **state)
{
        struct mb_cgroup_fs v1 = {
            .version = MB_CG_V1, .mount = "/sys/fs/cgroup/memory", .memsw = true};
        struct mb_cgroup_fs v2 = {.version = MB_CG_V2, .mount = "/sys/fs/cgroup", .swap_max = true};
        struct mb_cg_limits lim = {64 << 20, 48 << 20, 0};
        struct mb_cg_member m = {.pid = 7, .starttime = 9, .comm = "x", .from = "/sys/fs/cgroup"};
        struct mb_cg_values now = {.max = "1073741824", .high = "-1", .swap = "2147483648"};
        struct mb_plan p;
        (void)state;
        mb_plan_init(&p);
        assert_int_equal(mb_cgroup_limit_plan(&v2, "web", &lim, false, NULL, &m, 1, &p), 0);
        assert_int_equal(p.n, 5);
        assert_int_equal(p.c[0].action, MB_ACT_CGROUP_CREATE);
        assert_string_equal(p.c[0].target, "/sys/fs/cgroup/membudget/web");
        assert_string_equal(p.c[1].target, "/sys/fs/cgroup/membudget/web/memory.high");
        assert_string_equal(p.c[1].new_value, "50331648");
        assert_string_equal(p.c[2].target, "/sys/fs/cgroup/membudget/web/memory.max");
        assert_string_equal(p.c[2].current, "max");
        assert_string_equal(p.c[2].new_value, "67108864");
        assert_string_equal(p.c[3].target, "/sys/fs/cgroup/membudget/web/memory.swap.max");
        assert_string_equal(p.c[3].new_value, "0");
        assert_int_equal(p.c[4].action, MB_ACT_CGROUP_MOVE);
        assert_int_equal(p.c[4].pid, 7);
        mb_plan_release(&p);

        /* v1, existing group, lowering: limit first, then memsw = max + swap */
        mb_plan_init(&p);
        assert_int_equal(mb_cgroup_limit_plan(&v1, "web", &lim, true, &now, NULL, 0, &p), 0);
        assert_non_null(strstr(p.c[0].target, "memory.limit_in_bytes"));
        assert_non_null(strstr(p.c[1].target, "memory.memsw.limit_in_bytes"));
        assert_string_equal(p.c[1].new_value, "67108864");
        assert_non_null(strstr(p.c[2].target, "memory.soft_limit_in_bytes"));
        mb_plan_release(&p);
        /* raising: memsw first */
        lim.max = 2ll << 30;
        lim.high = -1;
        mb_plan_init(&p);
        assert_int_equal(mb_cgroup_limit_plan(&v1, "web", &lim, true, &now, NULL, 0, &p), 0);
        assert_non_null(strstr(p.c[0].target, "memory.memsw.limit_in_bytes"));
        assert_non_null(strstr(p.c[1].target, "memory.limit_in_bytes"));
        mb_plan_release(&p);
        /* no swap accounting: --swap-max 0 becomes memory.swappiness 0 */
        v1.memsw = false;
        mb_plan_init(&p);
        assert_int_equal(mb_cgroup_limit_plan(&v1, "web", &lim, false, NULL, NULL, 0, &p), 0);
        assert_int_equal(p.n, 3);
        assert_non_null(strstr(p.c[2].target, "memory.swappiness"));
        assert_string_equal(p.c[2].new_value, "0");
        mb_plan_release(&p);
        assert_true(mb_cgroup_name_valid("run-12"));
        assert_false(mb_cgroup_name_valid("../x"));
        assert_false(mb_cgroup_name_valid(""));
}

static void test_systemd(void **state)
{
        struct mb_cg_limits lim = {3584ll << 20, -1, 512 << 20};
        struct mb_plan p;
        char text[1024], u[256];
        (void)state;
        mb_dropin_text(&lim, text, sizeof(text));
        assert_non_null(strstr(text, "[Service]\n"));
        assert_non_null(strstr(text, "MemoryAccounting=yes\n"));
        assert_non_null(strstr(text, "MemoryMax=3584M\n"));
        assert_non_null(strstr(text, "MemorySwapMax=512M\n"));
        assert_non_null(strstr(text, "CPUAccounting=yes\n"));
        assert_non_null(strstr(text, "TasksAccounting=yes\n"));
        assert_null(strstr(text, "MemoryLimit"));
        /* 90 % of 3584 MiB, on a page boundary */
        assert_non_null(strstr(text, "MemoryHigh=3303012K\n"));
        assert_int_equal(mb_unit_name("omnimind", u, sizeof(u)), 0);
        assert_string_equal(u, "omnimind.service");
        assert_int_equal(mb_unit_name("a.service", u, sizeof(u)), 0);
        assert_int_equal(mb_unit_name("a.scope", u, sizeof(u)), -EINVAL);
        assert_int_equal(mb_unit_name("../x", u, sizeof(u)), -EINVAL);
        assert_int_equal(mb_unit_name("a b", u, sizeof(u)), -EINVAL);
        mb_plan_init(&p);
        assert_int_equal(
            mb_systemd_limit_plan("a.service", "/etc/x.conf", NULL, &lim, false, NULL, &p), 0);
        assert_int_equal(p.n, 1);
        assert_int_equal(p.nnotes, 1);
        assert_non_null(strstr(p.notes[0], "systemctl daemon-reload"));
        mb_plan_release(&p);
        mb_plan_init(&p);
        assert_int_equal(mb_systemd_limit_plan("a.service", "/etc/x.conf", NULL, &lim, true,
                                               "MemoryMax=infinity\nMemoryHigh=infinity\n"
                                               "MemorySwapMax=infinity\n",
                                               &p),
                         0);
        /* issue 15.4: the running unit's values first (undo restores them
         * last, then drops the runtime control files and reloads) */
        assert_int_equal(p.n, 3);
        assert_int_equal(p.c[0].action, MB_ACT_UNIT_PROPS);
        assert_string_equal(p.c[0].target, "a.service");
        assert_non_null(strstr(p.c[0].new_value, "MemoryMax="));
        assert_int_equal(p.c[1].action, MB_ACT_FILE);
        assert_int_equal(p.c[2].action, MB_ACT_EXEC);
        assert_non_null(strstr(p.c[2].new_value, "daemon-reload"));
        {
                struct mb_plan inv;
                mb_plan_init(&inv);
                assert_int_equal(mb_change_inverse(&p.c[0], &inv), 0);
                assert_int_equal(inv.c[0].action, MB_ACT_UNIT_PROPS);
                assert_false(inv.c[0].noop);
                assert_true(inv.c[0].restore);
                assert_string_equal(inv.c[0].new_value, "MemoryMax=infinity\nMemoryHigh=infinity\n"
                                                        "MemorySwapMax=infinity\n");
                assert_true(mb_journal_path_allowed(&inv.c[0], "", NULL, NULL));
                /* a journal cannot smuggle other properties or arguments in */
                free(inv.c[0].new_value);
                inv.c[0].new_value = strdup("ExecStartPre=/bin/evil");
                assert_false(mb_journal_path_allowed(&inv.c[0], "", NULL, NULL));
                free(inv.c[0].new_value);
                inv.c[0].new_value = strdup("MemoryMax=1G --user");
                assert_false(mb_journal_path_allowed(&inv.c[0], "", NULL, NULL));
                mb_plan_release(&inv);
        }
        mb_plan_release(&p);
}

/* 15.4: the values before name the runtime drop-ins that were there, so
 * that undo keeps them; the note passes the journal check, set-property
 * never sees it. */
static void test_control_dropins_note(void **state)
{
        char buf[256] = "MemoryMax=943718400\n";

        (void)state;
        mb_systemd_control_dropins("mbtest-no-such-unit-xyz.service", buf, sizeof(buf));
        assert_string_equal(buf, "MemoryMax=943718400\nControlDropIns=\n");
        assert_true(mb_systemd_props_valid(buf));
        assert_true(mb_systemd_props_valid("MemoryHigh=891289600\nControlDropIns=MemoryHigh."
                                           "MemorySwapMax\n"));
        assert_false(mb_systemd_props_valid("ControlDropIns=../x\n"));
        assert_false(mb_systemd_props_valid("ExecStart=/bin/sh\n"));
}

static void test_check_privilege(void **state)
{
        struct mb_plan p;
        char msg[512];
        (void)state;
        mb_plan_init(&p);
        mb_plan_add(&p, MB_ACT_SYSCTL, "/proc/sys/vm/swappiness", "60", "60", "x"); /* noop */
        assert_int_equal(mb_plan_check(&p, false, msg, sizeof(msg)), 0);
        mb_plan_add(&p, MB_ACT_SYSCTL, "/proc/sys/vm/swappiness", "60", "10", "x");
        assert_int_equal(mb_plan_check(&p, false, msg, sizeof(msg)), -EPERM);
        assert_string_equal(msg, "needs root (CAP_SYS_ADMIN) to write /proc/sys/vm/swappiness");
        assert_int_equal(mb_plan_check(&p, true, msg, sizeof(msg)), 0);
        mb_plan_release(&p);
}

static void test_inverse(void **state)
{
        struct mb_change c = {.action = MB_ACT_CGROUP_CREATE, .target = "/x", .undoes_seq = -1};
        struct mb_plan p;
        (void)state;
        mb_plan_init(&p);
        assert_int_equal(mb_change_inverse(&c, &p), 0);
        assert_int_equal(p.c[0].action, MB_ACT_CGROUP_REMOVE);
        c.action = MB_ACT_DROP_CACHES;
        assert_int_equal(mb_change_inverse(&c, &p), 0);
        assert_true(p.c[1].noop);
        c.action = MB_ACT_CGROUP_WRITE; /* "+memory" switched on: left on */
        c.current = NULL;
        c.new_value = "+memory";
        assert_int_equal(mb_change_inverse(&c, &p), 0);
        assert_true(p.c[2].noop);
        mb_plan_release(&p);
}

/* A failing change rolls back the ones before it, and the journal says so. */
static void test_apply_rollback(void **state)
{
        struct mb_apply_ctx ctx = {0};
        struct mb_journal j;
        struct mb_journal_entries e;
        struct mb_error err = {0};
        struct mb_plan p;
        char *d = tmpdir(), f1[512], f2[512], *t;
        (void)state;
        if (geteuid() != 0) {
                rmtree(d);
                free(d);
                skip();
        }
        snprintf(f1, sizeof(f1), "%s/one.conf", d);
        snprintf(f2, sizeof(f2), "%s/two.conf", d);
        assert_int_equal(mb_write_file_atomic(f2, "old\n", 4, 0644), 0);
        mb_plan_init(&p);
        mb_plan_add(&p, MB_ACT_FILE, f1, NULL, "new1\n", "x");
        mb_plan_add(&p, MB_ACT_FILE, f2, "old\n", "new2\n", "x");
        mb_plan_add(&p, MB_ACT_SYSCTL, "/nonexistent/mbtest-actions/swappiness", "1", "2", "x");
        assert_int_equal(mb_journal_open(&j, d), 0);
        ctx.journal = &j;
        ctx.rollback = true;
        assert_int_equal(mb_plan_apply(&p, &ctx), -ENOENT);
        assert_non_null(strstr(ctx.msg, "/nonexistent/mbtest-actions/swappiness"));
        mb_journal_close(&j);
        assert_int_equal(access(f1, F_OK), -1);
        t = slurp(f2);
        assert_string_equal(t, "old\n");
        free(t);
        /* every record is marked undone: nothing left for undo */
        assert_int_equal(mb_journal_read(d, &e, &err), 0);
        assert_int_equal(e.n, 3);
        assert_null(mb_undo_last_run(&e));
        mb_journal_entries_release(&e);
        mb_plan_release(&p);
        rmtree(d);
        free(d);
}

/* limit --match the systemd way: a unit-props row for the scope with its
 * properties, a move per member into the scope's directory (journaled,
 * so undo/--release move them back); the raw way is unchanged. */
static void test_limit_scope_plan(void **state)
{
        struct mb_cgroup_fs fs = {.version = MB_CG_V2};
        struct mb_cg_limits lim = {64 << 20, 48 << 20, 0};
        struct mb_limit_match m;
        struct mb_plan plan;
        (void)state;

        snprintf(fs.mount, sizeof(fs.mount), "/sys/fs/cgroup");
        assert_true(mb_limit_scope_way(&fs, true, false));
        assert_false(mb_limit_scope_way(&fs, false, false));
        assert_false(mb_limit_scope_way(&fs, true, true));
        memset(&m, 0, sizeof(m));
        m.fs = fs;
        m.scope_way = true;
        assert_int_equal(mb_limit_scope_of(&fs, "web", &lim, &m.scope, m.dir, sizeof(m.dir)), 0);
        assert_string_equal(m.scope.unit, "membudget-match-web.scope");
        assert_string_equal(m.dir, "/sys/fs/cgroup/system.slice/membudget-match-web.scope");
        m.ml.m = calloc(2, sizeof(*m.ml.m));
        m.ml.n = 2;
        for (int i = 0; i < 2; i++) {
                m.ml.m[i].pid = 100 + i;
                m.ml.m[i].uid = 0;
                m.ml.m[i].starttime = 7;
                snprintf(m.ml.m[i].comm, sizeof(m.ml.m[i].comm), "web");
                snprintf(m.ml.m[i].from, sizeof(m.ml.m[i].from),
                         "/sys/fs/cgroup/user.slice/session-1.scope");
        }
        mb_proctab_init(&m.tab);
        mb_plan_init(&plan);
        assert_int_equal(mb_limit_match_plan(&m, "web", "web", &lim, 0, false, false, &plan), 0);
        assert_int_equal(plan.n, 3);
        assert_int_equal(plan.c[0].action, MB_ACT_UNIT_PROPS);
        assert_string_equal(plan.c[0].target, "membudget-match-web.scope");
        assert_null(plan.c[0].current);
        assert_non_null(strstr(plan.c[0].new_value, "MemoryMax=67108864"));
        assert_non_null(strstr(plan.c[0].new_value, "MemoryHigh=50331648"));
        assert_non_null(strstr(plan.c[0].new_value, "MemorySwapMax=0"));
        for (int i = 1; i < 3; i++) {
                assert_int_equal(plan.c[i].action, MB_ACT_CGROUP_MOVE);
                assert_int_equal(plan.c[i].pid, 99 + i);
                assert_string_equal(plan.c[i].new_value, m.dir);
                assert_string_equal(plan.c[i].current, "/sys/fs/cgroup/user.slice/session-1.scope");
                assert_false(plan.c[i].refused);
        }
        assert_true(mb_limit_plan_starts_scope(&plan));
        mb_plan_release(&plan);

        /* an existing scope: moves only (mb_plan_apply), no start */
        m.exists = true;
        mb_plan_init(&plan);
        assert_int_equal(mb_limit_match_plan(&m, "web", "web", &lim, 0, false, false, &plan), 0);
        assert_int_equal(plan.n, 2);
        assert_false(mb_limit_plan_starts_scope(&plan));
        mb_plan_release(&plan);

        /* nothing matches: no scope (one cannot start empty) */
        m.exists = false;
        m.ml.n = 0;
        mb_plan_init(&plan);
        assert_int_equal(mb_limit_match_plan(&m, "web", "web", &lim, 0, false, false, &plan), 0);
        assert_int_equal(plan.n, 0);
        assert_true(plan.nnotes >= 1);
        assert_non_null(strstr(plan.notes[0], "no scope is made"));
        mb_plan_release(&plan);

        /* the raw way: create + limits + moves, as before */
        m.scope_way = false;
        m.ml.n = 2;
        mb_cgroup_dir(&fs, "web", m.dir, sizeof(m.dir));
        mb_plan_init(&plan);
        assert_int_equal(mb_limit_match_plan(&m, "web", "web", &lim, 0, false, false, &plan), 0);
        assert_int_equal(plan.c[0].action, MB_ACT_CGROUP_CREATE);
        assert_string_equal(plan.c[0].target, "/sys/fs/cgroup/membudget/web");
        assert_false(mb_limit_plan_starts_scope(&plan));
        mb_plan_release(&plan);
        free(m.ml.m);
}

/* --release NAME finds the scope the journal moved processes into. */
static void test_limit_release_dir(void **state)
{
        struct mb_cgroup_fs fs = {.version = MB_CG_V2};
        struct mb_journal_entries e = {0};
        struct mb_error err = {0};
        struct mb_plan plan;
        char dir[1200];
        bool scope;
        const char *j =
            "{\"time\":1,\"run\":\"r1\",\"seq\":0,\"action\":\"cgroup-move\",\"target\":\"pid 42\","
            "\"previous\":\"/sys/fs/cgroup/user.slice\",\"new\":\"/sys/fs/cgroup/system.slice/"
            "membudget-match-web.scope\",\"pid\":42,\"starttime\":0}\n";
        (void)state;

        snprintf(fs.mount, sizeof(fs.mount), "/sys/fs/cgroup");
        assert_int_equal(mb_journal_read_buffer(j, strlen(j), &e, &err), 0);
        mb_limit_release_dir(&fs, &e, "web", dir, sizeof(dir), &scope);
        assert_true(scope);
        assert_string_equal(dir, "/sys/fs/cgroup/system.slice/membudget-match-web.scope");
        /* the scope is not removed by us (systemd does it): no cgroup-remove */
        mb_plan_init(&plan);
        assert_int_equal(mb_release_plan(&e, dir, false, fs.mount, NULL, 0, &plan), 0);
        assert_int_equal(plan.n, 1);
        assert_int_equal(plan.c[0].action, MB_ACT_CGROUP_MOVE);
        assert_string_equal(plan.c[0].new_value, "/sys/fs/cgroup/user.slice");
        mb_plan_release(&plan);
        mb_limit_release_dir(&fs, &e, "other", dir, sizeof(dir), &scope);
        assert_false(scope);
        assert_string_equal(dir, "/sys/fs/cgroup/membudget/other");
        mb_journal_entries_release(&e);
}

/* run's report says which way: a transient scope (unit, way) or a cgroup. */
static void test_run_report_way(void **state)
{
        struct mb_runner rc;
        struct mb_run_peaks pk = {0};
        struct mb_cg_limits lim = {64 << 20, -1, -1};
        struct mb_run_report r = {0};
        char *buf = NULL;
        size_t len = 0;
        FILE *f;
        json_t *j;
        (void)state;

        memset(&rc, 0, sizeof(rc));
        rc.removed = rc.in_scope = true;
        rc.way = MB_SCOPE_SDBUS;
        snprintf(rc.scope.unit, sizeof(rc.scope.unit), "membudget-run-42.scope");
        snprintf(rc.dir, sizeof(rc.dir), "/sys/fs/cgroup/system.slice/membudget-run-42.scope");
        mb_out_run_fill(&rc, &pk, &lim, "hog", 1 << 30, -1, -1, &r);
        f = open_memstream(&buf, &len);
        mb_out_run_text(f, &r);
        fclose(f);
        assert_non_null(
            strstr(buf, "in transient scope membudget-run-42.scope (via sd-bus (libsystemd))"));
        free(buf);
        j = mb_out_run_json(&r);
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "scope"), "unit")),
                            "membudget-run-42.scope");
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "scope"), "way")),
                            "sd-bus (libsystemd)");
        json_decref(j);

        rc.in_scope = false;
        rc.way = MB_SCOPE_NONE;
        snprintf(rc.dir, sizeof(rc.dir), "/sys/fs/cgroup/membudget/run-7");
        mb_out_run_fill(&rc, &pk, &lim, "hog", 1 << 30, -1, -1, &r);
        buf = NULL;
        f = open_memstream(&buf, &len);
        mb_out_run_text(f, &r);
        fclose(f);
        assert_non_null(strstr(buf, "in cgroup /sys/fs/cgroup/membudget/run-7 (removed)"));
        free(buf);
        j = mb_out_run_json(&r);
        assert_true(json_is_null(json_object_get(j, "scope")));
        json_decref(j);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_conf_value),
            cmocka_unit_test(test_winner),
            cmocka_unit_test(test_swappiness_plan),
            cmocka_unit_test(test_sysctl_file_idempotent),
            cmocka_unit_test(test_swap_cycle_plan),
            cmocka_unit_test(test_journal_roundtrip),
            cmocka_unit_test(test_cgroup_plans),
            cmocka_unit_test(test_systemd),
            cmocka_unit_test(test_control_dropins_note),
            cmocka_unit_test(test_check_privilege),
            cmocka_unit_test(test_inverse),
            cmocka_unit_test(test_apply_rollback),
            cmocka_unit_test(test_journal_torn_tail),
            cmocka_unit_test(test_journal_undone_linear),
            cmocka_unit_test(test_journal_trust),
            cmocka_unit_test(test_stale_temps),
            cmocka_unit_test(test_swap_cycle_cgroups),
            cmocka_unit_test(test_limit_match_policy),
            cmocka_unit_test(test_target_all_limited),
            cmocka_unit_test(test_limit_scope_plan),
            cmocka_unit_test(test_limit_release_dir),
            cmocka_unit_test(test_run_report_way),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
