/*
 * diag.h: the diagnosis, one stateful sampler for every command that
 * diagnoses.  A sample is: the snapshot (take.h) with the target's totals,
 * the swap rates, the persisted vm.swappiness, the growth of the target's
 * largest process, leak suspects from the history, and the findings of the
 * problems engine.
 *
 * status, check, baseline and config plan take one sample (the rates are
 * measured over rate_sample_s); watch and serve take one per tick and keep
 * what lies between samples: the previous vmstat (rates), the growth
 * samples, the leak schedule.  The history tick record of both (one
 * function: mb_diag_tick_record) is written from a sample.
 *
 * Layering: lib/diag sits on collect, analyze, store and config; nothing
 * below includes it.  Nothing here prints: errors come back as -errno with
 * a struct mb_error.
 */
#ifndef MB_DIAG_H
#define MB_DIAG_H

#include <regex.h>

#include "../analyze/inspect.h"
#include "../analyze/period.h"
#include "../analyze/problems.h"
#include "../collect/smaps.h"
#include "../store/history.h"
#include "take.h"

/*
 * Which kind of mapping grows in the target's largest process: two smaps
 * samples of that one process (same pid and start time), some time apart,
 * through inspect's analysis.
 */
struct mb_growth {
        struct mb_smaps smaps;
        struct mb_inspect prev, cur;
        bool have_prev;
        int pid;
        uint64_t start;
        double t;
        char name[64];
        bool have_finding;
        struct mb_inspect_finding finding;
        double seconds; /* between the two samples of the finding */
};

void mb_growth_init(struct mb_growth *g);
void mb_growth_release(struct mb_growth *g);
/* Sample the largest target process of s (needs MB_SCAN_STAT); at `now`. */
void mb_growth_sample(struct mb_growth *g, struct mb_root *root, const struct mb_snapshot *s,
                      double now);
/* Fill the problems input from the last finding (nothing when none). */
void mb_growth_input(const struct mb_growth *g, struct mb_problem_input *in);

/* A process in swap at one sample (to find who swaps between two). */
struct mb_diag_swapped {
        int pid;
        uint64_t starttime;
        int64_t swap;   /* VmSwap, bytes; MB_UNKNOWN: gone */
        int64_t majflt; /* major faults so far; -1: unknown */
};

/* At most so many processes in swap are followed from sample to sample. */
#define MB_DIAG_SWAPPED_MAX 512

/* A memory cgroup of processes in swap, with its swap-in count (to measure
 * the rate of the one that swaps in most at the next sample). */
struct mb_diag_cgmark {
        char path[256];
        bool v2;
        const char *counter; /* memory.stat key (mb_cgmem_swapin_counter) */
        int64_t count;
};

/* At most so many memory cgroups are followed from sample to sample. */
#define MB_DIAG_CGMARK_MAX 32

struct mb_diag {
        /* Set by the caller (mb_diag_init zeroes them). */
        const struct mb_config *cfg;
        const regex_t *target_match; /* overrides target.match (watch --target) */
        unsigned extra_scan;         /* more MB_SCAN_* flags */
        size_t cmdlines;             /* command lines read for as many (take.h) */
        bool rates;                  /* measure swap-in/out rates */
        double rate_sample_s;        /* first sample: over this long (0: from the next) */
        bool lazy_gpu_procs;         /* per-process GPU memory once a device was seen */
        double growth_every_s;       /* > 0: smaps of the target's largest process */
        double leak_every_s;         /* leak suspects at most this often (0: every sample) */
        struct mb_history *hist;     /* leak suspects from this open history, or */
        char hist_path[1200];        /* from this file ("" = none) */

        /* The last sample. */
        struct mb_snapshot snap;
        struct mb_target target;
        struct mb_findings findings;
        int persisted_swappiness;     /* value after reboot by the sysctl files; -1 = none */
        bool persisted_known;         /* the sysctl files were read (live host or etc root) */
        struct mb_report_leak *leaks; /* suspects of the last leak pass */
        size_t nleaks;

        /* Between samples. */
        regex_t re; /* compiled target.match (mb_diag_compile) */
        bool have_re;
        struct mb_vmstat prev_vm;
        double prev_mono;
        bool have_prev;
        bool gpu_seen;
        struct mb_growth growth;
        double next_growth;
        double next_leaks;
        bool leaks_done;
        struct mb_findings leak_findings;
        struct mb_swap_delta *deltas; /* who swaps: VmSwap changes (problems.h) */
        size_t ndeltas, deltas_cap;
        bool deltas_known;
        double deltas_s;
        struct mb_swapper_cgroup swapper_cg; /* the memory cgroup of who swaps in most */
        bool have_swapper_cg;
        struct mb_diag_swapped *swapped; /* processes in swap at the last sample */
        size_t nswapped, swapped_cap;
        double swapped_mono;
        struct mb_diag_cgmark cgmarks[MB_DIAG_CGMARK_MAX]; /* their memory cgroups */
        size_t ncgmarks;
        double cgmarks_mono;
        struct mb_history_proc *recs; /* the tick record's processes */
        size_t recs_cap;
};

void mb_diag_init(struct mb_diag *d);
void mb_diag_release(struct mb_diag *d);

/* Compile cfg->target_match into d->re (again after a reload).  0, or
 * -EINVAL (the regex is bad: nothing changed). */
int mb_diag_compile(struct mb_diag *d, const struct mb_config *cfg);

/*
 * Take one sample from `root` and diagnose it.  0, -ENOMEM, or -errno with
 * err filled when /proc/meminfo or the process list could not be read.
 */
int mb_diag_sample(struct mb_diag *d, struct mb_root *root, struct mb_error *err);

/* vm.swappiness after a reboot, from the sysctl files under `etc_root` in
 * load order (-1: none sets it).  0, or -errno when they could not be read. */
int mb_diag_persisted_swappiness(const char *etc_root, int *ret);

/*
 * The history record of one tick: the host row, and the processes: the
 * `top_n` largest consumers and every process of the target (kernel threads
 * and processes whose RSS could not be read are left out).  VRAM sums the
 * devices whose total and use are both known.  The target's RAM is its RAM
 * as the diagnosis counts it (PSS, RSS where PSS is unreadable).  `procs`
 * has room for s->procs.n rows; returns how many were filled.  Pure.
 */
size_t mb_diag_tick_record(const struct mb_snapshot *s, const struct mb_target *tg, size_t top_n,
                           struct mb_history_host *h, struct mb_history_proc *procs);

/* Write the last sample's tick record into `h`.  0 or -errno (err filled). */
int mb_diag_record(struct mb_diag *d, struct mb_history *h, size_t top_n, struct mb_error *err);

/* Sleep until the monotonic clock reaches `mono_deadline`. */
void mb_sleep_until(double mono_deadline);

#endif
