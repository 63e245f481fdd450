/* guard-act.c: see guard-act.h. */
#define _GNU_SOURCE
#include "guard-act.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../collect/proc.h"

extern char **environ;

void mb_guard_kill_init(struct mb_guard_kill *k)
{
        memset(k, 0, sizeof(*k));
        k->pidfd = -1;
}

void mb_guard_kill_release(struct mb_guard_kill *k)
{
        if (k->pidfd >= 0)
                close(k->pidfd);
        mb_guard_kill_init(k);
}

/* Start time of pid in the live /proc; 0 with -errno when unreadable. */
static int read_starttime(int proc_fd, int pid, uint64_t *ret)
{
        char path[32], buf[1024];
        struct mb_proc p;
        ssize_t n;

        snprintf(path, sizeof(path), "%d/stat", pid);
        n = mb_read_small_at(proc_fd, path, buf, sizeof(buf));
        if (n < 0)
                return n == -ENOENT ? -ESRCH : (int)n;
        memset(&p, 0, sizeof(p));
        if (mb_stat_parse(buf, (size_t)n, &p) < 0)
                return -EINVAL;
        if (p.state == 'Z' || p.state == 'X')
                return -ESRCH; /* exited, not yet reaped */
        *ret = p.starttime;
        return 0;
}

static int send_sig(struct mb_guard_kill *k, int sig)
{
#ifdef SYS_pidfd_send_signal
        if (k->pidfd >= 0)
                return syscall(SYS_pidfd_send_signal, k->pidfd, sig, NULL, 0) < 0 ? -errno : 0;
#endif
        return kill(k->pid, sig) < 0 ? -errno : 0;
}

int mb_guard_kill_start(struct mb_guard_kill *k, int proc_fd, int pid, uint64_t starttime,
                        double grace_s, double now)
{
        uint64_t st = 0;
        int r;

        mb_guard_kill_release(k);
        if (pid <= 1 || starttime == 0)
                return -ESTALE;
#ifdef SYS_pidfd_open
        k->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (k->pidfd < 0 && errno == ESRCH)
                return -ESRCH;
#endif
        /* Read the identity after the pidfd is held: if it still matches,
         * the pidfd refers to the process the snapshot saw. */
        r = read_starttime(proc_fd, pid, &st);
        if (r == 0 && st != starttime)
                r = -ESTALE;
        if (r < 0)
                goto fail;
        k->pid = pid;
        k->starttime = starttime;
        r = send_sig(k, SIGTERM);
        if (r < 0)
                goto fail;
        k->active = true;
        k->kill_at = now + grace_s;
        return 0;
fail:
        mb_guard_kill_release(k);
        return r;
}

int mb_guard_kill_tick(struct mb_guard_kill *k, int proc_fd, double now)
{
        uint64_t st = 0;
        int r;

        if (!k->active)
                return 0;
        if (k->pidfd >= 0) {
                struct pollfd pfd = {.fd = k->pidfd, .events = POLLIN};
                if (poll(&pfd, 1, 0) > 0) { /* exited */
                        mb_guard_kill_release(k);
                        return 1;
                }
        }
        r = read_starttime(proc_fd, k->pid, &st);
        if (r == -ESRCH) {
                mb_guard_kill_release(k);
                return 1;
        }
        if (r == 0 && st != k->starttime) {
                mb_guard_kill_release(k);
                return -ESTALE;
        }
        if (now < k->kill_at)
                return 0;
        r = send_sig(k, SIGKILL);
        mb_guard_kill_release(k);
        if (r == -ESRCH)
                return 1;
        return r < 0 ? r : 2;
}

