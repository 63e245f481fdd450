// SPDX-License-Identifier: MIT
/*
 * taskmem.bpf.c: one pass over every task (SEC("iter/task")), writing one
 * struct mb_taskmem_rec per thread-group leader: the mm_struct counters that
 * /proc/PID/status prints as VmRSS (file + anon + shmem), RssAnon, RssFile,
 * RssShmem, VmSwap (MM_SWAPENTS), VmSize (total_vm) and VmHWM, plus comm,
 * tgid, parent tgid, real uid, state, thread count and start time.
 *
 * CO-RE with local types: each kernel structure is declared below with only
 * the fields read (the ___mb suffix is dropped when matching), and their
 * offsets are relocated at load time against the running kernel's BTF.  No
 * vmlinux.h: the program's own BTF is a few dozen types instead of the 500
 * that task_struct drags in, which the kernel parses at every load.  Needs
 * mm->rss_stat as an array of percpu_counter (Linux 6.2 and later);
 * elsewhere the load fails and the caller falls back to /proc.
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <stdbool.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "taskmem.h"

#define __pai __attribute__((preserve_access_index))

struct seq_file;
struct bpf_iter_meta {
        struct seq_file *seq;
} __pai;

struct task_struct;
struct bpf_iter__task {
        struct bpf_iter_meta *meta;
        struct task_struct *task;
} __pai;

struct bpf_array___mb {
        void *pptrs[0];
} __pai;

struct cred___mb {
        struct {
                __u32 val;
        } uid;
} __pai;

struct signal_struct___mb {
        int nr_threads;
} __pai;

struct percpu_counter___mb {
        __s64 count;
        __s32 *counters;
} __pai;

/* enum mm_counter_type */
#define MM_FILEPAGES   0
#define MM_ANONPAGES   1
#define MM_SWAPENTS    2
#define MM_SHMEMPAGES  3
#define NR_MM_COUNTERS 4

struct mm_struct___mb {
        unsigned long total_vm;
        unsigned long hiwater_rss;
        struct percpu_counter___mb rss_stat[NR_MM_COUNTERS];
} __pai;

struct task_struct___mb {
        unsigned int __state;
        unsigned int flags;
        int exit_state;
        int pid;
        int tgid;
        struct task_struct___mb *real_parent;
        const struct cred___mb *real_cred;
        struct signal_struct___mb *signal;
        struct mm_struct___mb *mm;
        __u64 start_boottime;
        char comm[MB_TM_COMM_LEN];
} __pai;

#define PF_KTHREAD 0x00200000

/* The kernel needs a GPL-compatible licence string for the iterator helpers. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";

/*
 * /proc/PID/status sums each counter over the CPUs (get_mm_counter_sum() on
 * recent kernels); percpu_counter.count alone lags by up to the per-CPU
 * batch.  So the per-CPU deltas are added too, for at most MAX_SUM_CPUS
 * CPUs (else `count` alone).  Each CPU's per-CPU area offset is learnt
 * without kallsyms: the address of a per-CPU array map's element on that
 * CPU minus the map's per-CPU base pointer (bpf_array.pptrs[0]).
 */
#define MAX_SUM_CPUS 64
const volatile __u32 nr_cpus = 0; /* set before load: possible CPUs */
static __u64 cpu_off[MAX_SUM_CPUS];
static int cpu_off_state; /* 0 unknown, 1 ready, -1 unusable */

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, __u64);
} pcpu_probe SEC(".maps");

/* A pointer's value as a plain number (the verifier keeps pointers typed). */
static __always_inline __u64 addr_of(const void *p)
{
        __u64 v = 0;

        bpf_probe_read_kernel(&v, sizeof(v), &p);
        return v;
}

static __noinline int learn_cpu_offsets(void)
{
        __u64 map = addr_of(&pcpu_probe), base = 0;
        __u32 zero = 0;

        if (bpf_probe_read_kernel(
                &base, sizeof(base),
                (const void *)(map + bpf_core_field_offset(struct bpf_array___mb, pptrs))) < 0)
                return -1;
        for (__u32 cpu = 0; cpu < MAX_SUM_CPUS && cpu < nr_cpus; cpu++) {
                void *e = bpf_map_lookup_percpu_elem(&pcpu_probe, &zero, cpu);
                if (!e)
                        return -1;
                cpu_off[cpu] = addr_of(e) - base;
        }
        return 1;
}

