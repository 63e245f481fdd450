/* daemon.c: see daemon.h. */
#define _GNU_SOURCE
#include "daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../collect/gpu.h"
#include "../out/prom.h"
#include "reload.h"
#include "render.h"

static void nolog(const char *fmt, ...)
{
        (void)fmt;
}

static void novlog(const char *fmt, va_list ap)
{
        (void)fmt;
        (void)ap;
}

int mb_serve_init(struct mb_serve *sv)
{
        if (!sv->log)
                sv->log = nolog;
        if (!sv->vlog)
                sv->vlog = novlog;
        mb_diag_init(&sv->d);
        sv->d.cfg = sv->config;
        sv->d.rates = true; /* from one tick to the next */
        sv->d.extra_scan = MB_SCAN_STAT;
        sv->d.leak_every_s = sv->leak_every_s;
        if (sv->interval < 0.1)
                sv->interval = 0.1;
        mb_guard_init(&sv->guard);
        mb_guard_kill_init(&sv->kill);
        mb_http_pub_init(&sv->pub, sv->interval);
        sv->pub.log = sv->vlog;
        sv->live_proc_fd = -1;
        if (mb_diag_compile(&sv->d, sv->config) < 0 ||
            mb_serve_compile_kill(sv->config, &sv->kill_re, &sv->have_kill_re) < 0)
                return -EINVAL;
        return 0;
}

static void history_close(struct mb_serve *sv)
{
        mb_history_close(sv->hist);
        sv->hist = sv->d.hist = NULL;
}

void mb_serve_release(struct mb_serve *sv)
{
        mb_hooks_reap(&sv->hooks, mb_now_mono(), 1e9, NULL, NULL);
        mb_guard_kill_release(&sv->kill);
        history_close(sv);
        if (sv->live_proc_fd >= 0)
                close(sv->live_proc_fd);
        sv->live_proc_fd = -1;
        if (sv->have_kill_re)
                regfree(&sv->kill_re);
        sv->have_kill_re = false;
        sv->d.cfg = NULL;
        mb_diag_release(&sv->d);
        mb_gpu_shutdown();
        mb_buf_release(&sv->render);
        mb_http_pub_release(&sv->pub);
}

/* ---- history ---- */
int mb_serve_history_open(struct mb_serve *sv)
{
        struct mb_error err = {0};
        char path[1024];
        int r;

        if (sv->history_path(sv->ctx, sv->d.cfg, path, sizeof(path)))
                return -1;
        r = mb_history_open(path, true, &sv->hist, &err);
        if (r < 0) {
                sv->log("cannot record history in %s: %s", path,
                        err.msg[0] ? err.msg : mb_strerror(r));
                sv->hist = NULL;
                return -1;
        }
        mb_history_set_retention(sv->hist, (double)sv->d.cfg->retention_days * 86400.0);
        mb_strlcpy(sv->hist_path, path, sizeof(sv->hist_path));
        sv->d.hist = sv->hist; /* the leak suspects' source */
        sv->d.leaks_done = false;
        sv->log("recording history in %s", path);
        return 0;
}

static void record(struct mb_serve *sv)
{
        struct mb_error err = {0};
        int r = mb_diag_record(&sv->d, sv->hist, (size_t)sv->d.cfg->monitor_top_n, &err);

        if (r < 0)
                sv->log("history write failed: %s", err.msg[0] ? err.msg : mb_strerror(r));
}

/* ---- the guard (guard-act.c) ---- */
static void guard_runner(struct mb_serve *sv, struct mb_guard_runner *g)
{
        *g = (struct mb_guard_runner){&sv->guard,       &sv->kill,
                                      &sv->hooks,       sv->have_kill_re ? &sv->kill_re : NULL,
                                      sv->live_proc_fd, sv->log};
}

