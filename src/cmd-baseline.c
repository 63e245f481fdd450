/* cmd-baseline.c: "membudget baseline save|show|clear": the "before" column. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <time.h>

#include "../lib/analyze/budget.h"
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

static void print_metrics(struct mb_cli *cli, const struct mb_metrics *m)
{
        char when[64], a[MB_SIZE_STRLEN];
        time_t t = (time_t)m->time;
        struct tm tm;

        if (cli->json) {
                json_t *j = json_object(), *o = json_object();
                for (int i = 0; i < MB_M_COUNT; i++)
                        json_object_set_new(o, m->m[i].id,
                                            m->m[i].have ? json_real(m->m[i].now) : json_null());
                json_object_set_new(j, "time", json_real(m->time));
                json_object_set_new(j, "metrics", o);
                mb_json_print(j, cli->out);
                return;
        }
        localtime_r(&t, &tm);
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
        fprintf(cli->out, "baseline of %s\n", when);
        for (int i = 0; i < MB_M_COUNT; i++) {
                const struct mb_metric *x = &m->m[i];
                if (!x->have)
                        continue;
                if (x->bytes)
                        fprintf(cli->out, "  %-20s %s\n", x->label,
                                mb_size_format((int64_t)x->now, a, sizeof(a)));
                else
                        fprintf(cli->out, "  %-20s %.0f\n", x->label, x->now);
        }
}

int cmd_baseline(int argc, char **argv, struct mb_cli *cli)
{
        enum { OPT_NO_RATES = 0x100 };
        static const struct option longopts[] = {
            {"no-rates", no_argument, NULL, OPT_NO_RATES},
            {NULL, 0, NULL, 0},
        };
        struct mb_diag_req req = {.rates = false, .sample_s = 0.5};
        struct mb_error err = {0};
        struct mb_metrics m;
        struct mb_diag d;
        const char *verb, *state;
        int c, r, code;

        mb_getopt_reset();
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                if (c == OPT_NO_RATES)
                        req.rates = false;
                else
                        return mb_bad_option(cli, argc, argv, c);
        }
        if (optind >= argc)
                return mb_usage_error(cli, "missing verb: save, show or clear");
        verb = argv[optind];
        if (optind + 1 < argc)
                return mb_usage_error(cli, "unexpected argument '%s'", argv[optind + 1]);
        if (strcmp(verb, "save") && strcmp(verb, "show") && strcmp(verb, "clear"))
                return mb_usage_error(cli, "unknown verb '%s' (save, show or clear)", verb);

        if ((code = mb_cli_state_dir(cli, !strcmp(verb, "save"), &state)))
                return code;
        if (!strcmp(verb, "clear")) {
                r = mb_baseline_clear(state);
                if (r < 0 && r != -ENOENT)
                        return mb_runtime_error(cli, "cannot remove the baseline in '%s': %s",
                                                state, mb_strerror(r));
                if (!cli->json)
                        fprintf(cli->out, "%s\n",
                                r == -ENOENT ? "no baseline" : "baseline removed");
                return MB_EXIT_OK;
        }

        mb_diag_init(&d);
        code = mb_cli_diagnose(cli, &req, &d);
        if (code)
                goto out;
        mb_metrics_compute(&d.snap, &d.target, d.cfg, &m);
        if (!strcmp(verb, "save")) {
                r = mb_baseline_save(state, &m);
                if (r < 0) {
                        code = mb_runtime_error(cli, "cannot write the baseline in '%s': %s", state,
                                                mb_strerror(r));
                        goto out;
                }
                print_metrics(cli, &m);
                if (!cli->json)
                        fprintf(cli->out, "saved to %s/%s\n", state, MB_BASELINE_FILE);
        } else {
                r = mb_baseline_load(state, &m, &err);
                if (r == -ENOENT) {
                        code = mb_runtime_error(cli,
                                                "no baseline in '%s': run 'membudget "
                                                "baseline save'",
                                                state);
                        goto out;
                }
                if (r < 0) {
                        code = mb_runtime_error(cli, "%s:%d:%d: %s", err.where, err.line, err.col,
                                                err.msg);
                        goto out;
                }
                print_metrics(cli, &m);
        }
out:
        mb_diag_release(&d);
        return code;
}
