/* cmd-run.c: "membudget run": a command in a transient scope or a fresh
 * cgroup (lib/act/run.h), its peaks reported. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/act/run.h"
#include "../lib/config/config.h"
#include "../lib/out/json.h"
#include "../lib/out/run.h"
#include "../lib/util/size.h"
#include "cli.h"

const char cmd_run_help[] =
    "usage: membudget run [--max SIZE] [--high SIZE] [--swap-max SIZE] [--check] [--json]\n"
    "                     -- CMD [ARGS...]\n"
    "\n"
    "Runs CMD (no shell) in a transient systemd scope where systemd is PID 1 on\n"
    "cgroup v2, else in a fresh memory cgroup (v2 where available, else v1),\n"
    "samples its whole process tree every 100 ms and reports peak RSS, peak swap,\n"
    "peak cgroup memory, peak VRAM (where GPU data exists), OOM kills and wall time.\n"
    "The report goes to stderr (to stdout as JSON with --json).  Signals sent to\n"
    "membudget are forwarded.  Exits with CMD's status (128+N when killed by signal N).\n"
    "\n"
    "  --max SIZE        hard limit (default: memory.ram_max_mb of the budget)\n"
    "  --high SIZE       throttle limit (v2 memory.high; v1 soft limit)\n"
    "  --swap-max SIZE   swap limit (0 = no swap; v1 needs swap accounting, else\n"
    "                    memory.swappiness 0 in the group)\n"
    "  --check           exit 1 when a peak broke the budget of the configuration\n"
    "                    (RSS over memory.ram_max_mb, swap over memory.swap_max_mb, VRAM\n"
    "                    over memory.vram_max_mb) or an OOM kill happened\n";

static volatile sig_atomic_t child_pid;

static void forward(int sig, siginfo_t *si, void *uc)
{
        (void)uc;
        /* terminal signals reach the child directly (same process group) */
        if (child_pid > 0 && (si->si_code == SI_USER || si->si_code == SI_QUEUE))
                kill((pid_t)child_pid, sig);
}

static const int fwd_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static void warn_line(const char *msg)
{
        cli_warn("%s", msg);
}

struct run_opts {
        struct mb_cg_limits lim;
        bool check, explicit;
        char **argv; /* the command */
};

