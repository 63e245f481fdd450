/*
 * taskmem.h: the record the task iterator (taskmem.bpf.c) writes for every
 * thread-group leader, read back by lib/collect/bpf.c.  Shared by the BPF
 * program (types from vmlinux.h) and user space (<linux/types.h>).
 */
#ifndef MB_TASKMEM_H
#define MB_TASKMEM_H

#define MB_TM_COMM_LEN 16

enum mb_tm_flags {
        MB_TM_HAS_MM = 1u << 0,  /* the leader has an mm: counters are valid */
        MB_TM_KTHREAD = 1u << 1, /* PF_KTHREAD */
        MB_TM_SUMMED = 1u << 2,  /* counters include the per-CPU deltas (exact) */
};

/* What a session may leave out (the program's `skip` global). */
enum mb_tm_skip {
        MB_TM_SKIP_IDS = 1u << 0, /* parent tgid, real uid, thread count */
};

struct mb_taskmem_rec {
        __s32 tgid, ppid;
        __u32 uid, flags;
        __u32 state, exit_state; /* task->__state, task->exit_state (raw) */
        __s32 nr_threads;
        __u32 pad;
        __u64 start_boottime; /* ns after boot (suspend included) */
        /* mm counters, in pages: percpu_counter.count plus, with
         * MB_TM_SUMMED, every CPU's delta (what /proc/PID/status prints) */
        __s64 file, anon, swapents, shmem;
        __u64 total_vm, hiwater_rss;
        char comm[MB_TM_COMM_LEN];
};

#endif
