/*
 * cmd-serve.c: "membudget serve": the daemon.  A Prometheus exporter
 * (/metrics, /healthz, /api/snapshot over libmicrohttpd), periodic
 * sampling on the main thread, history recording, and the opt-in guard.
 *
 * Threads: the main thread samples on a timer and handles signals
 * (sigtimedwait: SIGTERM/SIGINT stop, SIGHUP reloads the configuration);
 * libmicrohttpd answers on its own thread pool (lib/serve/http.c).  Each sample is rendered
 * once (metrics text and snapshot JSON) and published under a mutex;
 * a scrape copies the latest rendering and never touches /proc, so a slow
 * /proc never blocks a scrape.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/analyze/breakdown.h"
#include "../lib/analyze/budget.h"
#include "../lib/analyze/leaks.h"
#include "../lib/store/history-leaks.h"
#include "../lib/config/config.h"
#include "../lib/out/findings.h"
#include "../lib/out/json.h"
#include "../lib/out/prom.h"
#include "../lib/out/status.h"
#include "../lib/serve/guard-act.h"
#include "../lib/serve/guard.h"
#include "../lib/serve/http.h"
#include "../lib/serve/listen.h"
#include "../lib/serve/reload.h"
#include "../lib/serve/render.h"
#include "../lib/store/history.h"
#include "../lib/util/ratelimit.h"
#include "../lib/util/text.h"
#include "cli-diag.h"
#include "cli.h"

#ifndef MB_VERSION
#define MB_VERSION "unknown"
#endif

const char cmd_serve_help[] =
    "usage: membudget serve [--listen ADDR:PORT] [--interval SECONDS]\n"
    "\n"
    "Run as a daemon: a Prometheus exporter on http://ADDR:PORT/metrics (also\n"
    "/healthz and /api/snapshot, the `status --json` document), sampling every\n"
    "SECONDS, recording history when monitor.record is set, and applying the\n"
    "guard policy when guard.enabled is set.  SIGHUP reloads the configuration\n"
    "(a bad file keeps the old one), SIGTERM/SIGINT stop.\n"
    "\n"
    "  --listen ADDR:PORT  address to listen on (default serve.listen,\n"
    "                      127.0.0.1:9587; [::1]:PORT for IPv6; port 0 = any\n"
    "                      free port).  A non-loopback address is used only\n"
    "                      when given here or in the configuration.\n"
    "  --interval SECONDS  sampling period (default serve.interval_s)\n"
    "  --once              sample once, print the /metrics text, exit\n";

#define LEAK_EVERY_S 300.0

struct serve_opts {
        const char *listen;
        double interval;
        bool interval_set;
        bool once;
};

struct serve {
        struct mb_cli *cli;
        struct serve_opts *o;
        double interval;
        struct mb_diag d; /* the sampler: cfg, snapshot, target, findings, leaks */
        regex_t kill_re;
        bool have_kill_re;
        bool last_ok;
        struct mb_metrics budget;
        struct mb_guard guard;
        struct mb_guard_kill kill;
        struct mb_hooks hooks;
        int live_proc_fd;
        struct mb_history *hist;
        char hist_path[1024];
        struct mb_http_pub pub;
        struct mb_buf render;
        double duration;
};

/*
 * The daemon's log (stderr, the journal under systemd): one line per event,
 * user text cleaned (lib/util/text.h), and each kind of line (its format)
 * at most SLOG_BURST times per SLOG_INTERVAL_S: a flood of malformed
 * requests or a history write failing every tick writes a few lines a
 * minute, then says how many were left out.
 */
#define SLOG_INTERVAL_S 60.0
#define SLOG_BURST      5

static struct mb_ratelimit slog_rl;
static pthread_once_t slog_once = PTHREAD_ONCE_INIT;

static void slog_init(void)
{
        mb_ratelimit_init(&slog_rl, SLOG_INTERVAL_S, SLOG_BURST);
}

