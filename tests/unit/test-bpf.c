/*
 * test-bpf.c: the BPF task-iterator collector (lib/collect/bpf.c) against
 * the /proc collector on the live host.  Three forked children touch 4, 16
 * and 64 MiB; the scans run proc, bpf, proc, and every process whose fields
 * were the same in both proc scans (it did not change meanwhile) must have
 * the same identity and, within the kernel's per-CPU counter slack (64 pages
 * per CPU, or 1 %), the same VmRSS, RssAnon/File/Shmem, VmSwap and VmSize in
 * the BPF scan; the idle children exactly the same values.  Skipped, with the reason, where BPF is
 * unavailable (not built in, not root, no BTF).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../lib/collect/bpf.h"
#include "../../lib/collect/proc.h"
#include "../../lib/util/util.h"

#define NCHILD 3
static const int child_mib[NCHILD] = {4, 16, 64};
static pid_t children[NCHILD];

static void child_main(int mib, int wfd)
{
        size_t len = (size_t)mib << 20;
        char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (p == MAP_FAILED)
                _exit(1);
        for (size_t i = 0; i < len; i += 4096)
                p[i] = (char)(i / 4096 + 1);
        if (write(wfd, "r", 1) != 1)
                _exit(1);
        for (;;)
                pause();
}

/* Is the process asleep ("S" in /proc/PID/stat)? */
static bool sleeping(pid_t pid)
{
        char path[64], buf[512], *rp;
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        rp = strrchr(buf, ')');
        return rp && rp[1] == ' ' && rp[2] == 'S';
}

static int start_children(void **state)
{
        (void)state;
        for (int i = 0; i < NCHILD; i++) {
                int pfd[2];
                char c;

                if (pipe(pfd) < 0)
                        return -1;
                children[i] = fork();
                if (children[i] < 0)
                        return -1;
                if (children[i] == 0) {
                        close(pfd[0]);
                        child_main(child_mib[i], pfd[1]);
                }
                close(pfd[1]);
                if (read(pfd[0], &c, 1) != 1)
                        return -1;
                close(pfd[0]);
                /* between its write() and pause() the child still runs:
                 * wait until it sleeps, so that its state is known ('S') */
                for (int tries = 0; tries < 1000 && !sleeping(children[i]); tries++)
                        usleep(1000);
        }
        return 0;
}

static int stop_children(void **state)
{
        (void)state;
        for (int i = 0; i < NCHILD; i++) {
                if (children[i] > 0) {
                        kill(children[i], SIGKILL);
                        waitpid(children[i], NULL, 0);
                        children[i] = 0;
                }
        }
        return 0;
}

static const struct mb_proc *find(const struct mb_proctab *t, int pid)
{
        for (size_t i = 0; i < t->n; i++)
                if (t->p[i].pid == pid)
                        return &t->p[i];
        return NULL;
}

static void skip_unavailable(void)
{
        const char *why = mb_bpf_unavailable_reason();

        assert_true(why && why[0]);
        print_message("skipped: BPF unavailable: %s\n", why);
        skip();
}

/* The BPF scan, or skip() with the reason when BPF is unavailable here. */
static int bpf_scan_or_skip(struct mb_root *root, const struct mb_scan_filter *f,
                            struct mb_proctab *t)
{
        int r = mb_bpf_scan(root, 0, f, t);

        if (r == -ENOTSUP) {
                mb_proctab_release(t);
                mb_root_close(root);
                skip_unavailable();
        }
        assert_true(r >= 0);
        return r;
}

static int64_t slack(int64_t v)
{
        long ncpu = sysconf(_SC_NPROCESSORS_CONF);
        int64_t s = 64 * (ncpu > 0 ? ncpu : 1) * (int64_t)sysconf(_SC_PAGESIZE);

        return v / 100 > s ? v / 100 : s;
}

static bool near(int64_t a, int64_t b)
{
        if (a == MB_UNKNOWN || b == MB_UNKNOWN)
                return a == b;
        return (a > b ? a - b : b - a) <= slack(a > b ? a : b);
}

static bool same_sizes(const struct mb_proc *a, const struct mb_proc *b)
{
        return a->rss == b->rss && a->swap == b->swap && a->vsz == b->vsz &&
               a->rss_anon == b->rss_anon && a->rss_file == b->rss_file &&
               a->rss_shmem == b->rss_shmem;
}

