/* cmd-run.c: "membudget run": a command in a fresh cgroup, its peaks reported. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/act/apply.h"
#include "../lib/act/cgroup.h"
#include "../lib/collect/gpu.h"
#include "../lib/collect/proc.h"
#include "../lib/config/config.h"
#include "../lib/out/json.h"
#include "../lib/out/run.h"
#include "../lib/util/size.h"
#include "cli.h"

const char cmd_run_help[] =
    "usage: membudget run [--max SIZE] [--high SIZE] [--swap-max SIZE] [--check] [--json]\n"
    "                     -- CMD [ARGS...]\n"
    "\n"
    "Runs CMD (no shell) in a fresh memory cgroup (v2 where available, else v1),\n"
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

struct peaks {
        int64_t rss, swap, tree, cg, cg_swap, vram;
        int64_t oom_kills;
        unsigned samples;
        size_t max_procs;
};

struct run_ctx {
        struct mb_cli *cli;
        struct mb_cgroup_fs fs;
        bool have_cg;
        char dir[1200];
        pid_t pid;
        struct mb_proctab tab;
        struct mb_gpus gpus;
        bool gpu_ok;
        int *cgpids;
        size_t ncgpids;
        bool removed; /* the group existed and was removed */
};

static bool in_list(const int *v, size_t n, int pid)
{
        for (size_t i = 0; i < n; i++)
                if (v[i] == pid)
                        return true;
        return false;
}

static void sample(struct run_ctx *rc, struct peaks *pk, bool gpu)
{
        struct mb_scan_filter f = {.skip_kthreads = true};
        int64_t rss = 0, swap = 0, vram = 0, v;
        bool *mark = NULL, vram_known = false;
        size_t nproc = 0;

        if (mb_proc_scan(&rc->cli->root, 0, &f, &rc->tab) < 0)
                return;
        free(rc->cgpids);
        rc->cgpids = NULL;
        rc->ncgpids = 0;
        if (rc->have_cg)
                mb_cgroup_pids(rc->dir, &rc->cgpids, &rc->ncgpids);
        mark = calloc(rc->tab.n + 1, sizeof(*mark));
        if (!mark)
                return;
        for (size_t i = 0; i < rc->tab.n; i++)
                mark[i] = rc->tab.p[i].pid == rc->pid ||
                          (rc->have_cg && in_list(rc->cgpids, rc->ncgpids, rc->tab.p[i].pid));
        for (bool changed = true; changed;) {
                changed = false;
                for (size_t i = 0; i < rc->tab.n; i++) {
                        if (mark[i])
                                continue;
                        for (size_t k = 0; k < rc->tab.n; k++)
                                if (mark[k] && rc->tab.p[k].pid == rc->tab.p[i].ppid) {
                                        mark[i] = changed = true;
                                        break;
                                }
                }
        }
        if (gpu && rc->gpu_ok) {
                mb_gpus_release(&rc->gpus);
                memset(&rc->gpus, 0, sizeof(rc->gpus));
                if (mb_gpu_collect(&rc->cli->root, &rc->tab, &rc->gpus) < 0 || rc->gpus.n == 0)
                        rc->gpu_ok = false;
        }
        for (size_t i = 0; i < rc->tab.n; i++) {
                const struct mb_proc *p = &rc->tab.p[i];
                if (!mark[i])
                        continue;
                nproc++;
                if (p->rss != MB_UNKNOWN)
                        rss += p->rss;
                if (p->swap != MB_UNKNOWN)
                        swap += p->swap;
                if (gpu && rc->gpu_ok && p->gpu != MB_UNKNOWN) {
                        vram += p->gpu;
                        vram_known = true;
                }
        }
        free(mark);
        pk->samples++;
        if (nproc > pk->max_procs)
                pk->max_procs = nproc;
        if (rss > pk->rss)
                pk->rss = rss;
        if (swap > pk->swap)
                pk->swap = swap;
        if (rss + swap > pk->tree)
                pk->tree = rss + swap;
        if (vram_known && vram > pk->vram)
                pk->vram = vram;
        if (rc->have_cg) {
                bool v2 = rc->fs.version == MB_CG_V2;
                if (mb_cgroup_read_i64(rc->dir, v2 ? "memory.current" : "memory.usage_in_bytes",
                                       &v) == 0 &&
                    v > pk->cg)
                        pk->cg = v;
                if (v2) {
                        if (mb_cgroup_read_i64(rc->dir, "memory.swap.current", &v) == 0 &&
                            v > pk->cg_swap)
                                pk->cg_swap = v;
                } else if (mb_cgroup_read_key(rc->dir, "memory.stat", "swap", &v) == 0 &&
                           v > pk->cg_swap) {
                        pk->cg_swap = v;
                }
        }
}

