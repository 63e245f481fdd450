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
#include "../lib/out/json.h"
#include "../lib/util/size.h"
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
static int parse_args(int argc, char **argv, struct mb_cli *cli, const char *flag, bool *set,
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
                        return mb_usage_error(cli, "unknown option '%s' for config %s", a, argv[0]);
                }
                if (*file)
                        return mb_usage_error(cli, "unexpected argument '%s'", a);
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

static json_t *warnings_json(const struct mb_config_warnings *w)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < w->n; i++)
                json_array_append_new(a, json_pack("{s:i,s:i,s:s}", "line", w->w[i].line, "col",
                                                   w->w[i].col, "message", w->w[i].msg));
        return a;
}

static void summary(FILE *f, const char *path, const struct mb_config *c, size_t nwarn)
{
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN], t[MB_SIZE_STRLEN];
        const int64_t MiB = 1 << 20;
        bool first = true;

        fprintf(f, "%s: valid", path);
        if (nwarn)
                fprintf(f, " (%zu warning%s)", nwarn, nwarn == 1 ? "" : "s");
        fputc('\n', f);
        if (c->target_match[0] && c->target_unit[0])
                fprintf(f, "  target       unit %s and processes matching /%s/\n", c->target_unit,
                        c->target_match);
        else if (c->target_match[0])
                fprintf(f, "  target       processes matching /%s/ and their descendants\n",
                        c->target_match);
        else if (c->target_unit[0])
                fprintf(f, "  target       unit %s\n", c->target_unit);
        else
                fprintf(f, "  target       host-wide (no target.match or target.unit)\n");
        fprintf(f, "  budget       RAM %lld MiB (%s) + VRAM %lld MiB (%s), total %lld MiB (%s)\n",
                (long long)c->ram_max_mb, mb_size_format(c->ram_max_mb * MiB, a, sizeof(a)),
                (long long)c->vram_max_mb, mb_size_format(c->vram_max_mb * MiB, b, sizeof(b)),
                (long long)c->target_total_mb,
                mb_size_format(c->target_total_mb * MiB, t, sizeof(t)));
        fprintf(f, "  swap         at most %s used; a process over %s in swap is flagged\n",
                mb_size_format(c->swap_max_mb * MiB, a, sizeof(a)),
                mb_size_format(c->swap_threshold_mb * MiB, b, sizeof(b)));
        fprintf(f, "  available    at least %s\n",
                mb_size_format(c->available_min_mb * MiB, a, sizeof(a)));
        fprintf(f, "  swappiness   %d\n", c->vm_swappiness);
        fprintf(f, "  guard        %s\n",
                !c->guard_enabled  ? "off"
                : c->guard_dry_run ? "on, dry run (logs what it would do)"
                                   : "on, acting");
        fprintf(f, "  sections     ");
        for (int i = 0; mb_config_sections[i]; i++)
                if (c->sections_set & (1u << i)) {
                        fprintf(f, "%s%s", first ? "" : ", ", mb_config_sections[i]);
                        first = false;
                }
        if (first)
                fprintf(f, "none");
        fprintf(f, "\n  defaults     ");
        first = true;
        for (int i = 0; mb_config_sections[i]; i++)
                if (!(c->sections_set & (1u << i))) {
                        fprintf(f, "%s%s", first ? "" : ", ", mb_config_sections[i]);
                        first = false;
                }
        fprintf(f, "%s\n", first ? "none (every section is in the file)" : "");
}

static int config_check(int argc, char **argv, struct mb_cli *cli)
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
                        return MB_EXIT_USAGE;
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
                return MB_EXIT_USAGE;
        }
        if (cli->json) {
                json_t *sections = json_array(), *j;
                for (int i = 0; mb_config_sections[i]; i++)
                        if (c.sections_set & (1u << i))
                                json_array_append_new(sections, json_string(mb_config_sections[i]));
                j = json_pack("{s:b,s:s,s:b,s:o,s:o,s:o}", "valid", 1, "file", file, "strict",
                              strict, "warnings", warnings_json(&warns), "sections", sections,
                              "config", mb_config_json(&c));
                mb_json_print(j, cli->out);
        } else {
                for (size_t i = 0; i < warns.n; i++)
                        print_warning(file, &warns.w[i]);
                summary(cli->out, file, &c, warns.n);
        }
        mb_config_warnings_release(&warns);
        mb_config_release(&c);
        return MB_EXIT_OK;
}

static int config_init(int argc, char **argv, struct mb_cli *cli)
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
                return MB_EXIT_OK;
        }
        if (lstat(file, &st) == 0) {
                existed = true;
                if (S_ISDIR(st.st_mode))
                        return mb_usage_error(cli, "'%s' is a directory", file);
                if (!force)
                        return mb_usage_error(cli, "'%s' exists; use --force to overwrite it",
                                              file);
        }
        r = mb_write_file_atomic(file, mb_config_proposed, strlen(mb_config_proposed), 0644);
        if (r < 0)
                return mb_runtime_error(cli, "cannot write '%s': %s", file, mb_strerror(r));
        if (cli->json) {
                json_t *j = json_pack("{s:s,s:b}", "written", file, "overwritten", existed);
                mb_json_print(j, cli->out);
        } else {
                fprintf(cli->out,
                        "wrote %s: the plan's budget (RAM 3500 MiB + VRAM 4000 MiB = 7500 MiB)\n"
                        "check it with: membudget config check %s\n",
                        file, file);
        }
        return MB_EXIT_OK;
}

static const struct {
        const char *name;
        int (*fn)(int, char **, struct mb_cli *);
} verbs[] = {
    {"check", config_check},
    {"init", config_init},
    {"plan", mb_cmd_config_plan}, /* src/cmd-config-plan.c */
};

int cmd_config(int argc, char **argv, struct mb_cli *cli)
{
        if (argc < 2)
                return mb_usage_error(cli, "missing verb: check, init or plan");
        for (size_t i = 0; i < MB_ARRAY_SIZE(verbs); i++) {
                if (strcmp(argv[1], verbs[i].name))
                        continue;
                return verbs[i].fn(argc - 1, argv + 1, cli);
        }
        return mb_usage_error(cli, "unknown verb '%s' (expected check, init or plan)", argv[1]);
}