static void vslog(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void vslog(const char *fmt, va_list ap)
{
        char line[2048];
        unsigned missed;
        size_t n;

        pthread_once(&slog_once, slog_init);
        if (!mb_ratelimit_allow(&slog_rl, fmt, mb_now_mono(), &missed))
                return;
        vsnprintf(line, sizeof(line), fmt, ap);
        n = strlen(line);
        while (n > 0 && line[n - 1] == '\n') /* libmicrohttpd ends its messages with one */
                line[--n] = '\0';
        mb_text_clean_inplace(line);
        flockfile(stderr);
        if (missed)
                fprintf(stderr, "membudget serve: (%u more like the next line left out)\n", missed);
        fprintf(stderr, "membudget serve: %s\n", line);
        fflush(stderr);
        funlockfile(stderr);
}

static void slog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void slog(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vslog(fmt, ap);
        va_end(ap);
}

static int parse(int argc, char **argv, struct mb_cli *cli, struct serve_opts *o)
{
        enum { OPT_LISTEN = 0x100, OPT_INTERVAL, OPT_ONCE };
        static const struct option longopts[] = {
            {"listen", required_argument, NULL, OPT_LISTEN},
            {"interval", required_argument, NULL, OPT_INTERVAL},
            {"once", no_argument, NULL, OPT_ONCE},
            {NULL, 0, NULL, 0},
        };
        int c, r;

        mb_getopt_reset();
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_LISTEN:
                        o->listen = optarg;
                        break;
                case OPT_INTERVAL:
                        if ((r = mb_opt_double(cli, "--interval", optarg, 0.1, 86400,
                                               &o->interval)))
                                return r;
                        o->interval_set = true;
                        break;
                case OPT_ONCE:
                        o->once = true;
                        break;
                default:
                        return mb_bad_option(cli, argc, argv, c);
                }
        }
        if (optind < argc)
                return mb_usage_error(cli, "unexpected argument '%s'", argv[optind]);
        return 0;
}

/* ---- publishing ---- */
static void publish(struct serve *sv, char *metrics, size_t mlen, char *snap, size_t slen, bool ok,
                    double mono)
{
        mb_http_publish(&sv->pub, metrics, mlen, snap, slen, ok, mono, sv->interval);
}

/* ---- history ---- */
static int history_open(struct serve *sv)
{
        struct mb_error err = {0};
        char path[1024];
        int r;

        if ((r = mb_cli_history_path(sv->cli, sv->d.cfg, NULL, true, path, sizeof(path))))
                return r;
        r = mb_history_open(path, true, &sv->hist, &err);
        if (r < 0) {
                slog("cannot record history in %s: %s", path,
                     err.msg[0] ? err.msg : mb_strerror(r));
                sv->hist = NULL;
                return MB_EXIT_RUNTIME;
        }
        mb_history_set_retention(sv->hist, (double)sv->d.cfg->retention_days * 86400.0);
        mb_strlcpy(sv->hist_path, path, sizeof(sv->hist_path));
        sv->d.hist = sv->hist; /* the leak suspects' source */
        sv->d.leaks_done = false;
        slog("recording history in %s", path);
        return 0;
}

static void history_close(struct serve *sv)
{
        mb_history_close(sv->hist);
        sv->hist = sv->d.hist = NULL;
}

static void record(struct serve *sv)
{
        struct mb_error err = {0};
        int r = mb_diag_record(&sv->d, sv->hist, (size_t)sv->d.cfg->monitor_top_n, &err);

        if (r < 0)
                slog("history write failed: %s", err.msg[0] ? err.msg : mb_strerror(r));
}

/* ---- the guard (lib/serve/guard-act.c) ---- */
static void guard_runner(struct serve *sv, struct mb_guard_runner *g)
{
        *g = (struct mb_guard_runner){&sv->guard,       &sv->kill,
                                      &sv->hooks,       sv->have_kill_re ? &sv->kill_re : NULL,
                                      sv->live_proc_fd, slog};
}

