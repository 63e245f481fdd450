/*
 * main.c: global options, the command table, dispatch.
 *
 * Global options may stand before or after the subcommand name; they are
 * taken out of argv in one pre-pass (up to a "--"), and what is left is
 * handed to the subcommand, which parses its own options.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "../lib/collect/collector.h"
#include "../lib/collect/proc.h"
#include "../lib/config/config.h"
#include "../lib/util/users.h"
#include "cli.h"

#ifndef MB_VERSION
#define MB_VERSION "0.1.0"
#endif

struct command {
        const char *name;
        int (*fn)(int, char **, struct cli *);
        const char *summary;
        const char *help; /* synopsis and options, defined in cmd-NAME.c */
};

static const struct command commands[] = {
    {"status", cmd_status, "RAM, swap, pressure, GPU, top consumers, problems", cmd_status_help},
    {"procs", cmd_procs, "every process's memory: RSS, PSS, USS, swap, VSZ, GPU", cmd_procs_help},
    {"swap", cmd_swap, "who is in swap, largest first, reconciled with /proc/swaps", cmd_swap_help},
    {"check", cmd_check, "the success table: before, target, now; exit 1 when missed",
     cmd_check_help},
    {"baseline", cmd_baseline, "save, show or clear the \"before\" metrics", cmd_baseline_help},
    {"config", cmd_config, "check, init or plan the budget configuration", cmd_config_help},
    {"watch", cmd_watch, "a line (or a screen) every N seconds; --record into history",
     cmd_watch_help},
    {"report", cmd_report, "a period from history: peaks, time over budget, leaks, SVG",
     cmd_report_help},
    {"inspect", cmd_inspect, "where one process's memory lives, by kind of mapping",
     cmd_inspect_help},
    {"tune", cmd_tune, "swappiness, drop caches, guarded swap cycle (plan; --apply)",
     cmd_tune_help},
    {"limit", cmd_limit, "memory limits for a unit or matching processes (plan; --apply)",
     cmd_limit_help},
    {"run", cmd_run, "run a command in a fresh cgroup and report its peaks", cmd_run_help},
    {"undo", cmd_undo, "revert changes recorded in the journal", cmd_undo_help},
    {"serve", cmd_serve, "Prometheus exporter, history recording and guard", cmd_serve_help},
};

static const char global_help[] =
    "usage: membudget [GLOBAL OPTIONS] COMMAND [OPTIONS]\n"
    "\n"
    "Keeps a Linux host's RAM, swap and GPU memory inside a budget.\n"
    "\n"
    "Global options (before or after COMMAND):\n"
    "  -c, --config FILE   budget configuration (JSON)\n"
    "      --json          JSON output\n"
    "      --proc-root DIR read a captured /proc tree instead of /proc\n"
    "      --sys-root DIR  read a captured /sys tree instead of /sys\n"
    "      --state-dir DIR where baselines, journal and history live\n"
    "      --debug         explain what is read and how\n"
    "  -h, --help          this help, or a command's help after COMMAND\n"
    "      --version       print the version\n"
    "\n"
    "Commands:\n";

static void print_help(void)
{
        fputs(global_help, stdout);
        for (size_t i = 0; i < MB_ARRAY_SIZE(commands); i++)
                printf("  %-8s %s\n", commands[i].name, commands[i].summary);
        puts("\nExit status: 0 ok, 1 a check failed, 2 usage or configuration error, 3 runtime "
             "error.\nSee membudget(1).");
}

/* Does arg name the long option `name`, as "--name" or "--name=value"? */
static bool long_opt(const char *arg, const char *name, const char **value)
{
        size_t n = strlen(name);

        if (strncmp(arg, "--", 2) || strncmp(arg + 2, name, n))
                return false;
        if (arg[2 + n] == '\0') {
                *value = NULL;
                return true;
        }
        if (arg[2 + n] == '=') {
                *value = arg + 3 + n;
                return true;
        }
        return false;
}

/*
 * The environment settings (MEMBUDGET_*), read once here and checked like
 * options: a bad value is a usage error, not silently ignored.  CLI_EXIT_OK
 * or CLI_EXIT_USAGE.
 */
static int env_settings(struct cli *cli)
{
        const char *c = getenv("MEMBUDGET_COLLECTOR"), *t = getenv("MEMBUDGET_SCAN_THREADS");

        enum mb_collector_mode mode;

        if (mb_collector_mode_parse(c, &mode) < 0) {
                fprintf(stderr, "membudget: MEMBUDGET_COLLECTOR '%s': expected 'proc' or 'auto'\n",
                        c);
                return CLI_EXIT_USAGE;
        }
        mb_collector_set_mode(mode);
        mb_root_set_etc(&cli->root, getenv("MEMBUDGET_ETC_ROOT"));
        if (t && *t) {
                char *end;
                long n = strtol(t, &end, 10);
                if (*end || n < 1 || n > MB_SCAN_MAX_THREADS) {
                        fprintf(stderr,
                                "membudget: MEMBUDGET_SCAN_THREADS '%s': expected a number from 1 "
                                "to %d\n",
                                t, MB_SCAN_MAX_THREADS);
                        return CLI_EXIT_USAGE;
                }
                mb_scan_set_threads((unsigned)n);
        }
        return CLI_EXIT_OK;
}

