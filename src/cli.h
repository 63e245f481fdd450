/*
 * cli.h: the thin command-line layer over libmembudget.
 *
 * Adding a subcommand:
 *   1. write src/cmd-NAME.c with  int cmd_NAME(int argc, char **argv, struct mb_cli *cli);
 *      and  const char cmd_NAME_help[];  it parses its own options
 *      (getopt_long, after mb_getopt_reset()), calls the library, renders,
 *      and returns an exit code (never exit());
 *   2. declare both below and add its row (name, function, summary, help) to
 *      commands[] in main.c;
 *   3. document it in man/membudget.1 and README.md;
 *   4. add tests/cli/NAME.cases (arguments -> exit code, output).
 */
#ifndef MB_CLI_H
#define MB_CLI_H

#include <getopt.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>

#include "../lib/collect/root.h"

enum mb_exit {
        MB_EXIT_OK = 0,
        MB_EXIT_CHECK = 1,   /* a check failed / problems found (checks only) */
        MB_EXIT_USAGE = 2,   /* bad option, value or configuration */
        MB_EXIT_RUNTIME = 3, /* could not do it */
};

struct mb_config;

/* Global options and state shared by the subcommands. */
struct mb_cli {
        const char *cmd;         /* subcommand name, for messages */
        const char *config_path; /* -c/--config */
        const char *proc_root;   /* --proc-root */
        const char *sys_root;    /* --sys-root */
        const char *state_dir;   /* --state-dir */
        bool json;
        bool debug;
        struct mb_root root;
        bool root_open;
        struct mb_config *config; /* loaded on demand by mb_cli_config() */
        bool config_defaults;     /* no file found: host-wide defaults */
        char state_path[1024];
        FILE *out;
};

/* Open the proc/sys roots; on failure print one line and return MB_EXIT_USAGE
 * (an unreadable --proc-root is a bad option value). */
int mb_cli_root(struct mb_cli *cli);
/* The root of /etc ("" = the real one): cli->root's, set once from
 * $MEMBUDGET_ETC_ROOT by main. */
const char *mb_cli_etc(const struct mb_cli *cli);

/* "membudget CMD: message" on stderr, plus the try line; returns MB_EXIT_USAGE. */
int mb_usage_error(struct mb_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "membudget CMD: message" on stderr; returns MB_EXIT_RUNTIME. */
int mb_runtime_error(struct mb_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "membudget: warning: ..." on stderr. */
void mb_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mb_debug(struct mb_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The configuration: found and loaded on first use (-c, $MEMBUDGET_CONFIG,
 * ./omnimind_parameters.json, /etc/membudget/membudget.json), defaults when
 * none exists (cli->config_defaults is then true).  Returns 0 with
 * *ret set, or MB_EXIT_USAGE after printing FILE:LINE:COL: message.
 */
int mb_cli_config(struct mb_cli *cli, const struct mb_config **ret);

/*
 * The state directory (--state-dir; /var/lib/membudget as root,
 * $XDG_STATE_HOME/membudget or ~/.local/state/membudget otherwise), created
 * with mode 0700 when `create`.  Returns 0 and the path, or MB_EXIT_RUNTIME
 * after printing why.
 */
int mb_cli_state_dir(struct mb_cli *cli, bool create, const char **ret);

/* Say once why PSS (or SwapPss) is missing for n processes; nothing when n is 0. */
void mb_warn_pss_denied(unsigned n, const char *what);

/* Reset getopt for a subcommand's own parse; opterr is turned off. */
void mb_getopt_reset(void);
/* Message for getopt's '?' / ':' returns; returns MB_EXIT_USAGE. */
int mb_bad_option(struct mb_cli *cli, int argc, char **argv, int c);

/* Option value parsers: 0, or an MB_EXIT_USAGE message naming option and value. */
int mb_opt_size(struct mb_cli *cli, const char *opt, const char *val, int64_t *ret);
int mb_opt_uint(struct mb_cli *cli, const char *opt, const char *val, long max, long *ret);
int mb_opt_double(struct mb_cli *cli, const char *opt, const char *val, double min, double max,
                  double *ret);
/* Compile val (POSIX ERE) into re; when *has, the earlier regex is freed
 * first (an option given twice), and *has is set on success. */
int mb_opt_regex(struct mb_cli *cli, const char *opt, const char *val, regex_t *re, bool *has);

/* `config plan` (src/cmd-config-plan.c), a verb of cmd_config. */
int mb_cmd_config_plan(int argc, char **argv, struct mb_cli *cli);

/* Subcommands (one file each) and their help texts. */
int cmd_status(int argc, char **argv, struct mb_cli *cli);
extern const char cmd_status_help[];
int cmd_procs(int argc, char **argv, struct mb_cli *cli);
extern const char cmd_procs_help[];
int cmd_swap(int argc, char **argv, struct mb_cli *cli);
extern const char cmd_swap_help[];
int cmd_check(int argc, char **argv, struct mb_cli *cli);
extern const char cmd_check_help[];
int cmd_baseline(int argc, char **argv, struct mb_cli *cli);
extern const char cmd_baseline_help[];
int cmd_config(int argc, char **argv, struct mb_cli *cli);
extern const char cmd_config_help[];
int cmd_watch(int argc, char **argv, struct mb_cli *cli);
extern const char cmd_watch_help[];
int cmd_report(int argc, char **argv, struct mb_cli *cli);
extern const char cmd_report_help[];
int cmd_inspect(int argc, char **argv, struct mb_cli *cli);
extern const char cmd_inspect_help[];
int cmd_tune(int argc, char **argv, struct mb_cli *cli);
extern const char cmd_tune_help[];
int cmd_limit(int argc, char **argv, struct mb_cli *cli);
extern const char cmd_limit_help[];
int cmd_run(int argc, char **argv, struct mb_cli *cli);
extern const char cmd_run_help[];
int cmd_undo(int argc, char **argv, struct mb_cli *cli);
extern const char cmd_undo_help[];
int cmd_serve(int argc, char **argv, struct mb_cli *cli);
extern const char cmd_serve_help[];

#endif