/* ---- sampling ---- */
/* Take one sample and publish it.  Returns 0, or -errno when the snapshot failed. */
static int sample(struct serve *sv, struct mb_error *err)
{
        struct mb_serve_view rv = {0};
        struct mb_snapshot *s = &sv->d.snap;
        const struct mb_config *c = sv->d.cfg;
        double t0 = mb_now_mono();
        char *snap = NULL;
        int r;

        /* smaps of the target's largest process every 5 samples (at least 5 s) */
        sv->d.growth_every_s = sv->interval * 5 > 5 ? sv->interval * 5 : 5;
        r = mb_diag_sample(&sv->d, &sv->cli->root, err);
        if (r == 0)
                mb_metrics_compute(s, &sv->d.target, c, &sv->budget);
        sv->duration = mb_now_mono() - t0;

        rv.d = &sv->d;
        rv.ok = r == 0;
        rv.budget = &sv->budget;
        rv.guard = &sv->guard;
        rv.duration_s = sv->duration;
        rv.version = MB_VERSION;
        rv.config_path = sv->cli->config_defaults ? NULL : c->path;
        if (mb_serve_render(&rv, &sv->render, &snap) < 0) {
                slog("cannot render the metrics (out of memory?)");
                return -ENOMEM;
        }
        char *m = malloc(sv->render.len + 1);
        if (!m) {
                free(snap);
                return -ENOMEM;
        }
        memcpy(m, sv->render.data, sv->render.len + 1);
        publish(sv, m, sv->render.len, snap, snap ? strlen(snap) : 0, r == 0,
                r == 0 ? s->mono : t0);
        return r;
}

/* ---- configuration ---- */
static void free_kill(struct serve *sv)
{
        if (sv->have_kill_re)
                regfree(&sv->kill_re);
        sv->have_kill_re = false;
}

static void reload(struct serve *sv)
{
        struct mb_cli *cli = sv->cli;
        struct mb_config *c = cli->config;
        struct mb_reload res;

        mb_serve_reload(cli->config_path, c, &sv->d, &sv->kill_re, &sv->have_kill_re, &res);
        for (size_t i = 0; i < res.warns.n; i++)
                slog("%s:%d:%d: warning: %s", res.path, res.warns.w[i].line, res.warns.w[i].col,
                     res.warns.w[i].msg);
        switch (res.status) {
        case MB_RELOAD_NOT_FOUND:
                slog("SIGHUP: no configuration file found; keeping the current configuration");
                break;
        case MB_RELOAD_NOMEM:
                slog("SIGHUP: out of memory; keeping the current configuration");
                break;
        case MB_RELOAD_BAD_FILE:
                if (res.err.line > 0)
                        slog("SIGHUP: %s:%d:%d: %s; keeping the previous configuration",
                             res.err.where, res.err.line, res.err.col, res.err.msg);
                else
                        slog("SIGHUP: %s: %s; keeping the previous configuration",
                             res.err.where[0] ? res.err.where : res.path,
                             res.err.msg[0] ? res.err.msg : mb_strerror(res.r));
                break;
        case MB_RELOAD_BAD_REGEX:
                slog("SIGHUP: %s: invalid regex in target.match or guard.kill_match; keeping the "
                     "previous configuration",
                     res.path);
                break;
        case MB_RELOAD_OK:
                cli->config_defaults = false;
                if (!sv->o->interval_set)
                        sv->interval = c->serve_interval_s;
                slog("configuration reloaded from %s (sampling every %g s, guard %s)", res.path,
                     sv->interval,
                     c->guard_enabled ? (c->guard_dry_run ? "dry run" : "on") : "off");
                if (!sv->o->listen && res.listen_changed)
                        slog("serve.listen changed to %s: restart to apply", c->serve_listen);
                if (res.was_recording && !c->monitor_record) {
                        history_close(sv);
                        slog("history recording stopped");
                } else if (!sv->hist && c->monitor_record) {
                        history_open(sv);
                }
                break;
        }
        mb_reload_release(&res);
}

