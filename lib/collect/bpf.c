/*
 * bpf.c: see bpf.h.  With MB_HAVE_BPF (bpf.mk: clang, bpftool and
 * libbpf-dev's <bpf/skel_internal.h> present at build time) the scan runs the task iterator of
 * bpf/taskmem.bpf.c: one read() of a few hundred KiB instead of opening
 * and formatting one status file per process.  The skeleton and the
 * iterator link are loaded once and kept for the life of the process (a
 * daemon does not reload them every tick); a scan allocates nothing beyond
 * the table's own growth.  Without MB_HAVE_BPF every scan is -ENOTSUP.
 */
#define _GNU_SOURCE
#include "bpf.h"

#include <errno.h>
#include <string.h>

#ifdef MB_HAVE_BPF

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/types.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../bpf/taskmem.h"
/* The light skeleton (bpftool gen skeleton -L): the kernel relocates the
 * program (CO-RE) with its own BTF, so loading costs about 2 ms and needs
 * no libbpf at run time, only <bpf/skel_internal.h> at build time. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "taskmem.lskel.h"
#pragma GCC diagnostic pop

/* Kernel task states (include/linux/sched.h), for the State: letter. */
#define TASK_REPORT      0x7fu
#define TASK_IDLE_BITS   0x402u /* TASK_UNINTERRUPTIBLE | TASK_NOLOAD */
#define TASK_RTLOCK_WAIT 0x1000u
#define TASK_FROZEN      0x8000u
#define TASK_REPORT_IDLE 0x80u

static struct taskmem_bpf *skel;
static int state; /* 0 not tried, 1 loaded, -1 unavailable */
static char reason[256] = "BPF collector not tried yet";

/* CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN) in the effective set. */
static bool have_bpf_caps(void)
{
        struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct d[2];
        uint64_t eff;

        memset(d, 0, sizeof(d));
        if (syscall(SYS_capget, &h, d) < 0)
                return geteuid() == 0;
        eff = (uint64_t)d[0].effective | (uint64_t)d[1].effective << 32;
        if (eff & (1ull << 21)) /* CAP_SYS_ADMIN */
                return true;
        return (eff & (1ull << 38)) && (eff & (1ull << 39)); /* CAP_PERFMON, CAP_BPF */
}

/* Give up for the life of the process; `reason` is already set. */
static int give_up(void)
{
        state = -1;
        if (skel) {
                taskmem_bpf__destroy(skel);
                skel = NULL;
        }
        return -ENOTSUP;
}

/* Possible CPUs: the highest number in /sys/devices/system/cpu/possible + 1. */
static unsigned possible_cpus(void)
{
        char buf[256];
        ssize_t n =
            mb_read_small_at(AT_FDCWD, "/sys/devices/system/cpu/possible", buf, sizeof(buf));
        unsigned max = 0, v = 0;
        bool digit = false;

        if (n <= 0)
                return 0;
        for (ssize_t i = 0; i <= n; i++) {
                char c = i < n ? buf[i] : '\0';
                if (c >= '0' && c <= '9') {
                        v = v * 10 + (unsigned)(c - '0');
                        digit = true;
                } else {
                        if (digit && v + 1 > max)
                                max = v + 1;
                        v = 0;
                        digit = false;
                }
        }
        return max;
}

static int load(void)
{
        int r;

        if (state)
                return state > 0 ? 0 : -ENOTSUP;
        if (!have_bpf_caps()) {
                snprintf(reason, sizeof(reason), "needs CAP_BPF and CAP_PERFMON (run as root)");
                return give_up();
        }
        if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
                snprintf(reason, sizeof(reason), "the kernel has no BTF (/sys/kernel/btf/vmlinux)");
                return give_up();
        }
        skel = taskmem_bpf__open();
        if (!skel) {
                snprintf(reason, sizeof(reason), "out of memory");
                return give_up();
        }
        skel->rodata->nr_cpus = possible_cpus();
        r = taskmem_bpf__load(skel);
        if (r == -1)
                r = -errno; /* the skeleton passes raw syscall results through */
        if (r < 0) {
                snprintf(reason, sizeof(reason),
                         "loading the task iterator failed: %s (kernel without BPF "
                         "iterators, syscall programs or CO-RE?)",
                         strerror(-r));
                return give_up();
        }
        r = taskmem_bpf__attach(skel);
        if (r == -1)
                r = -errno;
        if (r < 0) {
                snprintf(reason, sizeof(reason), "attaching the task iterator failed: %s",
                         strerror(-r));
                return give_up();
        }
        reason[0] = '\0';
        state = 1;
        return 0;
}

