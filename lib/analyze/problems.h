/*
 * problems.h: the problems engine.  A pure function: a snapshot, the
 * configuration, the target's totals and optional findings from history
 * (leaks) in; findings out (id, title, value, severity, cause, evidence,
 * recommended action).  It never touches the file system.
 *
 * Severity of swap comes from activity (swap-in rate, PSI memory
 * pressure), not from its size (SPEC.md §2).
 */
#ifndef MB_PROBLEMS_H
#define MB_PROBLEMS_H

#include "../collect/snapshot.h"
#include "../config/config.h"
#include "inspect.h"
#include "target.h"

enum mb_severity { MB_SEV_INFO, MB_SEV_MEDIUM, MB_SEV_HIGH, MB_SEV_CRITICAL, MB_SEV_COUNT };

extern const char *const mb_severity_names[MB_SEV_COUNT];

struct mb_finding {
        char id[48]; /* stable: "swap-thrashing", "process-in-swap", ... */
        char title[96];
        enum mb_severity severity;
        char value[96];
        char cause[320];
        char evidence[512];
        char action[320];
        int pid; /* the process concerned, 0 = none */
};

struct mb_findings {
        struct mb_finding *f;
        size_t n, cap;
};

/*
 * Every kind of finding, from one table (mb_finding_defs): its stable id,
 * its usual severity, title and action.  A rule adds a finding of a kind
 * and fills in its value, cause and evidence (and the severity or action
 * where the situation decides them).
 */
enum mb_finding_kind {
        MB_FK_SWAP_THRASHING,
        MB_FK_SWAP_COLD,
        MB_FK_SWAP_EXCEEDS_RAM,
        MB_FK_SWAP_OVER_MAX,
        MB_FK_PROCESS_IN_SWAP,
        MB_FK_PROCESS_IN_SWAP_MORE,
        MB_FK_AVAILABLE_LOW,
        MB_FK_TARGET_NOT_RUNNING,
        MB_FK_TARGET_RAM_OVER,
        MB_FK_TARGET_TOTAL_OVER,
        MB_FK_SWAPPINESS_HIGH,
        MB_FK_SWAPPINESS_NOT_PERSISTED,
        MB_FK_VRAM_OVER,
        MB_FK_CONFIG_VRAM_OVER_DEVICE,
        MB_FK_CONFIG_MEMORY_FRACTION,
        MB_FK_GPU_UNDERUSED,
        MB_FK_CONFIG_WORKERS,
        MB_FK_OTHER_CONSUMERS,
        MB_FK_LARGE_VSZ,
        MB_FK_TARGET_GROWTH_KIND,
        MB_FK_CGROUP_OOM_KILL, /* memory.events oom_kill of the target's / container's cgroup */
        MB_FK_CGROUP_AT_LIMIT, /* memory.events max: the cgroup reached its limit */
        MB_FK_CONTAINER_LIMIT, /* in a container, its limit is nearly used */
        MB_FK_MEMORY_LEAK,     /* from the history (store/history-leaks.h) */
        MB_FK_TARGET_GROWTH,   /* idem: the target's total or process count */
        MB_FK_COUNT
};

struct mb_finding_def {
        const char *id;
        enum mb_severity severity;
        const char *title;
        const char *action;
};

extern const struct mb_finding_def mb_finding_defs[MB_FK_COUNT];

/* One process in swap between two samples: its major faults (pages read
 * back in: from swap, or files) and the change of its VmSwap (a thrashing
 * process reads back as much as is written out: its VmSwap may not move).
 * Not listed: neither changed, it is idle. */
struct mb_swap_delta {
        int pid;
        int64_t delta;  /* VmSwap change, bytes */
        int64_t majflt; /* major faults in between */
};

struct mb_swapper_cgroup {
        int pid;
        char path[256]; /* v2 "0::" path, or the v1 memory controller's */
        bool v2;
        int64_t limit, usage;
        int64_t events_max; /* v2 memory.events "max", v1 memory.failcnt; -1 unknown */
        /* v2 memory.pressure of that cgroup (PSI per cgroup), memory.stat pswpin
         * (-1 unknown): who swaps in, by the cgroup's own counters */
        bool have_psi;
        double psi_some10, psi_full10;
        int64_t pswpin;
        /* its own count of pages read back between the two samples:
         * memory.stat key (mb_cgmem_swapin_counter; NULL = not measured),
         * the increase, over so many seconds */
        const char *swapin_counter;
        int64_t swapin_delta;
        double swapin_s;
};

/* Processes over swap_threshold that the findings name one by one (the rest
 * are counted); diag reads command lines for as many. */
#define MB_PROBLEMS_SWAP_LISTED 10

/* How swap is being used, from rates and pressure. */
enum mb_swap_activity { MB_SWAP_NONE, MB_SWAP_COLD, MB_SWAP_ACTIVE, MB_SWAP_THRASHING };

struct mb_problem_input {
        const struct mb_snapshot *snap;
        const struct mb_config *cfg;
        const struct mb_target *target; /* NULL or !configured: host-wide */
        int persisted_swappiness;       /* -1 = not persisted anywhere / unknown */
        bool persisted_known;           /* the sysctl files could be read */
        const struct mb_finding *extra; /* e.g. leak findings from history */
        size_t nextra;
        /* Growth of one target process by kind of mapping, from two smaps
         * samples (mb_inspect_dominant_growth); NULL when not sampled. */
        const struct mb_inspect_finding *growth;
        int growth_pid;
        const char *growth_name;
        double growth_seconds;
        /* Who swaps: VmSwap changes of the processes in swap between two
         * samples (unknown when !swap_deltas_known: one sample, --no-rates). */
        bool swap_deltas_known;
        const struct mb_swap_delta *swap_deltas; /* any order */
        size_t nswap_deltas;
        double swap_delta_s;
        /* The memory cgroup of the process that swaps in most (mb_swapper_cgroup),
         * or NULL: its path, limit and use (bytes; <= 0 = unknown / none). */
        const struct mb_swapper_cgroup *swapper_cg;
};

enum mb_swap_activity mb_swap_activity(const struct mb_snapshot *s, const struct mb_config *c);

/* Run every rule; findings sorted by severity (highest first), stable.
 * Returns the count (>= 0).  A finding that cannot be stored for lack of
 * memory is left out: the others are still returned. */
int mb_problems_run(const struct mb_problem_input *in, struct mb_findings *ret);

/* Append one finding of a kind (id, severity, title, action from the
 * table), or NULL without memory (used by other analyses, e.g. leaks). */
struct mb_finding *mb_findings_add(struct mb_findings *fs, enum mb_finding_kind kind);
void mb_findings_release(struct mb_findings *fs);

#endif