/* ---- main ---- */
static int run_once(struct serve *sv)
{
        struct mb_error err = {0};
        int r = sample(sv, &err);

        if (r < 0 && r != -ENOMEM) {
                if (sv->cli->proc_root)
                        return mb_usage_error(sv->cli, "cannot read --proc-root '%s': %s: %s",
                                              sv->cli->proc_root, err.where, err.msg);
                return mb_runtime_error(sv->cli, "cannot read %s/%s: %s", sv->cli->root.proc_path,
                                        err.where, err.msg);
        }
        if (r == -ENOMEM)
                return mb_runtime_error(sv->cli, "out of memory");
        pthread_mutex_lock(&sv->pub.lock);
        struct mb_buf b = MB_BUF_INIT;
        mb_buf_append(&b, sv->pub.metrics, sv->pub.metrics_len);
        mb_prom_render_age(&b, mb_now_mono() - sv->pub.mono);
        pthread_mutex_unlock(&sv->pub.lock);
        fwrite(b.data, 1, b.len, sv->cli->out);
        mb_buf_release(&b);
        return fflush(sv->cli->out) == 0 ? MB_EXIT_OK : MB_EXIT_RUNTIME;
}

static double deadline_wait(double until)
{
        double d = until - mb_now_mono();
        return d < 0 ? 0 : d;
}

