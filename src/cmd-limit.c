/* cmd-limit.c: "membudget limit": memory limits for a unit or matching processes. */
#define _GNU_SOURCE
#include <string.h>
#include <unistd.h>

#include "../lib/act/limit.h"
#include "../lib/act/systemd.h"
#include "../lib/config/config.h"
#include "../lib/out/plan.h"
#include "../lib/util/users.h"
#include "act-common.h"

const char cmd_limit_help[] =
    "usage: membudget limit --unit NAME[.service] [--max SIZE] [--high SIZE] [--swap-max SIZE] "
    "[--apply]\n"
    "       membudget limit --match REGEX [--max SIZE] [--high SIZE] [--swap-max SIZE]\n"
    "                       [--name N] [--user NAME | --force] [--apply]\n"
    "       membudget limit --release N [--apply]\n"
    "       membudget limit --show [--unit NAME | --match REGEX]\n"
    "\n"
    "  --unit NAME       systemd drop-in /etc/systemd/system/NAME.service.d/" MB_DROPIN_NAME "\n"
    "                    (MemoryMax, MemoryHigh, MemorySwapMax; never MemoryLimit=)\n"
    "  --match REGEX     processes whose command line matches (POSIX ERE), and their\n"
    "                    descendants, adopted by the transient scope\n"
    "                    membudget-match-N.scope where systemd is PID 1 on cgroup v2,\n"
    "                    else moved into cgroup membudget/N (v2 or v1)\n"
    "  --max SIZE        hard limit (default: memory.ram_max_mb of the budget)\n"
    "  --high SIZE       throttle limit (v2 memory.high; v1 soft limit; unit default 90%%\n"
    "                    of --max)\n"
    "  --swap-max SIZE   swap limit (0 = no swap)\n"
    "  --name N          group name N (default: limit)\n"
    "  --user NAME       --match only processes of user NAME (needed when other users'\n"
    "                    processes match, or more than 16)\n"
    "  --force           --match past those checks (never PID 1, kernel threads or\n"
    "                    membudget and its ancestors)\n"
    "  --release N       move the processes back; the group goes (a scope: by systemd)\n"
    "  --show            limits in force now: cgroup values, drop-in, RLIMIT_AS\n"
    "  --apply           make the changes (default: print the plan only)\n";

struct limit_opts {
        const char *unit, *match_s, *name, *release, *user;
        bool has_match;
        int show, apply, force;
        uid_t uid;
        regex_t match;
        struct mb_cg_limits lim;
};

