/* cli-diag.c: see cli-diag.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/config/config.h"
#include "cli-diag.h"

int cli_diagnose(struct cli *cli, const struct cli_diag_req *req, struct mb_diag *d)
{
        struct mb_error err = {0};
        int r;

        if ((r = cli_config(cli, &d->cfg)))
                return r;
        if ((r = cli_root(cli)))
                return r;
        if (mb_diag_compile(d, d->cfg) < 0)
                return cli_usage_error(cli, "invalid target.match regex '%s'",
                                       d->cfg->target_match);
        d->rates = req->rates;
        d->rate_sample_s = req->sample_s;
        d->extra_scan = req->extra_scan;
        /* Leak suspects from the history, when one is being recorded
         * (quietly: without HOME or a state dir there is simply no history). */
        if (cli->root.live && (cli->state_dir || geteuid() == 0 || getenv("HOME")) &&
            cli_history_path(cli, d->cfg, NULL, false, d->hist_path, sizeof(d->hist_path)))
                d->hist_path[0] = '\0';
        r = mb_diag_sample(d, &cli->root, &err);
        if (r == -ENOMEM)
                return cli_runtime_error(cli, "out of memory");
        if (r < 0)
                return cli_runtime_error(cli, "cannot read %s/%s: %s", cli->root.proc_path,
                                         err.where, err.msg);
        return 0;
}

int cli_history_path(struct cli *cli, const struct mb_config *cfg, const char *override,
                     bool create, char *buf, size_t len)
{
        const char *state;
        int r;

        if (override || cfg->history_path[0]) {
                char dir[1200];
                mb_strlcpy(buf, override ? override : cfg->history_path, len);
                mb_strlcpy(dir, buf, sizeof(dir));
                if (create && access(dirname(dir), F_OK) != 0 && (r = mb_mkdir_p(dir, 0700)) < 0)
                        return cli_runtime_error(cli, "cannot create '%s': %s", dir,
                                                 mb_strerror(r));
                return 0;
        }
        if ((r = cli_state_dir(cli, create, &state)))
                return r;
        snprintf(buf, len, "%s/history.db", state);
        return 0;
}
