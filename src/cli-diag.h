/* cli-diag.h: the CLI's side of the diagnosis (lib/diag/diag.h): options,
 * configuration and history path in, one-line errors out. */
#ifndef CLI_DIAG_H
#define CLI_DIAG_H

#include "../lib/diag/diag.h"
#include "cli.h"

struct cli_diag_req {
        bool rates;      /* sample swap-in/out rates */
        double sample_s; /* for that long */
        unsigned extra_scan;
};

/* One sample into d (mb_diag_init'ed): 0, or an exit code after printing
 * the one-line error. */
int cli_diagnose(struct cli *cli, const struct cli_diag_req *req, struct mb_diag *d);
/*
 * The history file: `override` (--history), monitor.history, or
 * STATE_DIR/history.db.  With `create`, its directory is created (0700).
 * 0, or an exit code after printing why.
 */
int cli_history_path(struct cli *cli, const struct mb_config *cfg, const char *override,
                     bool create, char *buf, size_t len);

#endif