/* ---- sampling ---- */
int mb_serve_sample(struct mb_serve *sv, struct mb_error *err)
{
        struct mb_serve_view rv = {0};
        struct mb_snapshot *s = &sv->d.snap;
        const struct mb_config *c = sv->d.cfg;
        double t0 = mb_now_mono();
        char *snap = NULL;
        int r;

        /* smaps of the target's largest process every 5 samples (at least 5 s) */
        sv->d.growth_every_s = sv->interval * 5 > 5 ? sv->interval * 5 : 5;
        r = mb_diag_sample(&sv->d, sv->root, err);
        if (r == 0)
                mb_metrics_compute(s, &sv->d.target, c, &sv->budget);
        sv->duration = mb_now_mono() - t0;

        rv.d = &sv->d;
        rv.ok = r == 0;
        rv.budget = &sv->budget;
        rv.guard = &sv->guard;
        rv.duration_s = sv->duration;
        rv.version = sv->version;
        rv.config_path = sv->config_defaults ? NULL : c->path;
        if (mb_serve_render(&rv, &sv->render, &snap) < 0) {
                sv->log("cannot render the metrics (out of memory?)");
                return -ENOMEM;
        }
        char *m = malloc(sv->render.len + 1);
        if (!m) {
                free(snap);
                return -ENOMEM;
        }
        memcpy(m, sv->render.data, sv->render.len + 1);
        mb_http_publish(&sv->pub, m, sv->render.len, snap, snap ? strlen(snap) : 0, r == 0,
                        r == 0 ? s->mono : t0, sv->interval);
        return r;
}

int mb_serve_once(struct mb_serve *sv, struct mb_buf *out, struct mb_error *err)
{
        int r = mb_serve_sample(sv, err);

        if (r < 0)
                return r;
        pthread_mutex_lock(&sv->pub.lock);
        r = mb_buf_append(out, sv->pub.metrics, sv->pub.metrics_len);
        if (r == 0)
                r = mb_prom_render_age(out, mb_now_mono() - sv->pub.mono);
        pthread_mutex_unlock(&sv->pub.lock);
        return r < 0 ? -ENOMEM : 0;
}

/* ---- configuration ---- */
static void reload(struct mb_serve *sv)
{
        struct mb_config *c = sv->config;
        struct mb_reload res;

        mb_serve_reload(sv->config_path, c, &sv->d, &sv->kill_re, &sv->have_kill_re, &res);
        for (size_t i = 0; i < res.warns.n; i++)
                sv->log("%s:%d:%d: warning: %s", res.path, res.warns.w[i].line, res.warns.w[i].col,
                        res.warns.w[i].msg);
        switch (res.status) {
        case MB_RELOAD_NOT_FOUND:
                sv->log("SIGHUP: no configuration file found; keeping the current configuration");
                break;
        case MB_RELOAD_NOMEM:
                sv->log("SIGHUP: out of memory; keeping the current configuration");
                break;
        case MB_RELOAD_BAD_FILE:
                if (res.err.line > 0)
                        sv->log("SIGHUP: %s:%d:%d: %s; keeping the previous configuration",
                                res.err.where, res.err.line, res.err.col, res.err.msg);
                else
                        sv->log("SIGHUP: %s: %s; keeping the previous configuration",
                                res.err.where[0] ? res.err.where : res.path,
                                res.err.msg[0] ? res.err.msg : mb_strerror(res.r));
                break;
        case MB_RELOAD_BAD_REGEX:
                sv->log("SIGHUP: %s: invalid regex in target.match or guard.kill_match; keeping "
                        "the previous configuration",
                        res.path);
                break;
        case MB_RELOAD_OK:
                sv->config_defaults = false;
                if (!sv->interval_fixed)
                        sv->interval = c->serve_interval_s;
                sv->log("configuration reloaded from %s (sampling every %g s, guard %s)", res.path,
                        sv->interval,
                        c->guard_enabled ? (c->guard_dry_run ? "dry run" : "on") : "off");
                if (!sv->listen_fixed && res.listen_changed)
                        sv->log("serve.listen changed to %s: restart to apply", c->serve_listen);
                if (res.was_recording && !c->monitor_record) {
                        history_close(sv);
                        sv->log("history recording stopped");
                } else if (!sv->hist && c->monitor_record) {
                        mb_serve_history_open(sv);
                }
                break;
        }
        mb_reload_release(&res);
}

