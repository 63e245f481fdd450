/* cli-util.c: option helpers and messages shared by the subcommands. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/config/config.h"
#include "../lib/util/size.h"
#include "cli.h"

static void vmsg(const char *cmd, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void vmsg(const char *cmd, const char *fmt, va_list ap)
{
        char buf[1024];

        vsnprintf(buf, sizeof(buf), fmt, ap);
        for (char *p = buf; *p; p++)
                if ((unsigned char)*p < 0x20)
                        *p = '?';
        if (cmd)
                fprintf(stderr, "membudget %s: %s\n", cmd, buf);
        else
                fprintf(stderr, "membudget: %s\n", buf);
}

int cli_usage_error(struct cli *cli, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vmsg(cli->cmd, fmt, ap);
        va_end(ap);
        fprintf(stderr, "try 'membudget %s%s--help'\n", cli->cmd ? cli->cmd : "",
                cli->cmd ? " " : "");
        return CLI_EXIT_USAGE;
}

int cli_runtime_error(struct cli *cli, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vmsg(cli->cmd, fmt, ap);
        va_end(ap);
        return CLI_EXIT_RUNTIME;
}

void cli_warn(const char *fmt, ...)
{
        char buf[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        fprintf(stderr, "membudget: warning: %s\n", buf);
}

void cli_debug(struct cli *cli, const char *fmt, ...)
{
        va_list ap;

        if (!cli->debug)
                return;
        fputs("membudget: debug: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

const char *cli_etc(const struct cli *cli)
{
        return cli->root.etc_path;
}

int cli_root(struct cli *cli)
{
        char etc[sizeof(cli->root.etc_path)];
        bool etc_set = cli->root.etc_set;
        int r;

        if (cli->root_open)
                return 0;
        mb_strlcpy(etc, cli->root.etc_path, sizeof(etc));
        r = mb_root_open(&cli->root, cli->proc_root, cli->sys_root);
        /* the /etc root, set once from the environment (main.c) */
        mb_root_set_etc(&cli->root, etc_set ? (etc[0] ? etc : "/") : NULL);
        if (r < 0) {
                mb_root_close(&cli->root);
                if (cli->proc_root)
                        return cli_usage_error(cli, "cannot open --proc-root '%s': %s",
                                               cli->proc_root, mb_strerror(r));
                return cli_runtime_error(cli, "cannot open '/proc': %s", mb_strerror(r));
        }
        if (cli->sys_root && cli->root.sys_fd < 0) {
                mb_root_close(&cli->root);
                return cli_usage_error(cli, "cannot open --sys-root '%s': %s", cli->sys_root,
                                       strerror(ENOENT));
        }
        cli->root_open = true;
        return 0;
}

void cli_getopt_reset(void)
{
        optind = 0; /* glibc: 0 re-initialises, and stops at the first non-option */
        opterr = 0;
}

int cli_bad_option(struct cli *cli, int argc, char **argv, int c)
{
        const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";

        if (c == ':')
                return cli_usage_error(cli, "option '%s' needs a value", arg);
        if (optopt && optopt != '?')
                return cli_usage_error(cli, "unknown option '-%c'", optopt);
        return cli_usage_error(cli, "unknown option '%s'", arg);
}

int cli_opt_size(struct cli *cli, const char *opt, const char *val, int64_t *ret)
{
        uint64_t v;
        int r = mb_size_parse(val, &v);

        if (r == -ERANGE)
                return cli_usage_error(cli, "size '%s' for %s is too large", val, opt);
        if (r < 0)
                return cli_usage_error(cli,
                                       "invalid size '%s' for %s (expected e.g. 500M, 3.5G, "
                                       "3500MiB or a number of bytes)",
                                       val, opt);
        *ret = (int64_t)v;
        return 0;
}

int cli_opt_uint(struct cli *cli, const char *opt, const char *val, long max, long *ret)
{
        char *e;
        long v;

        errno = 0;
        v = strtol(val, &e, 10);
        if (!*val || *e || errno || v < 0 || v > max)
                return cli_usage_error(cli, "invalid value '%s' for %s (expected 0-%ld)", val, opt,
                                       max);
        *ret = v;
        return 0;
}

