/* cmd-config-plan.c: "membudget config plan": the application knobs that fit
 * the budget (lib/diag/confplan.c), measured on the running target. */
#define _GNU_SOURCE
#include "../lib/diag/confplan.h"
#include "../lib/out/config.h"
#include "../lib/out/json.h"
#include "cli-diag.h"
#include "cli.h"

int cli_cmd_config_plan(int argc, char **argv, struct cli *cli)
{
        struct cli_diag_req req = {.rates = false};
        const struct mb_target *tg;
        struct mb_diag d;
        struct mb_config_plan p;
        int code;

        cli_getopt_reset();
        if (getopt_long(argc, argv, ":", (const struct option[]){{NULL, 0, NULL, 0}}, NULL) != -1)
                return cli_bad_option(cli, argc, argv, '?');
        if (optind < argc)
                return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);

        mb_diag_init(&d);
        code = cli_diagnose(cli, &req, &d);
        if (code)
                goto out;
        tg = &d.target;
        if (!tg->configured) {
                code = cli_runtime_error(cli, "config plan needs a target (target.match or "
                                              "target.unit) to measure");
                goto out;
        }
        if (tg->nprocs == 0 || tg->worker_median == MB_UNKNOWN || tg->worker_median <= 0) {
                code = cli_runtime_error(cli, "config plan: the target is not running; start it, "
                                              "then plan");
                goto out;
        }
        mb_config_plan_compute(&d, &p);
        if (cli->json)
                mb_json_print(mb_out_config_plan_json(&d, &p), cli->out);
        else
                mb_out_config_plan_text(cli->out, &d, &p);
out:
        mb_diag_release(&d);
        return code;
}
