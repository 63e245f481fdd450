/* cmd-undo.c: "membudget undo": revert changes recorded in the journal. */
#define _GNU_SOURCE
#include <string.h>

#include "../lib/act/sysctl.h"
#include "act-common.h"

const char cmd_undo_help[] =
    "usage: membudget undo [--last | --all] [--dry-run]\n"
    "\n"
    "Reverts changes recorded in the journal (STATE_DIR/journal.jsonl), newest first.\n"
    "\n"
    "  --last      every change of the last command run that applied changes (default)\n"
    "  --all       every change not yet undone\n"
    "  --dry-run   print what would be reverted, change nothing\n";

struct undo_opts {
        bool all, last, dry;
};

static int parse(int argc, char **argv, struct cli *cli, struct undo_opts *o)
{
        enum { OPT_LAST = 0x100, OPT_ALL, OPT_DRY };
        static const struct option longopts[] = {
            {"last", no_argument, NULL, OPT_LAST},
            {"all", no_argument, NULL, OPT_ALL},
            {"dry-run", no_argument, NULL, OPT_DRY},
            {NULL, 0, NULL, 0},
        };
        int c;

        cli_getopt_reset();
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_LAST:
                        o->last = true;
                        break;
                case OPT_ALL:
                        o->all = true;
                        break;
                case OPT_DRY:
                        o->dry = true;
                        break;
                default:
                        return cli_bad_option(cli, argc, argv, c);
                }
        }
        if (optind < argc)
                return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
        if (o->all && o->last)
                return cli_usage_error(cli, "--last and --all exclude each other");
        return 0;
}

int cmd_undo(int argc, char **argv, struct cli *cli)
{
        struct undo_opts o = {0};
        struct mb_journal_entries e = {0};
        struct mb_error err = {0};
        struct mb_plan plan;
        const char *state, *run = NULL;
        char runbuf[64];
        int r;

        if ((r = parse(argc, argv, cli, &o)))
                return r;
        if ((r = cli_state_dir(cli, false, &state)))
                return r;
        r = mb_journal_read(state, &e, &err);
        if (r < 0)
                return cli_runtime_error(cli, "%s: %s", err.where, err.msg);
        if (e.skipped)
                cli_warn("%s/%s:%d: %zu corrupt line%s skipped (not a journal record)", state,
                         MB_JOURNAL_FILE, e.first_bad, e.skipped, e.skipped == 1 ? "" : "s");
        mb_plan_init(&plan);
        if (!o.all) {
                const char *l = mb_undo_last_run(&e);
                if (l) {
                        mb_strlcpy(runbuf, l, sizeof(runbuf));
                        run = runbuf;
                }
        }
        if ((o.all || run) && mb_undo_plan(&e, run, &plan) < 0) {
                r = cli_runtime_error(cli, "out of memory");
                goto out;
        }
        mb_undo_refuse_foreign(&plan, cli_etc(cli), cli->proc_root, cli->sys_root);
        if (plan.n == 0) {
                if (cli->json)
                        act_plan_show(cli, &plan, false);
                else
                        fprintf(cli->out, "nothing to undo (journal %s/%s)\n", state,
                                MB_JOURNAL_FILE);
                r = CLI_EXIT_OK;
                goto out;
        }
        if (!cli->json) {
                if (run)
                        fprintf(cli->out, "undoing run %s:\n", run);
                else
                        fprintf(cli->out, "undoing every recorded change:\n");
                act_plan_show_hint(cli, &plan, !o.dry,
                                   "run membudget undo without --dry-run as root");
        }
        if (o.dry) {
                if (cli->json)
                        act_plan_show(cli, &plan, false);
                r = CLI_EXIT_OK;
                goto out;
        }
        r = act_apply(cli, &plan, false);
        if (cli->json && r == CLI_EXIT_OK)
                act_plan_show(cli, &plan, true);
out:
        mb_plan_release(&plan);
        mb_journal_entries_release(&e);
        return r;
}
