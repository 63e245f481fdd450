/*
 * bpf.c: see bpf.h.  With MB_HAVE_BPF (bpf.mk: libbpf, bpftool and clang
 * present at build time) the scan runs the task iterator of
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

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/capability.h>
#include <linux/types.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../bpf/taskmem.h"
#include "taskmem.skel.h"

/* Kernel task states (include/linux/sched.h), for the State: letter. */
#define TASK_REPORT 0x7fu
#define TASK_IDLE_BITS 0x402u /* TASK_UNINTERRUPTIBLE | TASK_NOLOAD */
#define TASK_RTLOCK_WAIT 0x1000u
#define TASK_FROZEN 0x8000u
#define TASK_REPORT_IDLE 0x80u

static struct taskmem_bpf *skel;
static struct bpf_link *link;
static int state;       /* 0 not tried, 1 loaded, -1 unavailable */
static char reason[256] = "BPF collector not tried yet";
static char libbpf_last[160];

/* Library code never prints: keep libbpf's last warning for the reason. */
static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
        if (level != LIBBPF_DEBUG) {
                size_t n;
                vsnprintf(libbpf_last, sizeof(libbpf_last), fmt, ap);
                n = strlen(libbpf_last);
                while (n > 0 && libbpf_last[n - 1] == '\n')
                        libbpf_last[--n] = '\0';
        }
        return 0;
}

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

static int unavailable(const char *fmt, const char *arg)
{
        snprintf(reason, sizeof(reason), fmt, arg);
        state = -1;
        if (link) {
                bpf_link__destroy(link);
                link = NULL;
        }
        if (skel) {
                taskmem_bpf__destroy(skel);
                skel = NULL;
        }
        return -ENOTSUP;
}

static int load(void)
{
        int r;

        if (state)
                return state > 0 ? 0 : -ENOTSUP;
        if (!have_bpf_caps())
                return unavailable("%s", "needs CAP_BPF and CAP_PERFMON (run as root)");
        if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
                return unavailable("%s", "the kernel has no BTF (/sys/kernel/btf/vmlinux)");
        libbpf_set_print(libbpf_quiet);
        skel = taskmem_bpf__open_and_load();
        if (!skel) {
                r = errno;
                snprintf(reason, sizeof(reason), "loading the task iterator failed: %s%s%s",
                         strerror(r ? r : EINVAL), libbpf_last[0] ? "; libbpf: " : "",
                         libbpf_last);
                return unavailable("%s", reason);
        }
        link = bpf_program__attach_iter(skel->progs.taskmem, NULL);
        if (!link) {
                r = errno;
                snprintf(reason, sizeof(reason), "attaching the task iterator failed: %s",
                         strerror(r ? r : EINVAL));
                return unavailable("%s", reason);
        }
        reason[0] = '\0';
        state = 1;
        return 0;
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

static bool filter_ok(const struct mb_scan_filter *f, const struct mb_proc *p)
{
        if (!f)
                return true;
        if (f->skip_kthreads && (p->flags & MB_P_KTHREAD))
                return false;
        if (f->has_uid && p->uid != f->uid)
                return false;
        if (f->min_rss > 0 && (p->rss == MB_UNKNOWN || p->rss < f->min_rss))
                return false;
        if (f->min_swap > 0 && (p->swap == MB_UNKNOWN || p->swap < f->min_swap))
                return false;
        return true;
}

static void proc_reset(struct mb_proc *p, int pid)
{
        memset(p, 0, sizeof(*p));
        p->pid = pid;
        p->vsz = p->rss = p->hwm = p->rss_anon = p->rss_file = p->rss_shmem = p->swap = MB_UNKNOWN;
        p->pss = p->uss = p->swappss = p->rollup_swap = p->anon_huge = MB_UNKNOWN;
        p->gpu = MB_UNKNOWN;
}

/* One record into the table (or counted as filtered).  0 or -ENOMEM. */
static int take(struct mb_proctab *t, const struct mb_taskmem_rec *r,
                const struct mb_scan_filter *filter, long page, long ns_per_tick)
{
        struct mb_proc *p;

        t->n_seen++;
        if (t->n == t->cap) {
                size_t nc = t->cap ? t->cap * 2 : 512;
                struct mb_proc *np = realloc(t->p, nc * sizeof(*np));
                if (!np)
                        return -ENOMEM;
                t->p = np;
                t->cap = nc;
        }
        p = &t->p[t->n];
        proc_reset(p, r->tgid);
        p->ppid = r->ppid;
        p->uid = r->uid;
        p->threads = r->nr_threads;
        p->state = state_letter(r->state, r->exit_state);
        if (ns_per_tick > 0)
                p->starttime = r->start_boottime / (uint64_t)ns_per_tick;
        copy_comm(p->name, sizeof(p->name), r->comm);
        if (r->flags & MB_TM_KTHREAD) {
                p->flags |= MB_P_KTHREAD;
                t->n_kthreads++;
        }
        if (p->state == 'Z') {
                p->flags |= MB_P_ZOMBIE;
                t->n_zombies++;
        }
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
        if (!filter_ok(filter, p)) {
                t->n_filtered++;
                return 0;
        }
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
        bool seen_self = false;
        size_t have = 0;

        (void)root;
        if (load() < 0)
                return -ENOTSUP;
        fd = bpf_iter_create(bpf_link__fd(link));
        if (fd < 0)
                return unavailable("creating the task iterator failed: %s", strerror(errno));

        t->n = 0;
        mb_buf_reset(&t->strings);
        t->flags = flags;
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
                        if ((r = take(t, &x, filter, page, ns_per_tick)) < 0)
                                break;
                }
                if (r < 0)
                        break;
                memmove(buf, buf + off, have - off);
                have -= off;
        }
        close(fd);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return unavailable("reading the task iterator failed: %s", strerror(-r));
        /* The iterator sees init's PID namespace: inside another one the
         * PIDs would not be the ones /proc shows. */
        if (!seen_self)
                return unavailable("%s", "membudget runs in a PID namespace of its own");
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