/* Build and perform (not journaled) the group's plan. */
static int make_group(struct run_ctx *rc, const struct mb_cg_limits *lim, char *msg, size_t len)
{
        struct mb_plan plan;
        struct mb_apply_ctx ctx = {0};
        char name[64];
        int r = 0;

        snprintf(name, sizeof(name), "run-%d", (int)getpid());
        mb_cgroup_dir(&rc->fs, name, rc->dir, sizeof(rc->dir));
        mb_plan_init(&plan);
        if (mb_cgroup_limit_plan(&rc->fs, name, lim, false, NULL, NULL, 0, &plan) < 0) {
                mb_plan_release(&plan);
                snprintf(msg, len, "out of memory");
                return -ENOMEM;
        }
        ctx.proc_root = rc->cli->proc_root;
        for (size_t i = 0; i < plan.n && r == 0; i++) {
                r = mb_change_do(&plan.c[i], &ctx);
                if (r < 0) {
                        snprintf(msg, len, "%s", ctx.msg);
                        if (i > 0)
                                mb_cgroup_remove(rc->dir);
                }
        }
        for (size_t i = 0; i < plan.nnotes; i++)
                mb_warn("%s", plan.notes[i]);
        mb_plan_release(&plan);
        return r;
}

static void remove_group(struct run_ctx *rc)
{
        int *pids = NULL;
        size_t n = 0;
        char self[1200];

        if (!rc->have_cg)
                return;
        /* anything left (daemonized children) goes to our own group */
        if (mb_cgroup_of(&rc->fs, rc->cli->proc_root, getpid(), self, sizeof(self)) == 0 &&
            mb_cgroup_pids(rc->dir, &pids, &n) == 0) {
                for (size_t i = 0; i < n; i++)
                        mb_cgroup_move(self, pids[i]);
        }
        free(pids);
        for (int i = 0; i < 50; i++) {
                if (mb_cgroup_remove(rc->dir) == 0)
                        return;
                usleep(20000); /* a dying task can hold the group a moment */
        }
        mb_warn("cannot remove cgroup '%s': %s", rc->dir, mb_strerror(-errno));
}

struct run_opts {
        struct mb_cg_limits lim;
        bool check, explicit;
        char **argv; /* the command */
};

static int parse(int argc, char **argv, struct mb_cli *cli, struct run_opts *o)
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
        mb_getopt_reset();
        while ((c = getopt_long(argc, argv, "+:", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_MAX:
                        r = mb_opt_size(cli, "--max", optarg, &o->lim.max);
                        break;
                case OPT_HIGH:
                        r = mb_opt_size(cli, "--high", optarg, &o->lim.high);
                        break;
                case OPT_SWAP:
                        r = mb_opt_size(cli, "--swap-max", optarg, &o->lim.swap_max);
                        break;
                case OPT_CHECK:
                        o->check = true;
                        continue;
                default:
                        return mb_bad_option(cli, argc, argv, c);
                }
                if (r)
                        return r;
                o->explicit = true;
        }
        if (optind >= argc)
                return mb_usage_error(cli, "no command given (membudget run [OPTIONS] -- CMD "
                                           "[ARGS...])");
        if (o->lim.max == 0)
                return mb_usage_error(cli, "invalid size '0' for --max");
        o->argv = argv + optind;
        return 0;
}

/* The group (when we can make one), or a warning that limits are not
 * enforced; an exit code when an explicit limit cannot be honoured. */
