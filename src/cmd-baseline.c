/* cmd-baseline.c: "membudget baseline save|show|clear": the "before" column. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <time.h>

#include "../lib/analyze/budget.h"
#include "../lib/out/check.h"
#include "../lib/out/json.h"
#include "../lib/store/baseline.h"
#include "../lib/util/size.h"
#include "cli-diag.h"
#include "cli.h"

const char cmd_baseline_help[] =
    "usage: membudget baseline save|show|clear [--no-rates]\n"
    "\n"
    "  save   measure the success table's metrics now and store them as the \"before\"\n"
    "         column of 'membudget check' (STATE_DIR/baseline.json, mode 0600,\n"
    "         written atomically)\n"
    "  show   print the saved baseline\n"
    "  clear  remove it\n";

int cmd_baseline(int argc, char **argv, struct cli *cli)
{
        enum { OPT_NO_RATES = 0x100 };
        static const struct option longopts[] = {
            {"no-rates", no_argument, NULL, OPT_NO_RATES},
            {NULL, 0, NULL, 0},
        };
        struct cli_diag_req req = {.rates = false, .sample_s = 0.5};
        struct mb_error err = {0};
        struct mb_metrics m;
        struct mb_diag d;
        const char *verb, *state;
        int c, r, code;

        cli_getopt_reset();
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                if (c == OPT_NO_RATES)
                        req.rates = false;
                else
                        return cli_bad_option(cli, argc, argv, c);
        }
        if (optind >= argc)
                return cli_usage_error(cli, "missing verb: save, show or clear");
        verb = argv[optind];
        if (optind + 1 < argc)
                return cli_usage_error(cli, "unexpected argument '%s'", argv[optind + 1]);
        if (strcmp(verb, "save") && strcmp(verb, "show") && strcmp(verb, "clear"))
                return cli_usage_error(cli, "unknown verb '%s' (save, show or clear)", verb);

        if ((code = cli_state_dir(cli, !strcmp(verb, "save"), &state)))
                return code;
        if (!strcmp(verb, "clear")) {
                r = mb_baseline_clear(state);
                if (r < 0 && r != -ENOENT)
                        return cli_runtime_error(cli, "cannot remove the baseline in '%s': %s",
                                                 state, mb_strerror(r));
                if (!cli->json)
                        fprintf(cli->out, "%s\n",
                                r == -ENOENT ? "no baseline" : "baseline removed");
                return CLI_EXIT_OK;
        }

        mb_diag_init(&d);
        code = cli_diagnose(cli, &req, &d);
        if (code)
                goto out;
        mb_metrics_compute(&d.snap, &d.target, d.cfg, &m);
        if (!strcmp(verb, "save")) {
                r = mb_baseline_save(state, &m);
                if (r < 0) {
                        code = cli_runtime_error(cli, "cannot write the baseline in '%s': %s",
                                                 state, mb_strerror(r));
                        goto out;
                }
                mb_out_baseline(cli->out, cli->json, &m);
                if (!cli->json)
                        fprintf(cli->out, "saved to %s/%s\n", state, MB_BASELINE_FILE);
        } else {
                r = mb_baseline_load(state, &m, &err);
                if (r == -ENOENT) {
                        code = cli_runtime_error(cli,
                                                 "no baseline in '%s': run 'membudget "
                                                 "baseline save'",
                                                 state);
                        goto out;
                }
                if (r < 0) {
                        code = cli_runtime_error(cli, "%s:%d:%d: %s", err.where, err.line, err.col,
                                                 err.msg);
                        goto out;
                }
                mb_out_baseline(cli->out, cli->json, &m);
        }
out:
        mb_diag_release(&d);
        return code;
}
