/* cmd-status.c: "membudget status": the host's diagnosis in one screen. */
#define _GNU_SOURCE
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/out/json.h"
#include "../lib/out/status.h"
#include "cli-diag.h"
#include "cli.h"

const char cmd_status_help[] =
    "usage: membudget status [--no-rates] [--sample SECONDS] [--top N] [--json]\n"
    "\n"
    "  --no-rates        do not sample swap-in/out rates (no wait)\n"
    "  --sample SECONDS  length of the rate sample (default 0.5)\n"
    "  --top N           how many top consumers to show (default 5)\n";

struct status_opts {
        bool no_rates;
        double sample_s;
        long top;
};

static int parse(int argc, char **argv, struct cli *cli, struct status_opts *o)
{
        enum { OPT_NO_RATES = 0x100, OPT_SAMPLE, OPT_TOP };
        static const struct option longopts[] = {
            {"no-rates", no_argument, NULL, OPT_NO_RATES},
            {"sample", required_argument, NULL, OPT_SAMPLE},
            {"top", required_argument, NULL, OPT_TOP},
            {NULL, 0, NULL, 0},
        };
        int c, r;

        cli_getopt_reset();
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_NO_RATES:
                        o->no_rates = true;
                        break;
                case OPT_SAMPLE:
                        if ((r = cli_opt_double(cli, "--sample", optarg, 0.05, 60, &o->sample_s)))
                                return r;
                        break;
                case OPT_TOP:
                        if ((r = cli_opt_uint(cli, "--top", optarg, 1000000, &o->top)))
                                return r;
                        break;
                default:
                        return cli_bad_option(cli, argc, argv, c);
                }
        }
        if (optind < argc)
                return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
        return 0;
}

int cmd_status(int argc, char **argv, struct cli *cli)
{
        struct status_opts o = {.no_rates = false, .sample_s = 0.5, .top = 5};
        struct cli_diag_req req = {0};
        struct mb_diag d;
        const char *config_path;
        int r, code;

        if ((r = parse(argc, argv, cli, &o)))
                return r;
        req.rates = !o.no_rates;
        req.sample_s = o.sample_s;
        mb_diag_init(&d);
        code = cli_diagnose(cli, &req, &d);
        if (code)
                goto out;
        config_path = cli->config_defaults ? NULL : d.cfg->path;
        if (cli->json) {
                mb_json_print(mb_out_status_json(&d, config_path, (size_t)o.top), cli->out);
        } else {
                struct mb_out_status_opts so = {
                    .config_path = config_path, .top = (size_t)o.top, .no_rates = o.no_rates};
                mb_out_status(cli->out, &d, &so);
        }
out:
        mb_diag_release(&d);
        return code;
}
