/* act-common.c: plan rendering and apply for tune, limit and undo. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "../lib/collect/system.h"
#include "../lib/out/json.h"
#include "../lib/out/plan.h"
#include "../lib/out/table.h"
#include "act-common.h"

int act_plan_show(struct cli *cli, const struct mb_plan *p, bool apply)
{
        return act_plan_show_hint(cli, p, apply, "add --apply as root");
}

int act_plan_show_hint(struct cli *cli, const struct mb_plan *p, bool apply, const char *hint)
{
        if (cli->json) {
                json_t *j = mb_out_plan_json(p);
                json_object_set_new(j, "applied", json_boolean(apply));
                mb_json_print(j, cli->out);
        } else {
                mb_out_plan(cli->out, p, apply, hint);
        }
        return CLI_EXIT_OK;
}

static void on_progress(void *arg, const char *msg)
{
        struct cli *cli = arg;

        fprintf(stderr, "membudget %s: ", cli->cmd);
        mb_print_clean(stderr, msg);
        fputc('\n', stderr);
}

/* OOM kills so far (/proc/vmstat oom_kill: every kill, memory cgroups'
 * included); -1 when unknown. */
static int64_t oom_kills(struct cli *cli)
{
        struct mb_vmstat vs;

        if (!cli->root_open && cli_root(cli) != 0)
                return -1;
        if (mb_vmstat_read(&cli->root, &vs, NULL) < 0)
                return -1;
        return (int64_t)vs.oom_kill;
}

int act_apply(struct cli *cli, struct mb_plan *p, bool rollback)
{
        return act_apply_with(cli, p, rollback, NULL, NULL);
}

int act_apply_with(struct cli *cli, struct mb_plan *p, bool rollback, act_apply_fn fn, void *arg)
{
        int64_t oom0, oom1;
        struct mb_apply_ctx ctx = {0};
        struct mb_journal j;
        const char *state;
        char msg[4096];
        int r;

        r = mb_plan_check(p, geteuid() == 0, msg, sizeof(msg));
        if (r < 0)
                return cli_runtime_error(cli, "%s; nothing changed", msg);
        if (mb_plan_todo(p) == 0 && !rollback) {
                /* undo of records that need no action: still mark them */
        } else if (mb_plan_todo(p) == 0) {
                if (!cli->json)
                        fprintf(cli->out, "already in place: nothing changed\n");
                return CLI_EXIT_OK;
        }
        if ((r = cli_state_dir(cli, true, &state)))
                return r;
        r = mb_journal_open(&j, state);
        if (r < 0)
                return cli_runtime_error(cli, "cannot open the journal '%s': %s; nothing changed",
                                         j.path, j.why[0] ? j.why : mb_strerror(r));
        if (j.repaired)
                cli_warn("%s: its last record was torn (crash or full disk): cut off", j.path);
        oom0 = oom_kills(cli);
        ctx.journal = &j;
        ctx.proc_root = cli->proc_root;
        ctx.rollback = rollback;
        ctx.progress = on_progress;
        ctx.arg = cli;
        r = fn ? fn(p, &ctx, arg) : mb_plan_apply(p, &ctx);
        mb_journal_close(&j);
        if (r < 0) {
                if (rollback)
                        return cli_runtime_error(cli, "%s; changes made so far were rolled back",
                                                 ctx.msg);
                return cli_runtime_error(cli, "%s (%zu change%s done before)", ctx.msg, ctx.applied,
                                         ctx.applied == 1 ? "" : "s");
        }
        if (!cli->json)
                fprintf(cli->out, "%s %zu change%s (run %s, journal %s/%s)\n",
                        rollback ? "applied" : "reverted", ctx.applied, ctx.applied == 1 ? "" : "s",
                        j.run, state, MB_JOURNAL_FILE);
        oom1 = oom_kills(cli);
        if (oom0 >= 0 && oom1 > oom0)
                return cli_runtime_error(cli,
                                         "the kernel OOM-killed %lld process%s while the changes "
                                         "were made (/proc/vmstat oom_kill; see dmesg)",
                                         (long long)(oom1 - oom0), oom1 - oom0 == 1 ? "" : "es");
        return CLI_EXIT_OK;
}

int act_plan_apply(struct cli *cli, struct mb_plan *p, bool apply, bool rollback, act_apply_fn fn,
                   void *arg)
{
        int r;

        if (!apply)
                return act_plan_show(cli, p, false);
        if (!cli->json)
                act_plan_show(cli, p, true);
        r = act_apply_with(cli, p, rollback, fn, arg);
        if (cli->json && r == CLI_EXIT_OK)
                act_plan_show(cli, p, true);
        return r;
}