int cli_opt_double(struct cli *cli, const char *opt, const char *val, double min, double max,
                   double *ret)
{
        char *e;
        double v;

        errno = 0;
        v = strtod(val, &e);
        if (!*val || *e || errno || !isfinite(v) || v < min || v > max)
                return cli_usage_error(cli, "invalid value '%s' for %s (expected %g-%g)", val, opt,
                                       min, max);
        *ret = v;
        return 0;
}

int cli_opt_regex(struct cli *cli, const char *opt, const char *val, regex_t *re, bool *has)
{
        int r;

        if (*has)
                regfree(re);
        *has = false;
        r = regcomp(re, val, REG_EXTENDED | REG_NOSUB);
        if (r) {
                char msg[256];
                regerror(r, re, msg, sizeof(msg));
                return cli_usage_error(cli, "invalid regex '%s' for %s: %s", val, opt, msg);
        }
        *has = true;
        return 0;
}

int cli_config(struct cli *cli, const struct mb_config **ret)
{
        struct mb_config_warnings warns = {0};
        struct mb_error err = {0};
        char path[1024];
        int r;

        if (cli->config) {
                *ret = cli->config;
                return 0;
        }
        cli->config = calloc(1, sizeof(*cli->config));
        if (!cli->config)
                return cli_runtime_error(cli, "out of memory");
        if (mb_config_find(cli->config_path, path, sizeof(path)) < 0) {
                mb_config_defaults(cli->config);
                cli->config_defaults = true;
                *ret = cli->config;
                return 0;
        }
        r = mb_config_load(path, false, cli->config, &warns, &err);
        if (r < 0) {
                if (err.line > 0)
                        fprintf(stderr, "membudget: %s:%d:%d: %s\n", err.where, err.line, err.col,
                                err.msg);
                else
                        fprintf(stderr, "membudget: %s: %s\n", err.where[0] ? err.where : path,
                                err.msg);
                mb_config_warnings_release(&warns);
                return CLI_EXIT_USAGE;
        }
        for (size_t i = 0; i < warns.n; i++)
                cli_warn("%s:%d:%d: %s", path, warns.w[i].line, warns.w[i].col, warns.w[i].msg);
        mb_config_warnings_release(&warns);
        *ret = cli->config;
        return 0;
}

int cli_state_dir(struct cli *cli, bool create, const char **ret)
{
        const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
        char why[256];
        int r;

        if (!cli->state_path[0]) {
                if (cli->state_dir)
                        mb_strlcpy(cli->state_path, cli->state_dir, sizeof(cli->state_path));
                else if (geteuid() == 0)
                        mb_strlcpy(cli->state_path, "/var/lib/membudget", sizeof(cli->state_path));
                else if (xdg && *xdg)
                        snprintf(cli->state_path, sizeof(cli->state_path), "%s/membudget", xdg);
                else if (home && *home)
                        snprintf(cli->state_path, sizeof(cli->state_path),
                                 "%s/.local/state/membudget", home);
                else
                        return cli_runtime_error(cli,
                                                 "no state directory: set --state-dir or HOME");
        }
        if (create) {
                r = mb_mkdir_p(cli->state_path, 0700);
                if (r < 0)
                        return cli_runtime_error(cli, "cannot create state directory '%s': %s",
                                                 cli->state_path, mb_strerror(r));
        }
        /* someone else's directory could hold a journal that makes undo
         * write anywhere: owner and mode as sudo checks them */
        r = mb_dir_trusted(cli->state_path, why, sizeof(why));
        if (r < 0 && r != -ENOENT)
                return cli_runtime_error(cli, "state directory '%s': %s; refusing to use it",
                                         cli->state_path, why);
        *ret = cli->state_path;
        return 0;
}

void cli_warn_pss_denied(unsigned n, const char *what)
{
        if (!n)
                return;
        if (geteuid() == 0)
                cli_warn("%s unavailable for %u process%s: smaps_rollup not readable (ptrace "
                         "access denied)",
                         what, n, n == 1 ? "" : "es");
        else
                cli_warn("%s unavailable for %u process%s owned by other users: run as root", what,
                         n, n == 1 ? "" : "es");
}