static int iter_create(void)
{
        union bpf_attr a;

        memset(&a, 0, sizeof(a));
        a.iter_create.link_fd = (__u32)skel->links.taskmem_fd;
        return skel_sys_bpf(BPF_ITER_CREATE, &a, sizeof(a));
}

/* Tasks in the system, from /proc/loadavg ("0.10 0.20 0.30 1/2081 99"). */
static size_t tasks_estimate(struct mb_root *root)
{
        char buf[128];
        ssize_t n = mb_read_small_at(root->proc_fd, "loadavg", buf, sizeof(buf));
        const char *slash = n > 0 ? memchr(buf, '/', (size_t)n) : NULL;

        return slash ? (size_t)strtoul(slash + 1, NULL, 10) : 0;
}

/* The State: letter, as get_task_state() / __task_state_index() compute it. */
static char state_letter(uint32_t st, uint32_t exit_st)
{
        static const char letters[] = "RSDTtXZPI";
        unsigned s = (st | exit_st) & TASK_REPORT;
        int i = 0;

        if ((st & TASK_IDLE_BITS) == TASK_IDLE_BITS)
                s = TASK_REPORT_IDLE;
        if ((st & TASK_RTLOCK_WAIT) || (st & TASK_FROZEN))
                s = 2; /* TASK_UNINTERRUPTIBLE */
        while (s) {
                i++;
                s >>= 1;
        }
        return letters[i];
}

/* comm as status prints it: '\n' and '\\' escaped (seq_escape_str "\n\\"). */
static void copy_comm(char *dst, size_t cap, const char *comm)
{
        size_t o = 0;

        for (size_t i = 0; i < MB_TM_COMM_LEN && comm[i] && o + 3 < cap; i++) {
                if (comm[i] == '\n') {
                        dst[o++] = '\\';
                        dst[o++] = 'n';
                } else if (comm[i] == '\\') {
                        dst[o++] = '\\';
                        dst[o++] = '\\';
                } else {
                        dst[o++] = comm[i];
                }
        }
        dst[o] = '\0';
}

static int64_t pages(int64_t count, long page)
{
        /* percpu_counter_read_positive(): a transiently negative count is 0 */
        return count > 0 ? count * page : 0;
}

/* One record into the table (or counted as filtered).  0 or -ENOMEM. */
static int take(struct mb_proctab *t, const struct mb_taskmem_rec *r,
                const struct mb_scan_filter *filter, long page, long ns_per_tick, bool skip_ids)
{
        struct mb_proc *p;

        t->n_seen++;
        p = mb_proctab_slot(t, r->tgid);
        if (!p)
                return -ENOMEM;
        if (skip_ids) {
                p->uid = (uint32_t)-1; /* not read (MB_SCAN_NO_IDS) */
        } else {
                p->ppid = r->ppid;
                p->uid = r->uid;
                p->threads = r->nr_threads;
        }
        p->state = state_letter(r->state, r->exit_state);
        if (ns_per_tick > 0)
                p->starttime = r->start_boottime / (uint64_t)ns_per_tick;
        copy_comm(p->name, sizeof(p->name), r->comm);
        if (r->flags & MB_TM_KTHREAD)
                p->flags |= MB_P_KTHREAD;
        if (p->state == 'Z')
                p->flags |= MB_P_ZOMBIE;
        if (r->flags & MB_TM_HAS_MM) {
                p->rss_file = pages(r->file, page);
                p->rss_anon = pages(r->anon, page);
                p->rss_shmem = pages(r->shmem, page);
                p->rss = p->rss_file + p->rss_anon + p->rss_shmem;
                p->swap = pages(r->swapents, page);
                p->vsz = (int64_t)r->total_vm * page;
                p->hwm = (int64_t)r->hiwater_rss * page;
                if (p->hwm < p->rss)
                        p->hwm = p->rss; /* VmHWM is max(hiwater_rss, rss) */
        }
        if (mb_proctab_admit(t, p, filter))
                t->n++;
        return 0;
}

/*
 * Some kernels' task iterator never visits PID 1 (seen on 6.18 in a
 * Firecracker VM: neither the whole-system walk nor a walk of PID 1 alone
 * shows it, while /proc does).  Read that one process from /proc/1/status.
 */