static __always_inline bool can_sum(void)
{
        if (nr_cpus == 0 || nr_cpus > MAX_SUM_CPUS)
                return false;
        if (cpu_off_state == 0)
                cpu_off_state = learn_cpu_offsets();
        return cpu_off_state > 0;
}

/*
 * The four rss_stat counters (MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS,
 * MM_SHMEMPAGES) into v[]; true when every CPU's delta was added.  Since
 * Linux 6.6 the four per-CPU parts are one allocation
 * (percpu_counter_init_many), so one 16-byte read per CPU fetches them all.
 * Where they are not (6.2 to 6.5), /proc prints the counts without the
 * deltas (get_mm_counter), and so does this.
 */
static __always_inline bool counters(struct mm_struct___mb *mm, bool sum, __s64 v[4])
{
        const char *c0 = (const char *)mm->rss_stat[0].counters;

        /* constant indices: each access is relocated with the kernel's
         * element size, not the local one */
        v[0] = mm->rss_stat[0].count;
        v[1] = mm->rss_stat[1].count;
        v[2] = mm->rss_stat[2].count;
        v[3] = mm->rss_stat[3].count;
        if (!sum || (const char *)mm->rss_stat[1].counters != c0 + 4 ||
            (const char *)mm->rss_stat[2].counters != c0 + 8 ||
            (const char *)mm->rss_stat[3].counters != c0 + 12)
                return false;
        for (__u32 cpu = 0; cpu < MAX_SUM_CPUS && cpu < nr_cpus; cpu++) {
                __s32 d[4] = {};
                bpf_probe_read_kernel(d, sizeof(d), c0 + cpu_off[cpu]);
                for (int i = 0; i < 4; i++)
                        v[i] += d[i];
        }
        return true;
}

/*
 * bpf_rdonly_cast() (Linux 6.2) turns the iterator's trusted task pointer
 * into an untrusted one, read the same way (fault-safe direct loads).  The
 * point is the load time: for every pointer walked from a trusted pointer
 * (task->mm, ->real_parent, ->real_cred, ->signal) the verifier looks up
 * "<type>__safe_trusted" and three sibling names in the kernel's BTF, each a
 * linear scan of ~130k types; that was most of the 5 ms a load took.  One
 * kfunc lookup replaces those sixteen scans.
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* MB_TM_SKIP_* bits, set by user space before it creates a session. */
__u32 skip;

SEC("iter/task")
int taskmem(struct bpf_iter__task *ctx)
{
        struct seq_file *seq = ctx->meta->seq;
        struct task_struct___mb *task;
        struct mb_taskmem_rec r = {};
        struct mm_struct___mb *mm;

        if (!ctx->task)
                return 0;
        task = bpf_rdonly_cast(ctx->task, bpf_core_type_id_kernel(struct task_struct___mb));
        /* Direct loads through the task's BTF pointers (the verifier turns
         * them into fault-safe loads): far cheaper than a probe-read helper
         * call per field, which is what BPF_CORE_READ() would do. */
        r.tgid = task->tgid;
        if (task->pid != r.tgid)
                return 0; /* threads: their leader carries the mm */
        /* Three pointers to chase, three cache misses a process: only
         * when the caller shows or filters on them. */
        if (!(skip & MB_TM_SKIP_IDS)) {
                r.ppid = task->real_parent->tgid;
                r.uid = task->real_cred->uid.val;
                r.nr_threads = task->signal->nr_threads;
        }
        if (task->flags & PF_KTHREAD)
                r.flags |= MB_TM_KTHREAD;
        r.state = task->__state;
        r.exit_state = task->exit_state;
        r.start_boottime = task->start_boottime;
        bpf_probe_read_kernel(&r.comm, sizeof(r.comm), task->comm);
        mm = task->mm;
        if (mm && !(r.flags & MB_TM_KTHREAD)) {
                bool sum = can_sum();

                __s64 v[4];

                sum = counters(mm, sum, v);
                r.flags |= MB_TM_HAS_MM | (sum ? MB_TM_SUMMED : 0);
                r.file = v[MM_FILEPAGES];
                r.anon = v[MM_ANONPAGES];
                r.swapents = v[MM_SWAPENTS];
                r.shmem = v[MM_SHMEMPAGES];
                r.total_vm = mm->total_vm;
                r.hiwater_rss = mm->hiwater_rss;
        }
        bpf_seq_write(seq, &r, sizeof(r));
        return 0;
}
