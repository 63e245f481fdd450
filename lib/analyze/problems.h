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
};

enum mb_swap_activity mb_swap_activity(const struct mb_snapshot *s, const struct mb_config *c);

/* Run every rule; findings sorted by severity (highest first), stable.
 * Returns the count or -ENOMEM. */
int mb_problems_run(const struct mb_problem_input *in, struct mb_findings *ret);

/* Append one finding (used by other analyses, e.g. leaks). */
struct mb_finding *mb_findings_add(struct mb_findings *fs, const char *id, enum mb_severity sev);
void mb_findings_release(struct mb_findings *fs);

#endif
