/* runner.c: see runner.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "runner.h"

static void warn(struct mb_runner *rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct mb_runner *rc, const char *fmt, ...)
{
        char buf[1024];
        va_list ap;

        if (!rc->warn)
                return;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        rc->warn(buf);
}

static bool in_list(const int *v, size_t n, int pid)
{
        for (size_t i = 0; i < n; i++)
                if (v[i] == pid)
                        return true;
        return false;
}

static void sample(struct mb_runner *rc, struct mb_run_peaks *pk, bool gpu)
{
        struct mb_scan_filter f = {.skip_kthreads = true};
        int64_t rss = 0, swap = 0, vram = 0, v;
        bool *mark = NULL, vram_known = false;
        size_t nproc = 0;

        if (mb_proc_scan(rc->root, 0, &f, &rc->tab) < 0)
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
                          (rc->have_cg && rc->tab.p[i].pid != rc->pin &&
                           in_list(rc->cgpids, rc->ncgpids, rc->tab.p[i].pid));
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
                if (mb_gpu_collect(rc->root, &rc->tab, &rc->gpus) < 0 || rc->gpus.n == 0)
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
                if (rc->in_scope && mb_cgroup_oom_kills(&rc->fs, rc->dir, &v) == 0 &&
                    v > pk->oom_kills)
                        pk->oom_kills = v; /* in case systemd stops the scope first */
        }
}

static void pin_end(struct mb_runner *rc)
{
        if (rc->pin <= 0)
                return;
        kill(rc->pin, SIGKILL);
        while (waitpid(rc->pin, NULL, 0) < 0 && errno == EINTR)
                ;
        rc->pin = 0;
}

/* The command (held at the pipe) and a pin adopted by a new transient
 * scope; 0, or -errno after a warning (nothing left behind). */
static int scope_adopt(struct mb_runner *rc, pid_t pid)
{
        char name[64], msg[512] = "", cg[1024];
        pid_t pids[2];
        int r;

        rc->pin = mb_scope_pin_spawn();
        if (rc->pin < 0) {
                r = rc->pin;
                rc->pin = 0;
                snprintf(msg, sizeof(msg), "cannot fork the pin process: %s", mb_strerror(r));
                goto fail;
        }
        snprintf(name, sizeof(name), "run-%d", (int)pid);
        r = mb_scope_plan(name, NULL, rc->description, &rc->lim, &rc->scope);
        if (r < 0) {
                snprintf(msg, sizeof(msg), "invalid scope name '%s'", name);
                goto fail;
        }
        pids[0] = pid;
        pids[1] = rc->pin;
        r = mb_scope_start(&rc->scope, pids, 2, &rc->way, msg, sizeof(msg));
        if (r < 0)
                goto fail;
        r = mb_scope_wait(rc->proc_root, pid, rc->scope.unit, 5, cg, sizeof(cg));
        if (r < 0) {
                snprintf(msg, sizeof(msg), "the command did not appear in %s within 5 s",
                         rc->scope.unit);
                goto fail;
        }
        snprintf(rc->dir, sizeof(rc->dir), "%.600s%.590s", rc->fs.mount, cg);
        rc->in_scope = rc->have_cg = true;
        return 0;
fail:
        warn(rc, "cannot start a transient scope (%s): using a raw cgroup", msg);
        pin_end(rc);
        rc->way = MB_SCOPE_NONE;
        return r;
}

/* Build and perform (not journaled) the group's plan. */
int mb_runner_group(struct mb_runner *rc, const struct mb_cg_limits *lim, char *msg, size_t len)
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
        ctx.proc_root = rc->proc_root;
        for (size_t i = 0; i < plan.n && r == 0; i++) {
                r = mb_change_do(&plan.c[i], &ctx);
                if (r < 0) {
                        snprintf(msg, len, "%s", ctx.msg);
                        if (i > 0)
                                mb_cgroup_remove(rc->dir);
                }
        }
        for (size_t i = 0; i < plan.nnotes; i++)
                warn(rc, "%s", plan.notes[i]);
        mb_plan_release(&plan);
        return r;
}

static void remove_group(struct mb_runner *rc)
{
        int *pids = NULL;
        size_t n = 0;
        char self[1200];

        if (!rc->have_cg)
                return;
        /* anything left (daemonized children) goes to our own group */
        if (mb_cgroup_of(&rc->fs, rc->proc_root, getpid(), self, sizeof(self)) == 0 &&
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
        warn(rc, "cannot remove cgroup '%s': %s", rc->dir, mb_strerror(-errno));
}

/* Fork CMD held at a pipe until it is in the group; 0, or -errno. */
int mb_runner_start(struct mb_runner *rc, char **cmd, int *child_errno)
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
        if (rc->want_scope && scope_adopt(rc, pid) < 0) {
                char msg[4096];
                if (mb_runner_group(rc, &rc->lim, msg, sizeof(msg)) == 0)
                        rc->have_cg = true;
                else
                        warn(rc, "%s: running without a cgroup, limits not enforced", msg);
        }
        if (rc->have_cg && !rc->in_scope && (r = mb_cgroup_move(rc->dir, pid)) < 0)
                warn(rc, "cannot move the command into '%s': %s; limits not enforced", rc->dir,
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
int mb_runner_wait(struct mb_runner *rc, struct mb_run_peaks *pk)
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
void mb_runner_finish(struct mb_runner *rc, struct mb_run_peaks *pk)
{
        bool v2 = rc->fs.version == MB_CG_V2;
        int64_t v;

        if (!rc->have_cg)
                return;
        if (mb_cgroup_read_i64(rc->dir, v2 ? "memory.peak" : "memory.max_usage_in_bytes", &v) ==
                0 &&
            v > pk->cg)
                pk->cg = v;
        if (mb_cgroup_oom_kills(&rc->fs, rc->dir, &v) == 0 && v > pk->oom_kills)
                pk->oom_kills = v;
        if (rc->in_scope)
                pin_end(rc); /* the scope is empty now: systemd removes it */
        else
                remove_group(rc);
        rc->have_cg = false;
        rc->removed = true;
}

void mb_runner_init(struct mb_runner *rc, struct mb_root *root, const char *proc_root,
                    void (*warn_fn)(const char *msg))
{
        memset(rc, 0, sizeof(*rc));
        rc->root = root;
        rc->proc_root = proc_root;
        rc->warn = warn_fn;
        rc->gpu_ok = true;
        mb_proctab_init(&rc->tab);
}

void mb_runner_release(struct mb_runner *rc)
{
        if (rc->gpus.n || rc->gpus.dev)
                mb_gpus_release(&rc->gpus);
        free(rc->cgpids);
        rc->cgpids = NULL;
        mb_proctab_release(&rc->tab);
}