pid_t mb_hook_spawn(struct mb_hooks *h, char *const argv[], char *const env[], double now)
{
        size_t ne = 0, nx = 0;
        char **envp;
        pid_t pid;

        if (!argv || !argv[0])
                return -EINVAL;
        if (h->n >= MB_HOOK_MAX)
                return -EBUSY;
        while (environ && environ[ne])
                ne++;
        while (env && env[nx])
                nx++;
        envp = calloc(ne + nx + 1, sizeof(*envp));
        if (!envp)
                return -ENOMEM;
        /* Our variables first: execvpe keeps the first of duplicate names
         * for getenv() in most programs, and we drop inherited MEMBUDGET_*. */
        size_t j = 0;
        for (size_t i = 0; i < nx; i++)
                envp[j++] = env[i];
        for (size_t i = 0; i < ne; i++)
                if (strncmp(environ[i], "MEMBUDGET_", 10) != 0)
                        envp[j++] = environ[i];
        envp[j] = NULL;

        pid = fork();
        if (pid < 0) {
                int e = errno;
                free(envp);
                return -e;
        }
        if (pid == 0) {
                sigset_t all;
                int fd;
                sigemptyset(&all);
                sigprocmask(SIG_SETMASK, &all, NULL);
                signal(SIGPIPE, SIG_DFL);
                fd = open("/dev/null", O_RDONLY);
                if (fd >= 0 && fd != 0) {
                        dup2(fd, 0);
                        close(fd);
                }
                execvpe(argv[0], argv, envp);
                _exit(127);
        }
        free(envp);
        h->pid[h->n] = pid;
        h->started[h->n] = now;
        h->n++;
        return pid;
}

unsigned mb_hooks_reap(struct mb_hooks *h, double now, double timeout_s,
                       void (*done)(pid_t pid, int status, void *arg), void *arg)
{
        unsigned i = 0;

        while (i < h->n) {
                int status = 0;
                pid_t r = waitpid(h->pid[i], &status, WNOHANG);
                if (r == 0) {
                        if (now - h->started[i] > timeout_s)
                                kill(h->pid[i], SIGKILL); /* reaped on a later tick */
                        i++;
                        continue;
                }
                if (r == h->pid[i] && done)
                        done(h->pid[i], status, arg);
                /* finished (or not our child any more): forget it */
                h->pid[i] = h->pid[h->n - 1];
                h->started[i] = h->started[h->n - 1];
                h->n--;
        }
        return h->n;
}