static void test_bpf_agrees_with_proc(void **state)
{
        struct mb_root root;
        struct mb_proctab a, b, c;
        unsigned stable = 0, bad = 0;

        (void)state;
        assert_int_equal(mb_root_open(&root, NULL, NULL), 0);
        mb_proctab_init(&a);
        mb_proctab_init(&b);
        mb_proctab_init(&c);
        assert_true(mb_proc_scan(&root, 0, NULL, &a) > 1);
        if (mb_bpf_scan(&root, 0, NULL, &b) == -ENOTSUP) {
                mb_proctab_release(&a);
                mb_proctab_release(&b);
                mb_proctab_release(&c);
                mb_root_close(&root);
                skip_unavailable();
        }
        assert_true(mb_proc_scan(&root, 0, NULL, &c) > 1);

        for (size_t i = 0; i < a.n; i++) {
                const struct mb_proc *pa = &a.p[i], *pc = find(&c, pa->pid), *pb;

                if (!pc || !same_sizes(pa, pc) || strcmp(pa->name, pc->name))
                        continue; /* changed or gone meanwhile */
                pb = find(&b, pa->pid);
                if (!pb) {
                        print_message("pid %d (%s) missing from the BPF scan\n", pa->pid, pa->name);
                        bad++;
                        continue;
                }
                stable++;
                if ((pb->flags & MB_P_KTHREAD) != (pa->flags & MB_P_KTHREAD) ||
                    pb->ppid != pa->ppid || pb->uid != pa->uid ||
                    /* workqueue kthreads carry their queue in the status name */
                    (!(pa->flags & MB_P_KTHREAD) && strcmp(pb->name, pa->name)) ||
                    !near(pb->rss, pa->rss) || !near(pb->swap, pa->swap) ||
                    !near(pb->vsz, pa->vsz) || !near(pb->rss_anon, pa->rss_anon) ||
                    !near(pb->rss_file, pa->rss_file) || !near(pb->rss_shmem, pa->rss_shmem)) {
                        print_message("pid %d: proc %s ppid %d uid %u flags %x rss %lld swap "
                                      "%lld vsz %lld / bpf %s ppid %d uid %u flags %x rss %lld "
                                      "swap %lld vsz %lld\n",
                                      pa->pid, pa->name, pa->ppid, pa->uid, pa->flags,
                                      (long long)pa->rss, (long long)pa->swap, (long long)pa->vsz,
                                      pb->name, pb->ppid, pb->uid, pb->flags, (long long)pb->rss,
                                      (long long)pb->swap, (long long)pb->vsz);
                        bad++;
                }
        }
        assert_int_equal(bad, 0);
        assert_true(stable > 10);
        /* Our own children, idle: present, sleeping, with their memory. */
        for (int i = 0; i < NCHILD; i++) {
                const struct mb_proc *p = find(&b, children[i]);
                assert_non_null(p);
                assert_int_equal(p->ppid, getpid());
                assert_int_equal(p->state, 'S');
                assert_true(p->rss_anon >= ((int64_t)child_mib[i] << 20) - slack(0));
                assert_true(p->vsz >= p->rss);
                assert_true(p->hwm >= p->rss);
                assert_int_equal(p->threads, 1);
                /* Idle: the per-CPU deltas are summed like /proc does (up to
                 * 64 CPUs), so the values are the same, not just near. */
                if (sysconf(_SC_NPROCESSORS_CONF) <= 64) {
                        const struct mb_proc *q = find(&a, children[i]);
                        assert_non_null(q);
                        assert_int_equal(p->rss, q->rss);
                        assert_int_equal(p->rss_anon, q->rss_anon);
                        assert_int_equal(p->vsz, q->vsz);
                        assert_int_equal(p->swap, q->swap);
                }
        }
        assert_true(b.n_kthreads >= 1);
        assert_true(b.n_seen == b.n);
        mb_proctab_release(&a);
        mb_proctab_release(&b);
        mb_proctab_release(&c);
        mb_root_close(&root);
}

static void test_bpf_filter(void **state)
{
        struct mb_root root;
        struct mb_proctab t;
        struct mb_scan_filter f = {.min_rss = 32 << 20, .skip_kthreads = true};

        (void)state;
        assert_int_equal(mb_root_open(&root, NULL, NULL), 0);
        mb_proctab_init(&t);
        bpf_scan_or_skip(&root, &f, &t);
        for (size_t i = 0; i < t.n; i++) {
                assert_false(t.p[i].flags & MB_P_KTHREAD);
                assert_true(t.p[i].rss >= 32 << 20);
        }
        assert_non_null(find(&t, children[2])); /* 64 MiB */
        assert_null(find(&t, children[0]));     /* 4 MiB */
        assert_true(t.n_filtered + t.n == t.n_seen);
        f = (struct mb_scan_filter){.has_uid = true, .uid = 4242424};
        assert_int_equal(mb_bpf_scan(&root, 0, &f, &t), 0);
        mb_proctab_release(&t);
        mb_root_close(&root);
}

