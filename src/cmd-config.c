/*
 * cmd-config.c: "membudget config check|init|plan": validate a budget
 * configuration with file:line:column errors, write the plan's proposed
 * file, and (in another file) fit the application knobs to the budget.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/config/config.h"
#include "../lib/out/config.h"
#include "../lib/out/json.h"
#include "cli.h"

const char cmd_config_help[] =
    "usage: membudget config check [FILE] [--strict]\n"
    "       membudget config init [FILE] [--force]\n"
    "       membudget config plan\n"
    "\n"
    "  check    validate FILE (default: -c, $MEMBUDGET_CONFIG, ./omnimind_parameters.json,\n"
    "           /etc/membudget/membudget.json); errors as FILE:LINE:COL: message (exit 2),\n"
    "           unknown keys as warnings with the nearest valid name\n"
    "    --strict   unknown keys are errors\n"
    "  init     write the plan's proposed file to FILE (default ./omnimind_parameters.json;\n"
    "           '-' for standard output)\n"
    "    --force    overwrite an existing FILE\n"
    "  plan     worker count, cache size and GPU memory fraction that fit the budget,\n"
    "           from measured per-worker memory\n";

/*
 * The verb's arguments: at most one FILE and the one flag the verb knows
 * (--strict or --force), in any order; "--" ends the options.
 */
static int parse_args(int argc, char **argv, struct cli *cli, const char *flag, bool *set,
                      const char **file)
{
        bool dashdash = false;

        *set = false;
        *file = NULL;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (!dashdash && !strcmp(a, "--")) {
                        dashdash = true;
                        continue;
                }
                if (!dashdash && a[0] == '-' && a[1]) {
                        if (!strncmp(a, "--", 2) && !strcmp(a + 2, flag)) {
                                *set = true;
                                continue;
                        }
                        return cli_usage_error(cli, "unknown option '%s' for config %s", a,
                                               argv[0]);
                }
                if (*file)
                        return cli_usage_error(cli, "unexpected argument '%s'", a);
                *file = a;
        }
        return 0;
}

/* Print one warning in the compiler style. */
static void print_warning(const char *path, const struct mb_config_warning *w)
{
        fprintf(stderr, "%s:%d:%d: warning: %s\n", path, w->line, w->col, w->msg);
}

static void print_error(const char *path, const struct mb_error *err)
{
        const char *where = err->where[0] ? err->where : path;

        if (err->line > 0)
                fprintf(stderr, "%s:%d:%d: %s\n", where, err->line, err->col, err->msg);
        else
                fprintf(stderr, "%s: %s\n", where, err->msg);
}

static int config_check(int argc, char **argv, struct cli *cli)
{
        struct mb_config_warnings warns = {0};
        struct mb_error err = {0};
        struct mb_config c;
        const char *file;
        char found[1024];
        bool strict;
        int r;

        if ((r = parse_args(argc, argv, cli, "strict", &strict, &file)))
                return r;
        if (!file) {
                if (mb_config_find(cli->config_path, found, sizeof(found)) < 0) {
                        fprintf(stderr, "membudget config: no configuration file found (-c, "
                                        "$MEMBUDGET_CONFIG, ./omnimind_parameters.json, "
                                        "/etc/membudget/membudget.json)\n");
                        return CLI_EXIT_USAGE;
                }
                file = found;
        }
        r = mb_config_load(file, strict, &c, &warns, &err);
        if (r < 0) {
                if (cli->json) {
                        json_t *j = json_pack("{s:b,s:s,s:{s:i,s:i,s:s}}", "valid", 0, "file", file,
                                              "error", "line", err.line, "col", err.col, "message",
                                              err.msg);
                        mb_json_print(j, cli->out);
                }
                print_error(file, &err);
                mb_config_warnings_release(&warns);
                mb_config_release(&c);
                /* An unreadable file is a bad argument too: the user named it. */
                return CLI_EXIT_USAGE;
        }
        if (cli->json) {
                mb_json_print(mb_out_config_check_json(file, strict, &warns, &c), cli->out);
        } else {
                for (size_t i = 0; i < warns.n; i++)
                        print_warning(file, &warns.w[i]);
                mb_out_config_summary(cli->out, file, &c, warns.n);
        }
        mb_config_warnings_release(&warns);
        mb_config_release(&c);
        return CLI_EXIT_OK;
}

static int config_init(int argc, char **argv, struct cli *cli)
{
        const char *file;
        struct stat st;
        bool force, existed = false;
        int r;

        if ((r = parse_args(argc, argv, cli, "force", &force, &file)))
                return r;
        if (!file)
                file = "./omnimind_parameters.json";
        if (!strcmp(file, "-")) {
                fputs(mb_config_proposed, cli->out);
                return CLI_EXIT_OK;
        }
        if (lstat(file, &st) == 0) {
                existed = true;
                if (S_ISDIR(st.st_mode))
                        return cli_usage_error(cli, "'%s' is a directory", file);
                if (!force)
                        return cli_usage_error(cli, "'%s' exists; use --force to overwrite it",
                                               file);
        }
        r = mb_write_file_atomic(file, mb_config_proposed, strlen(mb_config_proposed), 0644);
        if (r < 0)
                return cli_runtime_error(cli, "cannot write '%s': %s", file, mb_strerror(r));
        if (cli->json) {
                json_t *j = json_pack("{s:s,s:b}", "written", file, "overwritten", existed);
                mb_json_print(j, cli->out);
        } else {
                fprintf(cli->out,
                        "wrote %s: the plan's budget (RAM 3500 MiB + VRAM 4000 MiB = 7500 MiB)\n"
                        "check it with: membudget config check %s\n",
                        file, file);
        }
        return CLI_EXIT_OK;
}

static const struct {
        const char *name;
        int (*fn)(int, char **, struct cli *);
} verbs[] = {
    {"check", config_check},
    {"init", config_init},
    {"plan", cli_cmd_config_plan}, /* src/cmd-config-plan.c */
};

int cmd_config(int argc, char **argv, struct cli *cli)
{
        if (argc < 2)
                return cli_usage_error(cli, "missing verb: check, init or plan");
        for (size_t i = 0; i < MB_ARRAY_SIZE(verbs); i++) {
                if (strcmp(argv[1], verbs[i].name))
                        continue;
                return verbs[i].fn(argc - 1, argv + 1, cli);
        }
        return cli_usage_error(cli, "unknown verb '%s' (expected check, init or plan)", argv[1]);
}