static int parse(int argc, char **argv, struct cli *cli, struct limit_opts *o)
{
        const struct option longopts[] = {
            {"max", required_argument, NULL, 'x'},      {"high", required_argument, NULL, 'h'},
            {"swap-max", required_argument, NULL, 's'}, {"unit", required_argument, NULL, 'u'},
            {"match", required_argument, NULL, 'm'},    {"name", required_argument, NULL, 'n'},
            {"release", required_argument, NULL, 'r'},  {"user", required_argument, NULL, 'U'},
            {"show", no_argument, &o->show, 1},         {"apply", no_argument, &o->apply, 1},
            {"force", no_argument, &o->force, 1},       {NULL, 0, NULL, 0},
        };
        static const char sizes[] = "xhs", *const size_opt[] = {"--max", "--high", "--swap-max"};
        int64_t *size[] = {&o->lim.max, &o->lim.high, &o->lim.swap_max};
        static const char strs[] = "unr";
        const char **str[] = {&o->unit, &o->name, &o->release};
        const char *k;
        int c, r = 0;

        o->lim.max = o->lim.high = o->lim.swap_max = -1;
        cli_getopt_reset();
        while (r == 0 && (c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                if (c && (k = strchr(sizes, c)))
                        r = cli_opt_size(cli, size_opt[k - sizes], optarg, size[k - sizes]);
                else if (c && (k = strchr(strs, c)))
                        *str[k - strs] = optarg;
                else if (c == 'm' &&
                         !(r = cli_opt_regex(cli, "--match", optarg, &o->match, &o->has_match)))
                        o->match_s = optarg;
                else if (c == 'U' && mb_user_lookup(optarg, &o->uid) < 0)
                        return cli_usage_error(cli, "unknown user '%s' for --user", optarg);
                else if (c == 'U')
                        o->user = optarg;
                else if (c != 0 && c != 'm')
                        return cli_bad_option(cli, argc, argv, c);
        }
        if (r)
                return r;
        const struct {
                bool bad;
                const char *a, *arg, *b; /* the message: a arg b */
        } rule[] = {
            {optind < argc, "unexpected argument '", argv[optind], "'"},
            {o->unit && o->has_match, "--unit and --match exclude each other", "", ""},
            {(o->user || o->force) && !o->has_match, "--user and --force go with --match", "", ""},
            {o->release && (o->unit || o->has_match || o->show),
             "--release takes no --unit, --match or --show", "", ""},
            {!o->show && !o->release && !o->unit && !o->has_match,
             "say what to limit: --unit NAME, --match REGEX, --release N or --show", "", ""},
            {o->name && !mb_cgroup_name_valid(o->name), "invalid name '", o->name,
             "' for --name (letters, digits, '_', '.', '-'; at most 64)"},
            {o->release && !mb_cgroup_name_valid(o->release), "invalid name '", o->release,
             "' for --release"},
            {o->lim.max == 0, "invalid size '0' for --max (a limit of 0 kills everything)", "", ""},
            {o->lim.high >= 0 && o->lim.max > 0 && o->lim.high > o->lim.max,
             "--high must not be above --max", "", ""},
        };
        for (size_t i = 0; i < MB_ARRAY_SIZE(rule); i++)
                if (rule[i].bad)
                        return cli_usage_error(cli, "%s%s%s", rule[i].a, rule[i].arg, rule[i].b);
        return 0;
}

static int do_unit(struct cli *cli, struct limit_opts *o)
{
        struct mb_limit_unit u;
        struct mb_plan plan;
        int r;

        if (mb_limit_unit_read(o->unit, cli_etc(cli), cli->proc_root, cli->sys_root, &u) < 0)
                return cli_usage_error(cli, "invalid unit '%s' for --unit (expected NAME or %s)",
                                       o->unit, "NAME.service");
        if (u.msg[0])
                cli_warn("%s", u.msg);
        mb_plan_init(&plan);
        if (mb_limit_unit_plan(&u, &o->lim, &plan) < 0)
                r = cli_runtime_error(cli, "out of memory");
        else
                r = act_plan_apply(cli, &plan, o->apply, true, NULL, NULL);
        mb_plan_release(&plan);
        mb_limit_unit_release(&u);
        return r;
}

static int do_match(struct cli *cli, struct limit_opts *o)
{
        struct mb_limit_match m;
        struct mb_plan plan;
        const char *name = o->name ? o->name : "limit";
        int r;

        r = mb_limit_match_read(&cli->root, cli->proc_root, cli->sys_root, mb_systemd_booted(NULL),
                                &o->match, o->user != NULL, o->uid, name, &o->lim, &m);
        mb_plan_init(&plan);
        if (r < 0)
                r = cli_runtime_error(cli, "%s", m.msg);
        else if (mb_limit_match_plan(&m, name, o->match_s, &o->lim, (uint32_t)getuid(),
                                     o->user != NULL, o->force, &plan) < 0)
                r = cli_runtime_error(cli, "out of memory");
        else
                r = act_plan_apply(cli, &plan, o->apply, true, mb_limit_match_apply, &m);
        if (o->apply && r == CLI_EXIT_OK && !cli->json)
                mb_out_limit_way(cli->out, &m, name);
        mb_plan_release(&plan);
        mb_limit_match_release(&m);
        return r;
}

static int do_release(struct cli *cli, struct limit_opts *o)
{
        struct mb_limit_release info;
        struct mb_plan plan;
        const char *state;
        int r;

        if ((r = cli_state_dir(cli, false, &state)))
                return r;
        mb_plan_init(&plan);
        r = mb_limit_release_read_plan(cli_etc(cli), cli->sys_root, cli->proc_root, state,
                                       o->release, &plan, &info);
        if (info.warning[0])
                cli_warn("%s", info.warning);
        if (r < 0)
                r = cli_runtime_error(cli, "%s", info.err.msg);
        else
                r = act_plan_apply(cli, &plan, o->apply, false, NULL, NULL);
        mb_plan_release(&plan);
        return r;
}

static int do_show(struct cli *cli, const char *unit, const regex_t *re)
{
        struct mb_limit_unit u = {0};
        struct mb_limit_show s = {0};
        char w[1200];
        int r = CLI_EXIT_OK;

        if (unit && mb_limit_unit_read(unit, cli_etc(cli), cli->proc_root, cli->sys_root, &u) < 0)
                return cli_usage_error(cli, "invalid unit '%s'", unit);
        if (u.msg[0])
                cli_warn("%s", u.msg);
        if (re && (r = mb_limit_show_read(&cli->root, cli->proc_root, cli->sys_root, re, &s)) < 0)
                r = cli_runtime_error(cli, "cannot scan processes: %s", mb_strerror(r));
        for (size_t i = 0; r == 0 && i < s.n; i++)
                if (mb_limit_shown_warning(&s.p[i], w, sizeof(w)))
                        cli_warn("%s", w);
        if (r == 0)
                mb_out_limit_show(cli->out, cli->json, unit ? &u : NULL, re ? &s : NULL);
        mb_limit_show_release(&s);
        mb_limit_unit_release(&u);
        return r;
}

/* --show without --unit or --match: the target of the configuration. */
static int config_target(struct cli *cli, struct limit_opts *o)
{
        const struct mb_config *cfg;
        int r;

        if ((r = cli_config(cli, &cfg)))
                return r;
        o->unit = cfg->target_unit[0] ? cfg->target_unit : NULL;
        if (cfg->target_match[0] &&
            (r = cli_opt_regex(cli, "target.match", cfg->target_match, &o->match, &o->has_match)))
                return r;
        if (!o->unit && !o->has_match)
                return cli_usage_error(cli, "--show needs --unit or --match (the "
                                            "configuration names no target)");
        return 0;
}

int cmd_limit(int argc, char **argv, struct cli *cli)
{
        struct limit_opts o = {0};
        const struct mb_config *cfg;
        char msg[1200];
        int r;

        if ((r = parse(argc, argv, cli, &o)) || (r = cli_root(cli)))
                goto out;
        if (o.show && !o.unit && !o.has_match && (r = config_target(cli, &o)))
                goto out;
        if (o.show || o.release) {
                r = o.show ? do_show(cli, o.unit, o.has_match ? &o.match : NULL)
                           : do_release(cli, &o);
                goto out;
        }
        if (o.lim.max < 0 && ((r = cli_config(cli, &cfg)) ||
                              mb_config_default_max(cfg, &o.lim.max, msg, sizeof(msg)) < 0)) {
                r = r ? r : cli_usage_error(cli, "%s", msg);
                goto out;
        }
        if (o.lim.high >= 0 && o.lim.high > o.lim.max)
                r = cli_usage_error(cli, "--high must not be above --max");
        else
                r = o.unit ? do_unit(cli, &o) : do_match(cli, &o);
out:
        if (o.has_match)
                regfree(&o.match);
        return r;
}
