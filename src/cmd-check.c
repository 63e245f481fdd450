/* cmd-check.c: "membudget check": the plan's success table and checklist. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/act/cgroup.h"
#include "../lib/analyze/budget.h"
#include "../lib/out/json.h"
#include "../lib/out/table.h"
#include "../lib/store/baseline.h"
#include "../lib/util/size.h"
#include "cli-diag.h"
#include "cli.h"

const char cmd_check_help[] =
    "usage: membudget check [--no-rates] [--json]\n"
    "\n"
    "The plan's success table: metric, before (the saved baseline), target (from the\n"
    "configuration), now, status (OK / WARN within 10 % of the line / FAIL / N/A);\n"
    "then the checklist: swappiness applied and persisted, the target under a memory\n"
    "limit, monitoring recorded in the last hour.\n"
    "Exit status: 0 when every target is met, 1 otherwise.\n"
    "\n"
    "  --no-rates        do not sample swap rates (no wait)\n";

struct check_item {
        const char *item;
        bool done;
        char detail[1600];
        char how[256];
};

/*
 * Is the cgroup at `path` (or a parent) limited below `ram` (MemTotal)?  v1
 * memory controller or v2.  A limit at or above RAM limits nothing: it is
 * named in `detail` and the parents are looked at.
 */
static void checklist(struct mb_cli *cli, const struct mb_diag *d, const char *state,
                      struct check_item *items)
{
        const struct mb_snapshot *s = &d->snap;
        const struct mb_config *c = d->cfg;
        struct stat st;
        char path[1200];
        double newest = 0;

        /* 1. swappiness applied and persisted */
        items[0].item = "vm.swappiness applied and persisted in /etc/sysctl.d";
        items[0].done = s->have_swappiness && s->swappiness == c->vm_swappiness &&
                        d->persisted_swappiness == c->vm_swappiness;
        if (!d->persisted_known)
                snprintf(items[0].detail, sizeof(items[0].detail),
                         "now %d, wanted %d; sysctl files not read for a captured tree",
                         s->have_swappiness ? s->swappiness : -1, c->vm_swappiness);
        else if (d->persisted_swappiness < 0)
                snprintf(items[0].detail, sizeof(items[0].detail),
                         "now %d, wanted %d; no sysctl file sets it (kernel default 60 after "
                         "reboot)",
                         s->have_swappiness ? s->swappiness : -1, c->vm_swappiness);
        else
                snprintf(items[0].detail, sizeof(items[0].detail),
                         "now %d, %d after reboot, wanted %d",
                         s->have_swappiness ? s->swappiness : -1, d->persisted_swappiness,
                         c->vm_swappiness);
        snprintf(items[0].how, sizeof(items[0].how), "membudget tune --apply");

        /* 2. the target under a memory limit */
        items[1].item = "target under a memory limit (cgroup)";
        if (!d->target.configured || d->target.nprocs == 0) {
                snprintf(items[1].detail, sizeof(items[1].detail), "%s",
                         d->target.configured ? "target not running" : "no target configured");
                snprintf(items[1].how, sizeof(items[1].how),
                         "set target.match or target.unit in the configuration");
        } else {
                items[1].detail[0] = '\0';
                items[1].done = mb_target_all_limited(cli->root.sys_fd, &s->procs, s->mem.total,
                                                      items[1].detail, sizeof(items[1].detail));
                if (!items[1].done && !items[1].detail[0])
                        snprintf(items[1].detail, sizeof(items[1].detail),
                                 "no memory limit on the target's cgroups");
                snprintf(items[1].how, sizeof(items[1].how), "%s",
                         c->target_unit[0] ? "membudget limit --unit UNIT --max SIZE --apply"
                                           : "membudget limit --match REGEX --max SIZE --apply");
        }

        /* 3. monitoring recorded in the last hour */
        items[2].item = "monitoring recorded in the last hour";
        if (mb_cli_history_path(cli, c, NULL, false, path, sizeof(path) - 4))
                snprintf(path, sizeof(path), "%s/history.db", state);
        if (stat(path, &st) == 0)
                newest = (double)st.st_mtime;
        strncat(path, "-wal", sizeof(path) - strlen(path) - 1);
        if (stat(path, &st) == 0 && (double)st.st_mtime > newest)
                newest = (double)st.st_mtime;
        path[strlen(path) - 4] = '\0';
        items[2].done = newest > 0 && s->wall - newest < 3600;
        if (newest > 0)
                snprintf(items[2].detail, sizeof(items[2].detail), "%s written %.0f min ago", path,
                         (s->wall - newest) / 60);
        else
                snprintf(items[2].detail, sizeof(items[2].detail), "no history at %s", path);
        snprintf(items[2].how, sizeof(items[2].how),
                 "membudget watch --record (or membudget serve with monitor.record)");
}

static json_t *jnum(const struct mb_metric *m, bool have, double v)
{
        if (!have)
                return json_null();
        return m->bytes ? json_integer((json_int_t)v) : json_real(v);
}

