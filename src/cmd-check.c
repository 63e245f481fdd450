/* cmd-check.c: "membudget check": the plan's success table and checklist. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../lib/out/check.h"
#include "../lib/out/json.h"
#include "../lib/store/baseline.h"
#include "cli-diag.h"
#include "cli.h"

const char cmd_check_help[] =
    "usage: membudget check [--no-rates] [--json]\n"
    "\n"
    "The plan's success table: metric, before (the saved baseline), target (from the\n"
    "configuration), now, status (OK / WARN within 10 % of the line / FAIL / N/A);\n"
    "then the checklist: swappiness applied and persisted, the target under a memory\n"
    "limit, monitoring recorded in the last hour (the history's last sample); the\n"
    "leak suspects when a history is recorded.\n"
    "Exit status: 0 when every target is met, 1 otherwise.\n"
    "\n"
    "  --no-rates        do not sample swap rates (no wait)\n";

int cmd_check(int argc, char **argv, struct cli *cli)
{
        enum { OPT_NO_RATES = 0x100 };
        static const struct option longopts[] = {
            {"no-rates", no_argument, NULL, OPT_NO_RATES},
            {NULL, 0, NULL, 0},
        };
        struct cli_diag_req req = {.rates = true, .sample_s = 0.5, .extra_scan = MB_SCAN_CGROUP};
        struct mb_check_item items[MB_CHECK_COUNT];
        struct mb_out_check doc = {0};
        char hpath[1200];
        struct mb_metrics m, base;
        struct mb_error err = {0};
        struct mb_diag d;
        const char *state = NULL;
        bool have_base = false;
        int c, r, code;

        cli_getopt_reset();
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                if (c == OPT_NO_RATES)
                        req.rates = false;
                else
                        return cli_bad_option(cli, argc, argv, c);
        }
        if (optind < argc)
                return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);

        mb_diag_init(&d);
        code = cli_diagnose(cli, &req, &d);
        if (code)
                goto out;
        if ((code = cli_state_dir(cli, false, &state)))
                goto out;
        mb_metrics_compute(&d.snap, &d.target, d.cfg, &m);
        base = m;
        r = mb_baseline_load(state, &base, &err);
        if (r == 0) {
                mb_metrics_set_before(&m, &base);
                have_base = true;
        } else if (r != -ENOENT) {
                cli_warn("baseline ignored: %s:%d:%d: %s", err.where, err.line, err.col, err.msg);
        }
        if (cli_history_path(cli, d.cfg, NULL, false, hpath, sizeof(hpath)))
                snprintf(hpath, sizeof(hpath), "%s/history.db", state);
        mb_check_items(&cli->root, &d, hpath, items);
        doc.m = &m;
        doc.have_base = have_base;
        doc.base_time = base.time;
        doc.items = items;
        doc.findings = &d.findings;
        doc.passed = mb_metrics_all_met(&m);
        code = doc.passed ? CLI_EXIT_OK : CLI_EXIT_CHECK;
        if (cli->json)
                mb_json_print(mb_out_check_json(&doc), cli->out);
        else
                mb_out_check(cli->out, &doc);
out:
        mb_diag_release(&d);
        return code;
}
