/* cmd-tune.c: "membudget tune": swappiness, drop caches, guarded swap cycle. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "../lib/act/swap.h"
#include "../lib/act/sysctl.h"
#include "../lib/config/config.h"
#include "../lib/act/cgroup.h"
#include "act-common.h"

const char cmd_tune_help[] =
    "usage: membudget tune [--apply] [--swappiness N] [--drop-caches] [--swap-cycle]\n"
    "\n"
    "Plans, and with --apply (as root) makes, the host-wide changes of the budget.\n"
    "Every change is recorded with its previous value; 'membudget undo' reverts.\n"
    "\n"
    "  --apply           make the changes (default: print the plan only)\n"
    "  --swappiness N    instead of system.vm_swappiness from the configuration\n"
    "                    (written to /proc/sys/vm/swappiness and persisted in\n"
    "                    /etc/sysctl.d/" MB_SYSCTL_CONF_NAME ")\n"
    "  --drop-caches     sync, then drop clean caches (also when system.drop_caches is\n"
    "                    true); frees clean cache only, never process memory\n"
    "  --swap-cycle      swapoff/swapon each swap area to bring swapped pages back,\n"
    "                    refused unless MemAvailable >= swap used x swap_cycle_factor\n"
    "                    + swap_cycle_margin_mb\n"
    "\n"
    "MEMBUDGET_ETC_ROOT=DIR writes DIR/etc/sysctl.d/... instead of /etc (tests, images).\n";

struct tune_opts {
        bool apply, drop, cycle;
        long swappiness;
};

static int parse(int argc, char **argv, struct cli *cli, struct tune_opts *o)
{
        enum { OPT_APPLY = 0x100, OPT_SWAPPINESS, OPT_DROP, OPT_CYCLE };
        static const struct option longopts[] = {
            {"apply", no_argument, NULL, OPT_APPLY},
            {"swappiness", required_argument, NULL, OPT_SWAPPINESS},
            {"drop-caches", no_argument, NULL, OPT_DROP},
            {"swap-cycle", no_argument, NULL, OPT_CYCLE},
            {NULL, 0, NULL, 0},
        };
        int c, r;

        o->swappiness = -1;
        cli_getopt_reset();
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_APPLY:
                        o->apply = true;
                        break;
                case OPT_SWAPPINESS:
                        if ((r = cli_opt_uint(cli, "--swappiness", optarg, 200, &o->swappiness)))
                                return r;
                        break;
                case OPT_DROP:
                        o->drop = true;
                        break;
                case OPT_CYCLE:
                        o->cycle = true;
                        break;
                default:
                        return cli_bad_option(cli, argc, argv, c);
                }
        }
        if (optind < argc)
                return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
        return 0;
}

/* A swapoff brings every swapped page back: a memory cgroup at its limit
 * with pages in swap would OOM-kill (issue 15.1).  Refuse then. */
static void cycle_cgroups(struct cli *cli, struct mb_plan *plan)
{
        struct mb_cgroup_fs fs;
        struct mb_cg_risk risk[4];
        int n;

        if (mb_cgroup_detect(cli->sys_root, &fs) < 0)
                return;
        n = mb_cgroup_swap_risks(&fs, risk, MB_ARRAY_SIZE(risk));
        if (n > 0)
                mb_swap_cycle_refuse_cgroups(plan, risk, (size_t)n);
        else if (n == 0)
                mb_plan_note(plan, "swap cycle: no memory cgroup holds more than its limit in RAM "
                                   "and swap together");
}

int cmd_tune(int argc, char **argv, struct cli *cli)
{
        const struct mb_config *cfg;
        struct tune_opts o = {0};
        struct mb_plan plan;
        struct mb_error err = {0};
        char conf[1200], drop[1200];
        bool read_err = false;
        int r, cur = -1, want, e;

        if ((r = parse(argc, argv, cli, &o)))
                return r;
        if ((r = cli_config(cli, &cfg)))
                return r;
        if ((r = cli_root(cli)))
                return r;
        mb_plan_init(&plan);
        want = o.swappiness >= 0 ? (int)o.swappiness : cfg->vm_swappiness;
        if (mb_swappiness_read(&cli->root, &cur) < 0)
                cur = -1;
        if ((e = mb_swappiness_plan_host(cli->proc_root, cli_etc(cli), cur, want, &plan, conf,
                                         sizeof(conf), &read_err)) < 0) {
                r = read_err ? cli_runtime_error(cli, "cannot read '%s': %s", conf, mb_strerror(e))
                             : cli_runtime_error(cli, "out of memory");
                goto out;
        }
        if (o.drop || cfg->drop_caches) {
                mb_sysctl_vm_path(cli->proc_root, "drop_caches", drop, sizeof(drop));
                mb_drop_caches_plan(drop, &plan);
        }
        if (o.cycle) {
                struct mb_meminfo mi;
                struct mb_swaps sw = {0};
                if (mb_meminfo_read(&cli->root, &mi, &err) < 0 ||
                    mb_swaps_read(&cli->root, &sw, &err) < 0) {
                        mb_swaps_release(&sw);
                        r = cli_runtime_error(cli, "%s: %s", err.where, err.msg);
                        goto out;
                }
                r = mb_swap_cycle_plan(&mi, &sw, cfg->swap_cycle_factor,
                                       cfg->swap_cycle_margin_mb * 1024 * 1024, &plan);
                mb_swaps_release(&sw);
                if (r < 0) {
                        r = cli_runtime_error(cli, "out of memory");
                        goto out;
                }
                cycle_cgroups(cli, &plan);
        }
        if (!o.apply) {
                r = act_plan_show(cli, &plan, false);
                goto out;
        }
        if (!cli->json)
                act_plan_show(cli, &plan, true);
        r = act_apply(cli, &plan, true);
        if (cli->json && r == CLI_EXIT_OK)
                act_plan_show(cli, &plan, true);
out:
        mb_plan_release(&plan);
        return r;
}