static int run_daemon(struct serve *sv, struct sockaddr_storage *ss, bool v6)
{
        struct mb_http *http;
        sigset_t set;
        double next, now;
        uint16_t port;
        bool stop = false, failing = false;
        int code = MB_EXIT_OK;

        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        /* Blocked before any thread starts, so only sigtimedwait sees them. */
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);

        http = mb_http_start((const struct sockaddr *)ss, &sv->pub, MB_HTTP_ERROR_LOG);
        if (!http && (errno == ELIBACC || errno == ELIBBAD)) {
                code = mb_runtime_error(sv->cli, "cannot load %s (Debian package libmicrohttpd12)",
                                        mb_http_library());
                goto out;
        } else if (!http) {
                code = mb_runtime_error(sv->cli, "cannot listen on %s: %s",
                                        sv->o->listen ? sv->o->listen : sv->d.cfg->serve_listen,
                                        strerror(errno));
                goto out;
        }
        port = mb_http_port(http);
        {
                char host[INET6_ADDRSTRLEN] = "?";
                if (ss->ss_family == AF_INET6)
                        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ss)->sin6_addr, host,
                                  sizeof(host));
                else
                        inet_ntop(AF_INET, &((struct sockaddr_in *)ss)->sin_addr, host,
                                  sizeof(host));
                slog("listening on http://%s%s%s:%u/metrics (sampling every %g s, guard %s)",
                     v6 ? "[" : "", host, v6 ? "]" : "", (unsigned)port, sv->interval,
                     sv->d.cfg->guard_enabled ? (sv->d.cfg->guard_dry_run ? "dry run" : "on")
                                              : "off");
        }

        next = mb_now_mono();
        while (!stop) {
                struct timespec ts;
                siginfo_t si;
                double wait;
                int sig;

                now = mb_now_mono();
                if (now >= next) {
                        struct mb_error err = {0};
                        int r = sample(sv, &err);
                        if (r < 0 && !failing)
                                slog("sampling failed: %s: %s (serving membudget_up 0)", err.where,
                                     err.msg);
                        else if (r == 0 && failing)
                                slog("sampling works again");
                        failing = r < 0;
                        if (r == 0) {
                                struct mb_guard_runner g;
                                guard_runner(sv, &g);
                                mb_guard_run(&g, sv->d.cfg, &sv->d.snap, &sv->d.target,
                                             mb_now_mono());
                        }
                        if (r == 0 && sv->hist)
                                record(sv);
                        next += sv->interval;
                        now = mb_now_mono();
                        if (next <= now)
                                next = now + sv->interval;
                }
                {
                        struct mb_guard_runner g;
                        guard_runner(sv, &g);
                        mb_guard_follow(&g, sv->d.cfg, now);
                }
                wait = deadline_wait(next);
                if (sv->kill.active && deadline_wait(sv->kill.kill_at) < wait)
                        wait = deadline_wait(sv->kill.kill_at) + 0.01;
                if (sv->hooks.n && wait > 1)
                        wait = 1;
                ts.tv_sec = (time_t)wait;
                ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
                sig = sigtimedwait(&set, &si, &ts);
                if (sig == SIGTERM || sig == SIGINT) {
                        slog("%s: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
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

int cmd_serve(int argc, char **argv, struct mb_cli *cli)
{
        struct serve_opts o = {0};
        struct sockaddr_storage ss;
        socklen_t sslen;
        const struct mb_config *cfg;
        struct serve *sv;
        const char *listen;
        bool v6 = false, loopback = false;
        int r, code;

        mb_scan_set_threads(1); /* a daemon: one CPU at a time, never a burst */
        if ((r = parse(argc, argv, cli, &o)))
                return r;
        if ((r = mb_cli_config(cli, &cfg)))
                return r;
        if ((r = mb_cli_root(cli)))
                return r;
        listen = o.listen ? o.listen : cfg->serve_listen;
        if (mb_listen_parse(listen, &ss, &sslen, &v6, &loopback) < 0) {
                if (o.listen)
                        return mb_usage_error(cli,
                                              "invalid --listen '%s': expected ADDR:PORT "
                                              "(127.0.0.1:9587, [::1]:9587)",
                                              listen);
                return mb_usage_error(cli,
                                      "invalid serve.listen '%s' in the configuration: "
                                      "expected ADDR:PORT",
                                      listen);
        }
        if (!loopback && !o.listen && !mb_config_is_set(cfg, "serve", "listen"))
                return mb_usage_error(cli,
                                      "refusing to listen on non-loopback address '%s' "
                                      "unless --listen or serve.listen names it",
                                      listen);

        sv = calloc(1, sizeof(*sv));
        if (!sv)
                return mb_runtime_error(cli, "out of memory");
        sv->cli = cli;
        sv->o = &o;
        mb_diag_init(&sv->d);
        sv->d.cfg = cfg;
        sv->d.rates = true; /* from one tick to the next */
        sv->d.extra_scan = MB_SCAN_STAT;
        sv->d.leak_every_s = LEAK_EVERY_S;
        sv->interval = o.interval_set ? o.interval : cfg->serve_interval_s;
        if (sv->interval < 0.1)
                sv->interval = 0.1;
        mb_guard_init(&sv->guard);
        mb_guard_kill_init(&sv->kill);
        mb_http_pub_init(&sv->pub, sv->interval);
        sv->pub.log = vslog;
        sv->live_proc_fd = -1;
        if (mb_diag_compile(&sv->d, cfg) < 0 ||
            mb_serve_compile_kill(cfg, &sv->kill_re, &sv->have_kill_re) < 0) {
                code = mb_usage_error(cli, "invalid regex in target.match or guard.kill_match");
                goto out;
        }

        if (o.once) {
                code = run_once(sv);
                goto out;
        }
        /* Signals go to real processes: identities are checked in the live /proc. */
        {
                struct mb_root live; /* the default root: the live /proc */
                if (mb_root_open(&live, NULL, NULL) == 0)
                        sv->live_proc_fd = fcntl(live.proc_fd, F_DUPFD_CLOEXEC, 0);
                mb_root_close(&live);
        }
        if (cfg->monitor_record && (code = history_open(sv)))
                goto out;
        slog("configuration: %s", cfg->from_file ? cfg->path : "none found, built-in defaults");
        code = run_daemon(sv, &ss, v6);
out:
        mb_hooks_reap(&sv->hooks, mb_now_mono(), 1e9, NULL, NULL);
        mb_guard_kill_release(&sv->kill);
        history_close(sv);
        if (sv->live_proc_fd >= 0)
                close(sv->live_proc_fd);
        free_kill(sv);
        sv->d.cfg = NULL;
        mb_diag_release(&sv->d);
        mb_gpu_shutdown();
        mb_buf_release(&sv->render);
        mb_http_pub_release(&sv->pub);
        free(sv);
        return code;
}