static int take_init_from_proc(struct mb_root *root, struct mb_proctab *t,
                               const struct mb_scan_filter *filter)
{
        struct mb_proc *p;
        ssize_t n;

        n = mb_read_file_at(root->proc_fd, "1/status", &t->rd, 0);
        if (n <= 0)
                return 0; /* no init in this view: nothing to add */
        t->n_seen++;
        p = mb_proctab_slot(t, 1);
        if (!p)
                return -ENOMEM;
        if (mb_status_parse(t->rd.data, (size_t)n, p) < 0) {
                t->n_vanished++;
                return 0;
        }
        if (mb_proctab_admit(t, p, filter))
                t->n++;
        return 0;
}

int mb_bpf_scan(struct mb_root *root, unsigned flags, const struct mb_scan_filter *filter,
                struct mb_proctab *t)
{
        static char buf[64 * 1024];
        const size_t rec = sizeof(struct mb_taskmem_rec);
        long page = sysconf(_SC_PAGESIZE);
        long ns_per_tick = t->clk_tck > 0 ? 1000000000L / t->clk_tck : 0;
        int self = (int)getpid(), fd, r = 0;
        bool seen_self = false, seen_init = false, skip_ids;
        size_t have = 0;

        if (load() < 0)
                return -ENOTSUP;
        /* A uid filter needs the uid, whatever the caller said. */
        skip_ids = (flags & MB_SCAN_NO_IDS) && !(filter && filter->has_uid);
        skel->bss->skip = skip_ids ? MB_TM_SKIP_IDS : 0;
        fd = iter_create();
        if (fd < 0) {
                snprintf(reason, sizeof(reason), "creating the task iterator failed: %s",
                         strerror(errno));
                return give_up();
        }

        t->n = 0;
        mb_buf_reset(&t->strings);
        t->flags = flags;
        /* A new table: one allocation, sized by the task count (threads
         * included, so an upper bound), instead of doublings.  A reused one
         * (a daemon's) already has its size. */
        if (t->cap == 0) {
                size_t est = tasks_estimate(root) + 64;
                if (est < (1u << 22)) {
                        struct mb_proc *np = realloc(t->p, est * sizeof(*np));
                        if (np) {
                                t->p = np;
                                t->cap = est;
                        }
                }
        }
        t->n_seen = t->n_kthreads = t->n_zombies = t->n_vanished = t->n_denied = 0;
        t->n_pss_denied = t->n_filtered = 0;
        for (;;) {
                ssize_t got = read(fd, buf + have, sizeof(buf) - have);
                size_t off = 0;

                if (got < 0 && errno == EINTR)
                        continue;
                if (got < 0) {
                        r = -errno;
                        break;
                }
                if (got == 0)
                        break;
                have += (size_t)got;
                for (; have - off >= rec; off += rec) {
                        struct mb_taskmem_rec x;
                        memcpy(&x, buf + off, rec);
                        if (x.tgid == self)
                                seen_self = true;
                        if (x.tgid == 1)
                                seen_init = true;
                        if ((r = take(t, &x, filter, page, ns_per_tick, skip_ids)) < 0)
                                break;
                }
                if (r < 0)
                        break;
                memmove(buf, buf + off, have - off);
                have -= off;
        }
        close(fd);
        if (r == 0 && !seen_init)
                r = take_init_from_proc(root, t, filter);
        /* PSS needs smaps_rollup: read it for the kept processes only, so a
         * PSS scan costs the rollup files without the status files. */
        if (r == 0 && (flags & MB_SCAN_ROLLUP))
                r = mb_proc_read_rollups(root, t);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                snprintf(reason, sizeof(reason), "reading the task iterator failed: %s",
                         strerror(-r));
                return give_up();
        }
        /* The iterator sees init's PID namespace: inside another one the
         * PIDs would not be the ones /proc shows. */
        if (!seen_self) {
                snprintf(reason, sizeof(reason), "membudget runs in a PID namespace of its own");
                return give_up();
        }
        return (int)t->n;
}

const char *mb_bpf_unavailable_reason(void)
{
        return reason;
}

#else /* !MB_HAVE_BPF */

int mb_bpf_scan(struct mb_root *root, unsigned flags, const struct mb_scan_filter *filter,
                struct mb_proctab *t)
{
        (void)root;
        (void)flags;
        (void)filter;
        (void)t;
        return -ENOTSUP;
}

const char *mb_bpf_unavailable_reason(void)
{
        return "not built with the BPF collector (needs clang, bpftool and libbpf-dev)";
}

#endif