static int parse(int argc, char **argv, struct cli *cli, struct run_opts *o)
{
        enum { OPT_MAX = 0x100, OPT_HIGH, OPT_SWAP, OPT_CHECK };
        static const struct option longopts[] = {
            {"max", required_argument, NULL, OPT_MAX},
            {"high", required_argument, NULL, OPT_HIGH},
            {"swap-max", required_argument, NULL, OPT_SWAP},
            {"check", no_argument, NULL, OPT_CHECK},
            {NULL, 0, NULL, 0},
        };
        int c, r;

        o->lim.max = o->lim.high = o->lim.swap_max = -1;
        cli_getopt_reset();
        while ((c = getopt_long(argc, argv, "+:", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_MAX:
                        r = cli_opt_size(cli, "--max", optarg, &o->lim.max);
                        break;
                case OPT_HIGH:
                        r = cli_opt_size(cli, "--high", optarg, &o->lim.high);
                        break;
                case OPT_SWAP:
                        r = cli_opt_size(cli, "--swap-max", optarg, &o->lim.swap_max);
                        break;
                case OPT_CHECK:
                        o->check = true;
                        continue;
                default:
                        return cli_bad_option(cli, argc, argv, c);
                }
                if (r)
                        return r;
                o->explicit = true;
        }
        if (optind >= argc)
                return cli_usage_error(cli, "no command given (membudget run [OPTIONS] -- CMD "
                                            "[ARGS...])");
        if (o->lim.max == 0)
                return cli_usage_error(cli, "invalid size '0' for --max");
        o->argv = argv + optind;
        return 0;
}

/* The group or scope (when we can make one), or a warning that limits are
 * not enforced; an exit code when an explicit limit cannot be honoured. */
static int setup_group(struct cli *cli, struct mb_runner *rc, const struct run_opts *o)
{
        struct mb_run_plan p;
        bool have_fs = mb_cgroup_detect(cli->sys_root, &rc->fs) == 0;
        char msg[4096];
        int r;

        mb_run_plan(have_fs ? &rc->fs : NULL, mb_systemd_booted(NULL),
                    cli->sys_root || cli->proc_root, geteuid() == 0, &p);
        r = mb_run_setup(rc, &p, &o->lim, o->argv, msg, sizeof(msg));
        if (r < 0) {
                if (o->explicit)
                        return cli_runtime_error(cli, "%s; not started", msg);
                cli_warn("%s: running without a cgroup, limits not enforced", msg);
        }
        return 0;
}

int cmd_run(int argc, char **argv, struct cli *cli)
{
        struct run_opts o = {0};
        const struct mb_config *cfg;
        struct mb_runner rc;
        struct mb_run_peaks pk = {0};
        struct mb_run_report rep = {0};
        struct sigaction sa, old[MB_ARRAY_SIZE(fwd_signals)];
        char msg[512];
        int r, status, code, child_errno = 0;
        double t0;

        if ((r = parse(argc, argv, cli, &o)))
                return r;
        if ((r = cli_config(cli, &cfg)))
                return r;
        if ((r = cli_root(cli)))
                return r;
        if (o.lim.max < 0 && mb_config_default_max(cfg, &o.lim.max, msg, sizeof(msg)) < 0)
                return cli_usage_error(cli, "%s", msg);
        if (o.lim.high > o.lim.max)
                return cli_usage_error(cli, "--high must not be above --max");

        mb_runner_init(&rc, &cli->root, cli->proc_root, warn_line);
        if ((code = setup_group(cli, &rc, &o)))
                goto out;
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = forward;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < MB_ARRAY_SIZE(fwd_signals); i++)
                sigaction(fwd_signals[i], &sa, &old[i]);
        t0 = mb_now_mono();
        r = mb_runner_start(&rc, o.argv, &child_errno);
        child_pid = r == 0 ? rc.pid : 0;
        status = r < 0 ? 0 : mb_runner_wait(&rc, &pk);
        rep.wall_s = mb_now_mono() - t0;
        child_pid = 0;
        for (size_t i = 0; i < MB_ARRAY_SIZE(fwd_signals); i++)
                sigaction(fwd_signals[i], &old[i], NULL);
        mb_runner_finish(&rc, &pk); /* also when pipe or fork failed */
        if (r < 0) {
                code = cli_runtime_error(cli, "cannot start '%s': %s", o.argv[0], mb_strerror(r));
                goto out;
        }
        if (child_errno) {
                code = child_errno == ENOENT ? 127 : 126;
                cli_runtime_error(cli, "cannot run '%s': %s", o.argv[0], strerror(child_errno));
                goto out;
        }
        if (WIFEXITED(status))
                code = WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
                code = 128 + WTERMSIG(status);
        else
                code = CLI_EXIT_RUNTIME;
        mb_out_run_fill(&rc, &pk, &o.lim, o.argv[0], cfg->ram_max_mb * 1024 * 1024,
                        cfg->swap_max_mb >= 0 ? cfg->swap_max_mb * 1024 * 1024 : -1,
                        cfg->vram_max_mb >= 0 ? cfg->vram_max_mb * 1024 * 1024 : -1, &rep);
        rep.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        rep.exit_status = code;
        if (cli->json)
                mb_json_print(mb_out_run_json(&rep), cli->out);
        else
                mb_out_run_text(stderr, &rep);
        /* --check: 1 when a budget broke or the OOM killer struck, whatever
         * the command's own status (137 after an OOM kill) */
        if (o.check && rep.broke)
                code = CLI_EXIT_CHECK;
out:
        mb_runner_release(&rc);
        return code;
}
