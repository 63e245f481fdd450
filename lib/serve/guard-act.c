/* guard-act.c: see guard-act.h. */
#define _GNU_SOURCE
#include "guard-act.h"

#include <errno.h>
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