/* ---- the guard's decisions carried out (was in cmd-serve.c) ---- */
static void hook_done(pid_t pid, int status, void *arg)
{
        const struct mb_guard_runner *g = arg;

        if (WIFEXITED(status))
                g->log("guard: hook (pid %d) exited with status %d", (int)pid, WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
                g->log("guard: hook (pid %d) killed by signal %d", (int)pid, WTERMSIG(status));
}

void mb_guard_follow(const struct mb_guard_runner *g, const struct mb_config *c, double now)
{
        int r, pid;

        mb_hooks_reap(g->hooks, now, MB_HOOK_TIMEOUT_S, hook_done, (void *)(uintptr_t)g);
        if (!g->kill->active)
                return;
        pid = g->kill->pid;
        r = mb_guard_kill_tick(g->kill, g->proc_fd, now);
        if (r == 1)
                g->log("guard: pid %d has exited", pid);
        else if (r == 2)
                g->log("guard: pid %d still alive after %.0f s: sent SIGKILL", pid,
                       c->guard_grace_s);
        else if (r == -ESTALE)
                g->log("guard: pid %d is now another process: not signalled", pid);
        else if (r < 0)
                g->log("guard: SIGKILL to pid %d failed: %s", pid, mb_strerror(r));
}

static void fmt_value(enum mb_guard_cond c, double v, char *buf, size_t len)
{
        if (c == MB_GC_PSI_FULL)
                snprintf(buf, len, "%.2f%%", v);
        else
                snprintf(buf, len, "%.0f MiB", v / (1024.0 * 1024.0));
}

/* The signal step of a decision: SIGTERM to the victim (or why not). */
static void run_signal(const struct mb_guard_runner *g, const struct mb_config *c,
                       const struct mb_guard_decision *dec, const struct mb_proc *victim,
                       double now)
{
        char what[256];

        if (!victim)
                snprintf(what, sizeof(what),
                         "no process of an allowed user (guard.kill_user) matches "
                         "guard.kill_match");
        else
                snprintf(what, sizeof(what), "pid %d (%s, RSS+swap %lld MiB)", victim->pid,
                         victim->name, (long long)(mb_proc_rss_swap(victim) >> 20));
        if (dec->dry_run && !victim) {
                g->log("guard (dry run): %s: nothing would be signalled", what);
        } else if (dec->dry_run) {
                g->log("guard (dry run): would send SIGTERM to %s", what);
        } else if (victim && g->kill->active) {
                g->log("guard: still waiting for pid %d to exit; not signalling %s", g->kill->pid,
                       what);
        } else if (victim) {
                int r = mb_guard_kill_start(g->kill, g->proc_fd, victim->pid, victim->starttime,
                                            c->guard_grace_s, now);
                if (r == 0)
                        g->log("guard: sent SIGTERM to %s; SIGKILL in %.0f s if still alive", what,
                               c->guard_grace_s);
                else if (r == -ESTALE)
                        g->log("guard: pid %d changed identity since the sample: not "
                               "signalled",
                               victim->pid);
                else
                        g->log("guard: cannot signal %s: %s", what, mb_strerror(r));
        } else {
                g->log("guard: %s: nothing signalled", what);
        }
}

/* The hook step of a decision: start guard.hook with MEMBUDGET_* variables. */
static void run_hook(const struct mb_guard_runner *g, const struct mb_config *c,
                     const struct mb_guard_decision *dec, const struct mb_proc *victim, double now)
{
        if (dec->dry_run) {
                g->log("guard (dry run): would run hook %s", c->guard_hook[0]);
        } else {
                const struct mb_guard_event *e = &dec->ev[0];
                char ev[64], cond[64], v[64], t[64], held[64], vp[64], vn[96], all[256];
                size_t off = 0;
                all[0] = '\0';
                for (unsigned i = 0; i < dec->nev && off < sizeof(all); i++)
                        off += (size_t)snprintf(all + off, sizeof(all) - off, "%s%s", i ? "," : "",
                                                mb_guard_cond_names[dec->ev[i].cond]);
                snprintf(ev, sizeof(ev), "MEMBUDGET_EVENT=guard");
                snprintf(cond, sizeof(cond), "MEMBUDGET_CONDITION=%s",
                         mb_guard_cond_names[e->cond]);
                snprintf(v, sizeof(v), "MEMBUDGET_VALUE=%.0f", e->value);
                snprintf(t, sizeof(t), "MEMBUDGET_THRESHOLD=%.0f", e->threshold);
                snprintf(held, sizeof(held), "MEMBUDGET_HELD_S=%.0f", e->held_s);
                snprintf(vp, sizeof(vp), "MEMBUDGET_VICTIM_PID=%d",
                         victim && dec->signal ? victim->pid : 0);
                snprintf(vn, sizeof(vn), "MEMBUDGET_VICTIM_NAME=%s",
                         victim && dec->signal ? victim->name : "");
                char *allv = NULL;
                if (asprintf(&allv, "MEMBUDGET_CONDITIONS=%s", all) < 0)
                        allv = NULL;
                char *env[] = {ev, cond, v, t, held, vp, vn, allv, NULL};
                pid_t p = mb_hook_spawn(g->hooks, c->guard_hook, env, now);
                if (p < 0)
                        g->log("guard: cannot run hook %s: %s", c->guard_hook[0],
                               mb_strerror((int)p));
                else
                        g->log("guard: started hook %s (pid %d)", c->guard_hook[0], (int)p);
                free(allv);
        }
}

void mb_guard_run(const struct mb_guard_runner *g, const struct mb_config *c,
                  const struct mb_snapshot *s, const struct mb_target *tg, double now)
{
        struct mb_guard_victim_rules rules = {.kill_match = g->kill_re, .self_pid = getpid()};
        struct mb_guard_obs obs;
        struct mb_guard_decision dec;
        const struct mb_proc *victim = NULL;
        char val[64], thr[64];
        int vi;

        if (!c->guard_enabled)
                return;
        mb_guard_observe(s, tg, c, &obs);
        mb_guard_step(g->guard, c, &obs, now, &dec);
        if (!dec.act)
                return;

        if (mb_guard_kill_rules(c, &s->procs, &rules) < 0) {
                g->log("guard: unknown user '%s' in guard.kill_user: nothing will be signalled",
                       c->guard_kill_user);
                rules.kill_match = NULL;
        }
        vi = mb_guard_pick_victim(&s->procs, &rules);
        if (vi >= 0)
                victim = &s->procs.p[vi];

        for (unsigned i = 0; i < dec.nev; i++) {
                const struct mb_guard_event *e = &dec.ev[i];
                fmt_value(e->cond, e->value, val, sizeof(val));
                fmt_value(e->cond, e->threshold, thr, sizeof(thr));
                g->log("guard%s: condition %s held for %.0f s: %s (threshold %s)",
                       dec.dry_run ? " (dry run)" : "", mb_guard_cond_names[e->cond], e->held_s,
                       val, thr);
        }
        if (dec.signal)
                run_signal(g, c, &dec, victim, now);
        if (dec.hook)
                run_hook(g, c, &dec, victim, now);
}