static void fmt_value(const struct mb_metric *m, bool have, double v, char *buf, size_t len)
{
        if (!have)
                snprintf(buf, len, "-");
        else if (m->bytes)
                mb_size_format((int64_t)v, buf, len);
        else
                snprintf(buf, len, "%.0f", v);
}

int cmd_check(int argc, char **argv, struct mb_cli *cli)
{
        enum { OPT_NO_RATES = 0x100 };
        static const struct option longopts[] = {
            {"no-rates", no_argument, NULL, OPT_NO_RATES},
            {NULL, 0, NULL, 0},
        };
        struct mb_diag_req req = {.rates = true, .sample_s = 0.5, .extra_scan = MB_SCAN_CGROUP};
        struct check_item items[3];
        struct mb_metrics m, base;
        struct mb_error err = {0};
        struct mb_diag d;
        const char *state = NULL;
        bool have_base = false;
        int c, r, code;

        mb_getopt_reset();
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                if (c == OPT_NO_RATES)
                        req.rates = false;
                else
                        return mb_bad_option(cli, argc, argv, c);
        }
        if (optind < argc)
                return mb_usage_error(cli, "unexpected argument '%s'", argv[optind]);

        mb_diag_init(&d);
        code = mb_cli_diagnose(cli, &req, &d);
        if (code)
                goto out;
        if ((code = mb_cli_state_dir(cli, false, &state)))
                goto out;
        mb_metrics_compute(&d.snap, &d.target, d.cfg, &m);
        base = m;
        r = mb_baseline_load(state, &base, &err);
        if (r == 0) {
                mb_metrics_set_before(&m, &base);
                have_base = true;
        } else if (r != -ENOENT) {
                mb_warn("baseline ignored: %s:%d:%d: %s", err.where, err.line, err.col, err.msg);
        }
        memset(items, 0, sizeof(items));
        checklist(cli, &d, state, items);
        code = mb_metrics_all_met(&m) ? MB_EXIT_OK : MB_EXIT_CHECK;

        if (cli->json) {
                json_t *j = json_object(), *ma = json_array(), *ca = json_array();
                for (int i = 0; i < MB_M_COUNT; i++) {
                        const struct mb_metric *x = &m.m[i];
                        json_array_append_new(
                            ma, json_pack("{s:s,s:s,s:o,s:o,s:o,s:s,s:s}", "metric", x->id, "label",
                                          x->label, "before", jnum(x, x->have_before, x->before),
                                          "target", jnum(x, x->has_target, x->target), "now",
                                          jnum(x, x->have, x->now), "target_is",
                                          x->at_most ? "max" : "min", "status",
                                          mb_mstatus_names[x->status]));
                }
                for (int i = 0; i < 3; i++)
                        json_array_append_new(ca, json_pack("{s:s,s:b,s:o,s:s}", "item",
                                                            items[i].item, "done", items[i].done,
                                                            "detail", mb_json_str(items[i].detail),
                                                            "how", items[i].how));
                json_object_set_new(j, "metrics", ma);
                json_object_set_new(j, "checklist", ca);
                json_object_set_new(j, "baseline_time",
                                    have_base ? json_real(base.time) : json_null());
                json_object_set_new(j, "passed", json_boolean(code == MB_EXIT_OK));
                mb_json_print(j, cli->out);
        } else {
                struct mb_table t;
                char a[MB_SIZE_STRLEN];
                mb_table_init(&t);
                mb_table_col(&t, "METRIC", false, 0);
                mb_table_col(&t, "BEFORE", true, 0);
                mb_table_col(&t, "TARGET", true, 0);
                mb_table_col(&t, "NOW", true, 0);
                mb_table_col(&t, "STATUS", false, 0);
                for (int i = 0; i < MB_M_COUNT; i++) {
                        const struct mb_metric *x = &m.m[i];
                        if (!x->has_target && !x->have)
                                continue;
                        mb_table_cell(&t, x->label);
                        fmt_value(x, x->have_before, x->before, a, sizeof(a));
                        mb_table_cell(&t, a);
                        fmt_value(x, x->has_target, x->target, a, sizeof(a));
                        mb_table_cellf(&t, "%s %s", x->has_target ? (x->at_most ? "<=" : ">=") : "",
                                       a);
                        fmt_value(x, x->have, x->now, a, sizeof(a));
                        mb_table_cell(&t, a);
                        mb_table_cell(&t, mb_mstatus_names[x->status]);
                }
                mb_table_print(&t, cli->out, true);
                mb_table_release(&t);
                if (!have_base)
                        fputs("(no baseline: 'membudget baseline save' records the \"before\" "
                              "column)\n",
                              cli->out);
                fputs("\nChecklist\n", cli->out);
                for (int i = 0; i < 3; i++) {
                        fprintf(cli->out, "  [%s] %s: ", items[i].done ? "x" : " ", items[i].item);
                        mb_print_clean(cli->out, items[i].detail);
                        if (!items[i].done)
                                fprintf(cli->out, "\n      how: %s", items[i].how);
                        fputc('\n', cli->out);
                }
                fprintf(cli->out, "\n%s\n",
                        code == MB_EXIT_OK ? "every target met" : "some targets missed");
        }
out:
        mb_diag_release(&d);
        return code;
}
