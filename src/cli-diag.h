/* cli-diag.h: the diagnosis (snapshot + target + findings) shared by commands. */
#ifndef MB_CLI_DIAG_H
#define MB_CLI_DIAG_H

#include <jansson.h>

#include "../lib/analyze/inspect.h"
#include "../lib/analyze/problems.h"
#include "../lib/collect/smaps.h"
#include "../lib/collect/diag.h"
#include "cli.h"

struct mb_diag_req {
        bool rates;      /* sample swap-in/out rates */
        double sample_s; /* for that long */
        unsigned extra_scan;
};

struct mb_diag {
        const struct mb_config *cfg;
        struct mb_snapshot snap;
        struct mb_target target;
        struct mb_findings findings;
        int persisted_swappiness; /* value after reboot by the sysctl files; -1 = none */
        bool persisted_known;     /* the sysctl files were read (live host) */
        regex_t re;
        bool have_re;
};

void mb_diag_init(struct mb_diag *d);
void mb_diag_release(struct mb_diag *d);
/* 0, or an exit code after printing the one-line error. */
int mb_cli_diagnose(struct mb_cli *cli, const struct mb_diag_req *req, struct mb_diag *d);
void mb_sleep_until(double mono_deadline);
/* The `status --json` document (also serve's /api/snapshot); caller owns it. */
json_t *mb_status_json(const struct mb_cli *cli, const struct mb_diag *d, size_t top_n);
/* vm.swappiness after a reboot, from the sysctl files in load order
 * (-1: none sets it).  0, or -errno when they could not be read. */
int mb_cli_persisted_swappiness(int *ret);
/*
 * The history file: `override` (--history), monitor.history, or
 * STATE_DIR/history.db.  With `create`, its directory is created (0700).
 * 0, or an exit code after printing why.
 */
int mb_cli_history_path(struct mb_cli *cli, const struct mb_config *cfg, const char *override,
                        bool create, char *buf, size_t len);

/*
 * Which kind of mapping grows in the target's largest process: two smaps
 * samples of that one process (same pid and start time), some time apart,
 * through inspect's analysis.  Used by the daemon for the problems engine.
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

#endif
