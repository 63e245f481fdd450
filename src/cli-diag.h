/* cli-diag.h: the diagnosis (snapshot + target + findings) shared by commands. */
#ifndef MB_CLI_DIAG_H
#define MB_CLI_DIAG_H

#include "../lib/analyze/problems.h"
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
/*
 * The history file: `override` (--history), monitor.history, or
 * STATE_DIR/history.db.  With `create`, its directory is created (0700).
 * 0, or an exit code after printing why.
 */
int mb_cli_history_path(struct mb_cli *cli, const struct mb_config *cfg, const char *override,
                        bool create, char *buf, size_t len);

#endif
