// SPDX-License-Identifier: MIT
/*
 * taskmem.bpf.c: one pass over every task (SEC("iter/task")), writing one
 * struct mb_taskmem_rec per thread-group leader: the mm_struct counters that
 * /proc/PID/status prints as VmRSS (file + anon + shmem), RssAnon, RssFile,
 * RssShmem, VmSwap (MM_SWAPENTS), VmSize (total_vm) and VmHWM, plus comm,
 * tgid, parent tgid, real uid, state, thread count and start time.
 *
 * CO-RE: built against vmlinux.h generated from the build host's BTF; field
 * offsets are relocated at load time.  Needs mm->rss_stat as an array of
 * percpu_counter (Linux 6.2 and later); elsewhere the load fails and the
 * caller falls back to /proc.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "taskmem.h"

#define PF_KTHREAD 0x00200000

/* The kernel needs a GPL-compatible licence string for the iterator helpers. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";

static __always_inline __s64 counter(struct mm_struct *mm, int i)
{
        return BPF_CORE_READ(mm, rss_stat[i].count);
}

SEC("iter/task")
int taskmem(struct bpf_iter__task *ctx)
{
        struct seq_file *seq = ctx->meta->seq;
        struct task_struct *task = ctx->task;
        struct mb_taskmem_rec r = {};
        struct mm_struct *mm;

        if (!task)
                return 0;
        r.tgid = BPF_CORE_READ(task, tgid);
        if (BPF_CORE_READ(task, pid) != r.tgid)
                return 0; /* threads: their leader carries the mm */
        r.ppid = BPF_CORE_READ(task, real_parent, tgid);
        r.uid = BPF_CORE_READ(task, real_cred, uid.val);
        if (BPF_CORE_READ(task, flags) & PF_KTHREAD)
                r.flags |= MB_TM_KTHREAD;
        r.state = BPF_CORE_READ(task, __state);
        r.exit_state = BPF_CORE_READ(task, exit_state);
        r.nr_threads = BPF_CORE_READ(task, signal, nr_threads);
        r.start_boottime = BPF_CORE_READ(task, start_boottime);
        BPF_CORE_READ_STR_INTO(&r.comm, task, comm);
        mm = BPF_CORE_READ(task, mm);
        if (mm && !(r.flags & MB_TM_KTHREAD)) {
                r.flags |= MB_TM_HAS_MM;
                r.file = counter(mm, MM_FILEPAGES);
                r.anon = counter(mm, MM_ANONPAGES);
                r.swapents = counter(mm, MM_SWAPENTS);
                r.shmem = counter(mm, MM_SHMEMPAGES);
                r.total_vm = BPF_CORE_READ(mm, total_vm);
                r.hiwater_rss = BPF_CORE_READ(mm, hiwater_rss);
        }
        bpf_seq_write(seq, &r, sizeof(r));
        return 0;
}
