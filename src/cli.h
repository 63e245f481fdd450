/*
 * cli.h: the thin command-line layer over libmembudget.
 *
 * Adding a subcommand:
 *   1. write src/cmd-NAME.c with  int cmd_NAME(int argc, char **argv, struct cli *cli);
 *      and  const char cmd_NAME_help[];  it parses its own options
 *      (getopt_long, after cli_getopt_reset()), calls the library, renders,
 *      and returns an exit code (never exit());
 *   2. declare both below and add its row (name, function, summary, help) to
 *      commands[] in main.c;
 *   3. document it in man/membudget.1 and README.md;
 *   4. add tests/cli/NAME.cases (arguments -> exit code, output).
 *
 * Names: the library's symbols start with mb_ / MB_; the CLI's own with
 * cli_ / CLI_ (as curl's tool_ beside Curl_), so that a symbol says which
 * layer it lives in.  src/ builds no /proc or /sys path: the library does.
 */
#ifndef CLI_H
#define CLI_H

#include <getopt.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>

#include "../lib/collect/root.h"

enum cli_exit {
        CLI_EXIT_OK = 0,
        CLI_EXIT_CHECK = 1,   /* a check failed / problems found (checks only) */
        CLI_EXIT_USAGE = 2,   /* bad option, value or configuration */
        CLI_EXIT_RUNTIME = 3, /* could not do it */
};

struct mb_config;

/* Global options and state shared by the subcommands. */
struct cli {
        const char *cmd;         /* subcommand name, for messages */
        const char *config_path; /* -c/--config */
        const char *proc_root;   /* --proc-root */
        const char *sys_root;    /* --sys-root */
        const char *state_dir;   /* --state-dir */
        bool json;
        bool debug;
        struct mb_root root;
        bool root_open;
        struct mb_config *config; /* loaded on demand by cli_config() */
        bool config_defaults;     /* no file found: host-wide defaults */
        char state_path[1024];
        FILE *out;
};

/* Open the proc/sys roots; on failure print one line and return CLI_EXIT_USAGE
 * (an unreadable --proc-root is a bad option value). */
int cli_root(struct cli *cli);
/* The root of /etc ("" = the real one): cli->root's, set once from
 * $MEMBUDGET_ETC_ROOT by main. */
const char *cli_etc(const struct cli *cli);

/* "membudget CMD: message" on stderr, plus the try line; returns CLI_EXIT_USAGE. */
int cli_usage_error(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "membudget CMD: message" on stderr; returns CLI_EXIT_RUNTIME. */
int cli_runtime_error(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "membudget: warning: ..." on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_debug(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The configuration: found and loaded on first use (-c, $MEMBUDGET_CONFIG,
 * ./omnimind_parameters.json, /etc/membudget/membudget.json), defaults when
 * none exists (cli->config_defaults is then true).  Returns 0 with
 * *ret set, or CLI_EXIT_USAGE after printing FILE:LINE:COL: message.
 */
int cli_config(struct cli *cli, const struct mb_config **ret);

/*
 * The state directory (--state-dir; /var/lib/membudget as root,
 * $XDG_STATE_HOME/membudget or ~/.local/state/membudget otherwise), created
 * with mode 0700 when `create`.  Returns 0 and the path, or CLI_EXIT_RUNTIME
 * after printing why.
 */
int cli_state_dir(struct cli *cli, bool create, const char **ret);

/* Say once why PSS (or SwapPss) is missing for n processes; nothing when n is 0. */
void cli_warn_pss_denied(unsigned n, const char *what);

/* Reset getopt for a subcommand's own parse; opterr is turned off. */
void cli_getopt_reset(void);
/* Message for getopt's '?' / ':' returns; returns CLI_EXIT_USAGE. */
int cli_bad_option(struct cli *cli, int argc, char **argv, int c);

/* Option value parsers: 0, or an CLI_EXIT_USAGE message naming option and value. */
int cli_opt_size(struct cli *cli, const char *opt, const char *val, int64_t *ret);
int cli_opt_uint(struct cli *cli, const char *opt, const char *val, long max, long *ret);
int cli_opt_double(struct cli *cli, const char *opt, const char *val, double min, double max,
                   double *ret);
/* Compile val (POSIX ERE) into re; when *has, the earlier regex is freed
 * first (an option given twice), and *has is set on success. */
int cli_opt_regex(struct cli *cli, const char *opt, const char *val, regex_t *re, bool *has);

/* `config plan` (src/cmd-config-plan.c), a verb of cmd_config. */
int cli_cmd_config_plan(int argc, char **argv, struct cli *cli);

/* Subcommands (one file each) and their help texts. */
int cmd_status(int argc, char **argv, struct cli *cli);
extern const char cmd_status_help[];
int cmd_procs(int argc, char **argv, struct cli *cli);
extern const char cmd_procs_help[];
int cmd_swap(int argc, char **argv, struct cli *cli);
extern const char cmd_swap_help[];
int cmd_check(int argc, char **argv, struct cli *cli);
extern const char cmd_check_help[];
int cmd_baseline(int argc, char **argv, struct cli *cli);
extern const char cmd_baseline_help[];
int cmd_config(int argc, char **argv, struct cli *cli);
extern const char cmd_config_help[];
int cmd_watch(int argc, char **argv, struct cli *cli);
extern const char cmd_watch_help[];
int cmd_report(int argc, char **argv, struct cli *cli);
extern const char cmd_report_help[];
int cmd_inspect(int argc, char **argv, struct cli *cli);
extern const char cmd_inspect_help[];
int cmd_tune(int argc, char **argv, struct cli *cli);
extern const char cmd_tune_help[];
int cmd_limit(int argc, char **argv, struct cli *cli);
extern const char cmd_limit_help[];
int cmd_run(int argc, char **argv, struct cli *cli);
extern const char cmd_run_help[];
int cmd_undo(int argc, char **argv, struct cli *cli);
extern const char cmd_undo_help[];
int cmd_serve(int argc, char **argv, struct cli *cli);
extern const char cmd_serve_help[];

#endif