/* ---- the loop ---- */
static double deadline_wait(double until)
{
        double d = until - mb_now_mono();
        return d < 0 ? 0 : d;
}

static void log_listening(struct mb_serve *sv, const struct sockaddr_storage *ss, bool v6,
                          uint16_t port)
{
        char host[INET6_ADDRSTRLEN] = "?";

        if (ss->ss_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, host,
                          sizeof(host));
        else
                inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, host, sizeof(host));
        sv->log("listening on http://%s%s%s:%u/metrics (sampling every %g s, guard %s)",
                v6 ? "[" : "", host, v6 ? "]" : "", (unsigned)port, sv->interval,
                sv->d.cfg->guard_enabled ? (sv->d.cfg->guard_dry_run ? "dry run" : "on") : "off");
}

/* One tick: sample, guard, record.  *failing tracks the sampling state. */
static void tick(struct mb_serve *sv, bool *failing)
{
        struct mb_error err = {0};
        int r = mb_serve_sample(sv, &err);

        if (r < 0 && !*failing)
                sv->log("sampling failed: %s: %s (serving membudget_up 0)", err.where, err.msg);
        else if (r == 0 && *failing)
                sv->log("sampling works again");
        *failing = r < 0;
        if (r == 0) {
                struct mb_guard_runner g;
                guard_runner(sv, &g);
                mb_guard_run(&g, sv->d.cfg, &sv->d.snap, &sv->d.target, mb_now_mono());
        }
        if (r == 0 && sv->hist)
                record(sv);
}

int mb_serve_run(struct mb_serve *sv, const struct sockaddr_storage *ss, bool v6)
{
        struct mb_http *http;
        sigset_t set;
        double next, now;
        bool stop = false, failing = false;
        int code = 0;

        /* Signals go to real processes: identities are checked in the live /proc. */
        if (sv->live_proc_fd < 0) {
                struct mb_root live; /* the default root: the live /proc */
                if (mb_root_open(&live, NULL, NULL) == 0)
                        sv->live_proc_fd = fcntl(live.proc_fd, F_DUPFD_CLOEXEC, 0);
                mb_root_close(&live);
        }
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        /* Blocked before any thread starts, so only sigtimedwait sees them. */
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);

        http = mb_http_start((const struct sockaddr *)ss, &sv->pub, MB_HTTP_ERROR_LOG);
        if (!http) {
                code = -(errno ? errno : EIO);
                goto out;
        }
        /* once listening: a serve that cannot start says only why */
        sv->log("configuration: %s",
                sv->config->from_file ? sv->config->path : "none found, built-in defaults");
        log_listening(sv, ss, v6, mb_http_port(http));
        next = mb_now_mono();
        while (!stop) {
                struct mb_guard_runner g;
                struct timespec ts;
                siginfo_t si;
                double wait;
                int sig;

                now = mb_now_mono();
                if (now >= next) {
                        tick(sv, &failing);
                        next += sv->interval;
                        now = mb_now_mono();
                        if (next <= now)
                                next = now + sv->interval;
                }
                guard_runner(sv, &g);
                mb_guard_follow(&g, sv->d.cfg, now);
                wait = deadline_wait(next);
                if (sv->kill.active && deadline_wait(sv->kill.kill_at) < wait)
                        wait = deadline_wait(sv->kill.kill_at) + 0.01;
                if (sv->hooks.n && wait > 1)
                        wait = 1;
                ts.tv_sec = (time_t)wait;
                ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
                sig = sigtimedwait(&set, &si, &ts);
                if (sig == SIGTERM || sig == SIGINT) {
                        sv->log("%s: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
                        stop = true;
                } else if (sig == SIGHUP) {
                        reload(sv);
                }
        }
        mb_http_stop(http);
out:
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
        return code;
}