/* With MB_SCAN_ROLLUP the kept processes also get smaps_rollup's values. */
static void test_bpf_rollup(void **state)
{
        struct mb_root root;
        struct mb_proctab t;
        const struct mb_proc *p;

        (void)state;
        assert_int_equal(mb_root_open(&root, NULL, NULL), 0);
        mb_proctab_init(&t);
        if (mb_bpf_scan(&root, MB_SCAN_ROLLUP, NULL, &t) == -ENOTSUP) {
                mb_proctab_release(&t);
                mb_root_close(&root);
                skip_unavailable();
        }
        p = find(&t, children[2]); /* 64 MiB, private: PSS = USS = RSS anon */
        assert_non_null(p);
        assert_true(p->pss >= (int64_t)60 << 20 && p->pss <= p->rss);
        assert_true(p->uss >= (int64_t)60 << 20 && p->uss <= p->rss);
        assert_true(p->swappss != MB_UNKNOWN);
        for (size_t i = 0; i < t.n; i++)
                if (t.p[i].flags & MB_P_KTHREAD)
                        assert_int_equal(t.p[i].pss, MB_UNKNOWN);
        mb_proctab_release(&t);
        mb_root_close(&root);
}

/* MB_SCAN_NO_IDS leaves out ppid/uid/threads and nothing else; a uid filter
 * still gets the uid; the next full scan has them again. */
static void test_bpf_no_ids(void **state)
{
        struct mb_root root;
        struct mb_proctab full, lean, again;
        struct mb_scan_filter mine = {.has_uid = true, .uid = getuid()};
        const struct mb_proc *me;

        (void)state;
        assert_int_equal(mb_root_open(&root, NULL, NULL), 0);
        mb_proctab_init(&full);
        mb_proctab_init(&lean);
        mb_proctab_init(&again);
        bpf_scan_or_skip(&root, NULL, &full);
        assert_true(mb_bpf_scan(&root, MB_SCAN_NO_IDS, NULL, &lean) > 1);
        me = find(&lean, getpid());
        assert_non_null(me);
        assert_int_equal(me->ppid, 0);
        assert_int_equal(me->uid, (uint32_t)-1);
        assert_int_equal(me->threads, 0);
        assert_true(me->rss > 0 && me->vsz >= me->rss);
        assert_string_equal(me->name, find(&full, getpid())->name);
        assert_true(mb_bpf_scan(&root, MB_SCAN_NO_IDS, &mine, &again) > 0);
        me = find(&again, getpid());
        assert_non_null(me);
        assert_int_equal(me->uid, getuid());
        assert_int_equal(me->ppid, getppid());
        assert_true(mb_bpf_scan(&root, 0, NULL, &again) > 1);
        me = find(&again, getpid());
        assert_int_equal(me->ppid, getppid());
        assert_int_equal(me->threads, 1);
        mb_proctab_release(&full);
        mb_proctab_release(&lean);
        mb_proctab_release(&again);
        mb_root_close(&root);
}

static int count_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        int n = 0;

        if (!d)
                return -1;
        while (readdir(d))
                n++;
        closedir(d);
        return n;
}

/* Repeated scans reuse the loaded program: no fd or memory growth. */
static void test_bpf_repeat(void **state)
{
        struct mb_root root;
        struct mb_proctab t;
        int fds;

        (void)state;
        assert_int_equal(mb_root_open(&root, NULL, NULL), 0);
        mb_proctab_init(&t);
        bpf_scan_or_skip(&root, NULL, &t);
        fds = count_fds();
        for (int i = 0; i < 300; i++)
                assert_true(mb_bpf_scan(&root, 0, NULL, &t) > 1);
        assert_int_equal(count_fds(), fds);
        assert_string_equal(mb_bpf_unavailable_reason(), "");
        mb_proctab_release(&t);
        mb_root_close(&root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_bpf_agrees_with_proc), cmocka_unit_test(test_bpf_filter),
            cmocka_unit_test(test_bpf_rollup),           cmocka_unit_test(test_bpf_repeat),
            cmocka_unit_test(test_bpf_no_ids),
        };
        return cmocka_run_group_tests(tests, start_children, stop_children);
}