/* What main's pre-pass finds in argv. */
struct globals {
        char **rest; /* argv for the subcommand: its name, then what is not global */
        int nrest;
        const struct command *cmd;
        bool help, version;
};

/* Take the global options out of argv (up to a "--"), find the command.
 * CLI_EXIT_OK, or CLI_EXIT_USAGE after saying why. */
static int global_options(int argc, char **argv, struct cli *cli, struct globals *g)
{
        static const struct {
                const char *name;
                size_t off;
        } valued[] = {
            {"config", offsetof(struct cli, config_path)},
            {"proc-root", offsetof(struct cli, proc_root)},
            {"sys-root", offsetof(struct cli, sys_root)},
            {"state-dir", offsetof(struct cli, state_dir)},
        };
        bool dashdash = false;

        g->rest[g->nrest++] = argv[0];
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *val = NULL;
                bool matched = false;

                if (dashdash || !strcmp(a, "--")) {
                        dashdash = true;
                        g->rest[g->nrest++] = argv[i];
                        continue;
                }
                if (!strcmp(a, "--json")) {
                        cli->json = true;
                        continue;
                }
                if (!strcmp(a, "--debug")) {
                        cli->debug = true;
                        continue;
                }
                if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                        g->help = true;
                        continue;
                }
                if (!strcmp(a, "--version")) {
                        g->version = true;
                        continue;
                }
                if (!strncmp(a, "-c", 2) && a[1] == 'c') {
                        const char **slot = &cli->config_path;
                        if (a[2]) {
                                *slot = a + 2;
                        } else if (i + 1 < argc) {
                                *slot = argv[++i];
                        } else {
                                fprintf(stderr, "membudget: option '-c' needs a value\n");
                                return CLI_EXIT_USAGE;
                        }
                        continue;
                }
                for (size_t k = 0; k < MB_ARRAY_SIZE(valued); k++) {
                        if (!long_opt(a, valued[k].name, &val))
                                continue;
                        if (!val && i + 1 < argc)
                                val = argv[++i];
                        if (!val || !*val) {
                                fprintf(stderr, "membudget: option '--%s' needs a value\n",
                                        valued[k].name);
                                return CLI_EXIT_USAGE;
                        }
                        *(const char **)((char *)cli + valued[k].off) = val;
                        matched = true;
                        break;
                }
                if (matched)
                        continue;
                if (!g->cmd && a[0] != '-') {
                        for (size_t k = 0; k < MB_ARRAY_SIZE(commands); k++)
                                if (!strcmp(a, commands[k].name))
                                        g->cmd = &commands[k];
                        if (!g->cmd) {
                                fprintf(stderr,
                                        "membudget: unknown command '%s'\ntry 'membudget "
                                        "--help'\n",
                                        a);
                                return CLI_EXIT_USAGE;
                        }
                        g->rest[0] = argv[i];
                        continue;
                }
                g->rest[g->nrest++] = argv[i];
        }
        g->rest[g->nrest] = NULL;
        return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
        struct cli cli;
        char **rest = calloc((size_t)argc + 1, sizeof(char *));
        struct globals g = {0};
        const struct command *cmd;
        int code;

        memset(&cli, 0, sizeof(cli));
        cli.out = stdout;
        if (!rest)
                return CLI_EXIT_RUNTIME;
        g.rest = rest;
        if ((code = global_options(argc, argv, &cli, &g)) != CLI_EXIT_OK)
                goto out;
        cmd = g.cmd;

        if (g.version) {
                printf("membudget %s\n", MB_VERSION);
                code = CLI_EXIT_OK;
                goto out;
        }
        if (!cmd && !g.help && g.nrest > 1) {
                fprintf(
                    stderr,
                    "membudget: unknown option '%s' (before a command)\ntry 'membudget --help'\n",
                    rest[1]);
                code = CLI_EXIT_USAGE;
                goto out;
        }
        if (g.help || !cmd) {
                if (cmd)
                        printf("%s%s", cmd->help,
                               "\nGlobal options: -c/--config FILE, --json, --proc-root DIR, "
                               "--sys-root DIR, --state-dir DIR, --debug\n");
                else
                        print_help();
                code = !cmd && !g.help ? CLI_EXIT_USAGE : CLI_EXIT_OK;
                goto out;
        }
        if ((code = env_settings(&cli)) != CLI_EXIT_OK)
                goto out;
        cli.cmd = cmd->name;
        code = cmd->fn(g.nrest, rest, &cli);
        if (fflush(stdout) != 0 && code == CLI_EXIT_OK)
                code = CLI_EXIT_RUNTIME;
out:
        if (cli.root_open)
                mb_root_close(&cli.root);
        if (cli.config) {
                mb_config_release(cli.config);
                free(cli.config);
        }
        mb_users_release();
        free(rest);
        return code;
}