static int setup_group(struct run_ctx *rc, const struct run_opts *o)
{
        char msg[4096];
        int r;

        if (mb_cgroup_detect(rc->cli->sys_root, &rc->fs) < 0) {
                snprintf(msg, sizeof(msg), "no cgroup memory controller found");
                r = -ENOENT;
        } else if (geteuid() != 0) {
                snprintf(msg, sizeof(msg), "needs root to create a cgroup under '%s'",
                         rc->fs.mount);
                r = -EPERM;
        } else {
                r = make_group(rc, &o->lim, msg, sizeof(msg));
        }
        if (r < 0) {
                if (o->explicit)
                        return mb_runtime_error(rc->cli, "%s; not started", msg);
                mb_warn("%s: running without a cgroup, limits not enforced", msg);
        } else {
                rc->have_cg = true;
        }
        return 0;
}

/* Fork CMD held at a pipe until it is in the group; 0, or -errno. */
static int start_child(struct run_ctx *rc, char **cmd, int *child_errno)
{
        int syncp[2] = {-1, -1}, errp[2] = {-1, -1}, r;
        pid_t pid;

        if (pipe2(syncp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
                r = -errno;
                goto fail;
        }
        fflush(NULL);
        pid = fork();
        if (pid < 0) {
                r = -errno;
                goto fail;
        }
        if (pid == 0) {
                char b;
                int e;
                close(syncp[1]);
                close(errp[0]);
                while (read(syncp[0], &b, 1) < 0 && errno == EINTR)
                        ;
                execvp(cmd[0], cmd);
                e = errno;
                if (write(errp[1], &e, sizeof(e)) < 0)
                        _exit(127);
                _exit(e == ENOENT ? 127 : 126);
        }
        close(syncp[0]);
        close(errp[1]);
        rc->pid = pid;
        child_pid = pid;
        if (rc->have_cg && (r = mb_cgroup_move(rc->dir, pid)) < 0)
                mb_warn("cannot move the command into '%s': %s; limits not enforced", rc->dir,
                        mb_strerror(r));
        close(syncp[1]); /* go */
        if (read(errp[0], child_errno, sizeof(*child_errno)) != sizeof(*child_errno))
                *child_errno = 0;
        close(errp[0]);
        return 0;
fail:
        for (int i = 0; i < 2; i++) {
                if (syncp[i] >= 0)
                        close(syncp[i]);
                if (errp[i] >= 0)
                        close(errp[i]);
        }
        return r;
}

/* Sample every 100 ms until the child exits; its wait status. */
static int wait_child(struct run_ctx *rc, struct peaks *pk)
{
        int status = 0;

        for (;;) {
                struct timespec ts = {0, 100 * 1000 * 1000};
                pid_t w = waitpid(rc->pid, &status, WNOHANG);
                if (w == rc->pid)
                        break;
                if (w < 0 && errno != EINTR)
                        return 0;
                sample(rc, pk, pk->samples % 10 == 0);
                nanosleep(&ts, NULL);
        }
        return status;
}

/* Final cgroup peaks and OOM kills, then the group goes. */
static void finish_group(struct run_ctx *rc, struct peaks *pk)
{
        bool v2 = rc->fs.version == MB_CG_V2;
        int64_t v;

        if (!rc->have_cg)
                return;
        if (mb_cgroup_read_i64(rc->dir, v2 ? "memory.peak" : "memory.max_usage_in_bytes", &v) ==
                0 &&
            v > pk->cg)
                pk->cg = v;
        mb_cgroup_oom_kills(&rc->fs, rc->dir, &pk->oom_kills);
        remove_group(rc);
        rc->have_cg = false;
        rc->removed = true;
}

static void build_report(const struct run_ctx *rc, const struct peaks *pk, const struct run_opts *o,
                         const struct mb_config *cfg, struct mb_run_report *r)
{
        int64_t swap_budget = cfg->swap_max_mb >= 0 ? cfg->swap_max_mb * 1024 * 1024 : -1;
        int64_t vram_budget = cfg->vram_max_mb >= 0 ? cfg->vram_max_mb * 1024 * 1024 : -1;
        bool have_vram = rc->gpu_ok && rc->gpus.n > 0;

        r->command = o->argv[0];
        r->cgroup = rc->removed ? rc->dir : NULL;
        r->max = o->lim.max;
        r->high = o->lim.high;
        r->swap_max = o->lim.swap_max;
        r->rss = pk->rss;
        r->swap = pk->swap > pk->cg_swap ? pk->swap : pk->cg_swap;
        r->tree = pk->tree;
        r->cg = pk->cg;
        r->vram = have_vram ? pk->vram : MB_UNKNOWN;
        r->oom_kills = pk->oom_kills;
        r->samples = pk->samples;
        r->max_procs = pk->max_procs;
        /* the budget of the configuration, not the limit given */
        r->broke_ram = pk->rss > cfg->ram_max_mb * 1024 * 1024;
        r->broke_swap = swap_budget >= 0 && (pk->swap > swap_budget || pk->cg_swap > swap_budget);
        r->broke_vram = have_vram && vram_budget >= 0 && pk->vram > vram_budget;
        r->broke = r->broke_ram || r->broke_swap || r->broke_vram || pk->oom_kills > 0;
}

int cmd_run(int argc, char **argv, struct mb_cli *cli)
{
        struct run_opts o = {0};
        const struct mb_config *cfg;
        struct run_ctx rc;
        struct peaks pk = {0};
        struct mb_run_report rep = {0};
        struct sigaction sa, old[MB_ARRAY_SIZE(fwd_signals)];
        char msg[512];
        int r, status, code, child_errno = 0;
        double t0;

        if ((r = parse(argc, argv, cli, &o)))
                return r;
        if ((r = mb_cli_config(cli, &cfg)))
                return r;
        if ((r = mb_cli_root(cli)))
                return r;
        if (o.lim.max < 0 && mb_config_default_max(cfg, &o.lim.max, msg, sizeof(msg)) < 0)
                return mb_usage_error(cli, "%s", msg);
        if (o.lim.high > o.lim.max)
                return mb_usage_error(cli, "--high must not be above --max");

        memset(&rc, 0, sizeof(rc));
        rc.cli = cli;
        rc.gpu_ok = true;
        mb_proctab_init(&rc.tab);
        if ((code = setup_group(&rc, &o)))
                goto out;
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = forward;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < MB_ARRAY_SIZE(fwd_signals); i++)
                sigaction(fwd_signals[i], &sa, &old[i]);
        t0 = mb_now_mono();
        r = start_child(&rc, o.argv, &child_errno);
        status = r < 0 ? 0 : wait_child(&rc, &pk);
        rep.wall_s = mb_now_mono() - t0;
        child_pid = 0;
        for (size_t i = 0; i < MB_ARRAY_SIZE(fwd_signals); i++)
                sigaction(fwd_signals[i], &old[i], NULL);
        finish_group(&rc, &pk); /* also when pipe or fork failed */
        if (r < 0) {
                code = mb_runtime_error(cli, "cannot start '%s': %s", o.argv[0], mb_strerror(r));
                goto out;
        }
        if (child_errno) {
                code = child_errno == ENOENT ? 127 : 126;
                mb_runtime_error(cli, "cannot run '%s': %s", o.argv[0], strerror(child_errno));
                goto out;
        }
        if (WIFEXITED(status))
                code = WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
                code = 128 + WTERMSIG(status);
        else
                code = MB_EXIT_RUNTIME;
        build_report(&rc, &pk, &o, cfg, &rep);
        rep.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        rep.exit_status = code;
        if (cli->json)
                mb_json_print(mb_out_run_json(&rep), cli->out);
        else
                mb_out_run_text(stderr, &rep);
        /* --check: 1 when a budget broke or the OOM killer struck, whatever
         * the command's own status (137 after an OOM kill) */
        if (o.check && rep.broke)
                code = MB_EXIT_CHECK;
out:
        if (rc.gpus.n || rc.gpus.dev)
                mb_gpus_release(&rc.gpus);
        free(rc.cgpids);
        mb_proctab_release(&rc.tab);
        return code;
}
