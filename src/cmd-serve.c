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
#include "../lib/serve/guard-act.h"
#include "../lib/serve/guard.h"
#include "../lib/serve/http.h"
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

#define HOOK_TIMEOUT_S 60.0
#define LEAK_EVERY_S   300.0
#define MAX_LEAKS      32

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
        struct mb_diag d; /* cfg, snapshot reused between ticks, target, findings */
        regex_t kill_re;
        bool have_kill_re;
        struct mb_vmstat prev_vm;
        double prev_mono;
        bool have_prev;
        bool last_ok;
        struct mb_metrics budget;
        struct mb_guard guard;
        struct mb_guard_kill kill;
        struct mb_hooks hooks;
        int live_proc_fd;
        struct mb_history *hist;
        char hist_path[1024];
        double next_leaks;
        struct mb_prom_leak leaks[MAX_LEAKS];
        size_t nleaks;
        struct mb_findings leak_findings;
        struct mb_growth growth; /* which kind grows in the target's largest process */
        double next_growth;
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

/* "ADDR:PORT" or "[V6]:PORT" into a socket address.  0 or -EINVAL. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, bool *v6,
                        bool *loopback)
{
        char host[128];
        const char *colon, *port;
        char *end;
        long p;

        memset(ss, 0, sizeof(*ss));
        if (s[0] == '[') {
                const char *rb = strchr(s, ']');
                if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof(host))
                        return -EINVAL;
                memcpy(host, s + 1, (size_t)(rb - s - 1));
                host[rb - s - 1] = '\0';
                port = rb + 2;
        } else {
                colon = strrchr(s, ':');
                if (!colon || (size_t)(colon - s) >= sizeof(host) || colon == s)
                        return -EINVAL;
                memcpy(host, s, (size_t)(colon - s));
                host[colon - s] = '\0';
                port = colon + 1;
        }
        errno = 0;
        p = strtol(port, &end, 10);
        if (!*port || *end || errno || p < 0 || p > 65535)
                return -EINVAL;
        if (!strcmp(host, "localhost"))
                mb_strlcpy(host, "127.0.0.1", sizeof(host));
        struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
                a4->sin_family = AF_INET;
                a4->sin_port = htons((uint16_t)p);
                *len = sizeof(*a4);
                *v6 = false;
                *loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
                return 0;
        }
        if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
                a6->sin6_family = AF_INET6;
                a6->sin6_port = htons((uint16_t)p);
                *len = sizeof(*a6);
                *v6 = true;
                *loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
                return 0;
        }
        return -EINVAL;
}

static json_t *status_doc(const struct serve *sv)
{
        return mb_status_json(sv->cli, &sv->d, (size_t)sv->d.cfg->serve_top_n);
}

/* ---- publishing ---- */
static void publish(struct serve *sv, char *metrics, size_t mlen, char *snap, size_t slen, bool ok,
                    double mono)
{
        mb_http_publish(&sv->pub, metrics, mlen, snap, slen, ok, mono, sv->interval);
}

/* ---- history ---- */
static int history_path(struct serve *sv, char *ret, size_t len)
{
        const char *dir;
        int r;

        if (sv->d.cfg->history_path[0]) {
                mb_strlcpy(ret, sv->d.cfg->history_path, len);
                return 0;
        }
        if ((r = mb_cli_state_dir(sv->cli, true, &dir)))
                return r;
        snprintf(ret, len, "%s/history.db", dir);
        return 0;
}

static int history_open(struct serve *sv)
{
        struct mb_error err = {0};
        char path[1024];
        int r;

        if ((r = history_path(sv, path, sizeof(path))))
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
        slog("recording history in %s", path);
        return 0;
}

static void history_close(struct serve *sv)
{
        mb_history_close(sv->hist);
        sv->hist = NULL;
}

static void record(struct serve *sv)
{
        const struct mb_snapshot *s = &sv->d.snap;
        const struct mb_target *tg = &sv->d.target;
        struct mb_history_host h = {0};
        struct mb_history_proc *pr;
        struct mb_error err = {0};
        size_t n = 0, topn = 0;
        int r;

        h.t = s->wall;
        h.ram_total = (int64_t)s->mem.total;
        h.ram_used = (int64_t)s->mem.used;
        h.ram_available = (int64_t)s->mem.available;
        h.swap_total = (int64_t)s->mem.swap_total;
        h.swap_used = (int64_t)s->mem.swap_used;
        h.vram_total = h.vram_used = MB_UNKNOWN;
        for (size_t i = 0; s->have_gpus && i < s->gpus.n; i++) {
                const struct mb_gpu *g = &s->gpus.dev[i];
                if (g->total == MB_UNKNOWN || g->used == MB_UNKNOWN)
                        continue;
                h.vram_total = (h.vram_total == MB_UNKNOWN ? 0 : h.vram_total) + g->total;
                h.vram_used = (h.vram_used == MB_UNKNOWN ? 0 : h.vram_used) + g->used;
        }
        h.swapin_ps = s->rates.valid ? s->rates.swapin_pages_per_s : NAN;
        h.swapout_ps = s->rates.valid ? s->rates.swapout_pages_per_s : NAN;
        h.psi_some10 = s->have_psi ? s->psi.some.avg10 : NAN;
        h.psi_full10 = s->have_psi && s->psi.have_full ? s->psi.full.avg10 : NAN;
        h.target_nprocs = tg->configured ? (int)tg->nprocs : -1;
        h.target_ram = tg->configured ? tg->ram : MB_UNKNOWN;
        h.target_swap = tg->configured ? tg->swap : MB_UNKNOWN;
        h.target_vram = tg->configured ? tg->vram : MB_UNKNOWN;

        pr = calloc(s->procs.n ? s->procs.n : 1, sizeof(*pr));
        if (!pr)
                return;
        /* the top monitor.top_n consumers, and every process of the target */
        for (size_t i = 0; i < s->procs.n; i++) {
                const struct mb_proc *p = &s->procs.p[i];
                bool target = p->flags & MB_P_TARGET;
                if (p->flags & MB_P_KTHREAD)
                        continue;
                if (!target && topn >= (size_t)sv->d.cfg->monitor_top_n)
                        continue;
                if (!target)
                        topn++;
                pr[n].pid = p->pid;
                pr[n].starttime = p->starttime;
                pr[n].name = p->name;
                pr[n].cmdline = p->cmdline ? mb_proc_str(&s->procs, p->cmdline) : NULL;
                pr[n].target = target;
                pr[n].rss = p->rss;
                pr[n].swap = p->swap;
                pr[n].gpu = p->gpu;
                n++;
        }
        r = mb_history_write_tick(sv->hist, &h, pr, n, &err);
        if (r < 0)
                slog("history write failed: %s", err.msg[0] ? err.msg : mb_strerror(r));
        free(pr);
}

/* Leak suspects from the history (every few minutes): slopes for /metrics
 * and findings for the problems table. */
static void compute_leaks(struct serve *sv, double now_mono)
{
        struct mb_report_leak *lk = NULL;
        struct mb_error err = {0};
        size_t nl = 0;

        if (!sv->hist || now_mono < sv->next_leaks)
                return;
        sv->next_leaks = now_mono + LEAK_EVERY_S;
        sv->nleaks = 0;
        sv->leak_findings.n = 0;
        if (mb_history_recent_leaks(sv->hist, sv->d.snap.wall, sv->d.cfg->ram_max_mb << 20, &lk,
                                    &nl, &err) < 0)
                return;
        for (size_t i = 0; i < nl && sv->nleaks < MAX_LEAKS; i++) {
                if (lk[i].kind != MB_RL_PROCESS)
                        continue;
                sv->leaks[sv->nleaks].pid = lk[i].id.pid;
                mb_strlcpy(sv->leaks[sv->nleaks].name, lk[i].id.name, sizeof(sv->leaks[0].name));
                sv->leaks[sv->nleaks].slope = lk[i].leak.slope;
                sv->nleaks++;
        }
        mb_leaks_to_findings(lk, nl, &sv->leak_findings);
        free(lk);
}

/* ---- the guard ---- */
static void hook_done(pid_t pid, int status, void *arg)
{
        (void)arg;
        if (WIFEXITED(status))
                slog("guard: hook (pid %d) exited with status %d", (int)pid, WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
                slog("guard: hook (pid %d) killed by signal %d", (int)pid, WTERMSIG(status));
}

static void guard_follow(struct serve *sv, double now)
{
        int r;

        mb_hooks_reap(&sv->hooks, now, HOOK_TIMEOUT_S, hook_done, NULL);
        if (!sv->kill.active)
                return;
        int pid = sv->kill.pid;
        r = mb_guard_kill_tick(&sv->kill, sv->live_proc_fd, now);
        if (r == 1)
                slog("guard: pid %d has exited", pid);
        else if (r == 2)
                slog("guard: pid %d still alive after %.0f s: sent SIGKILL", pid,
                     sv->d.cfg->guard_grace_s);
        else if (r == -ESTALE)
                slog("guard: pid %d is now another process: not signalled", pid);
        else if (r < 0)
                slog("guard: SIGKILL to pid %d failed: %s", pid, mb_strerror(r));
}

static void fmt_value(enum mb_guard_cond c, double v, char *buf, size_t len)
{
        if (c == MB_GC_PSI_FULL)
                snprintf(buf, len, "%.2f%%", v);
        else
                snprintf(buf, len, "%.0f MiB", v / (1024.0 * 1024.0));
}

static void guard_run(struct serve *sv, double now)
{
        const struct mb_config *c = sv->d.cfg;
        const struct mb_snapshot *s = &sv->d.snap;
        struct mb_guard_obs obs;
        struct mb_guard_decision dec;
        const struct mb_proc *victim = NULL;
        char val[64], thr[64], what[256];
        int vi;

        if (!c->guard_enabled)
                return;
        mb_guard_observe(s, &sv->d.target, c, &obs);
        mb_guard_step(&sv->guard, c, &obs, now, &dec);
        if (!dec.act)
                return;

        vi = mb_guard_pick_victim(&s->procs, sv->have_kill_re ? &sv->kill_re : NULL, getpid());
        if (vi >= 0)
                victim = &s->procs.p[vi];

        for (unsigned i = 0; i < dec.nev; i++) {
                const struct mb_guard_event *e = &dec.ev[i];
                fmt_value(e->cond, e->value, val, sizeof(val));
                fmt_value(e->cond, e->threshold, thr, sizeof(thr));
                slog("guard%s: condition %s held for %.0f s: %s (threshold %s)",
                     dec.dry_run ? " (dry run)" : "", mb_guard_cond_names[e->cond], e->held_s, val,
                     thr);
        }
        if (dec.signal) {
                if (!victim)
                        snprintf(what, sizeof(what), "no process matches guard.kill_match");
                else
                        snprintf(what, sizeof(what), "pid %d (%s, RSS+swap %lld MiB)", victim->pid,
                                 victim->name, (long long)(mb_proc_rss_swap(victim) >> 20));
                if (dec.dry_run && !victim) {
                        slog("guard (dry run): %s: nothing would be signalled", what);
                } else if (dec.dry_run) {
                        slog("guard (dry run): would send SIGTERM to %s", what);
                } else if (victim && sv->kill.active) {
                        slog("guard: still waiting for pid %d to exit; not signalling %s",
                             sv->kill.pid, what);
                } else if (victim) {
                        int r = mb_guard_kill_start(&sv->kill, sv->live_proc_fd, victim->pid,
                                                    victim->starttime, c->guard_grace_s, now);
                        if (r == 0)
                                slog("guard: sent SIGTERM to %s; SIGKILL in %.0f s if still alive",
                                     what, c->guard_grace_s);
                        else if (r == -ESTALE)
                                slog("guard: pid %d changed identity since the sample: not "
                                     "signalled",
                                     victim->pid);
                        else
                                slog("guard: cannot signal %s: %s", what, mb_strerror(r));
                } else {
                        slog("guard: %s: nothing signalled", what);
                }
        }
        if (dec.hook) {
                if (dec.dry_run) {
                        slog("guard (dry run): would run hook %s", c->guard_hook[0]);
                } else {
                        const struct mb_guard_event *e = &dec.ev[0];
                        char ev[64], cond[64], v[64], t[64], held[64], vp[64], vn[96], all[256];
                        size_t off = 0;
                        all[0] = '\0';
                        for (unsigned i = 0; i < dec.nev && off < sizeof(all); i++)
                                off += (size_t)snprintf(all + off, sizeof(all) - off, "%s%s",
                                                        i ? "," : "",
                                                        mb_guard_cond_names[dec.ev[i].cond]);
                        snprintf(ev, sizeof(ev), "MEMBUDGET_EVENT=guard");
                        snprintf(cond, sizeof(cond), "MEMBUDGET_CONDITION=%s",
                                 mb_guard_cond_names[e->cond]);
                        snprintf(v, sizeof(v), "MEMBUDGET_VALUE=%.0f", e->value);
                        snprintf(t, sizeof(t), "MEMBUDGET_THRESHOLD=%.0f", e->threshold);
                        snprintf(held, sizeof(held), "MEMBUDGET_HELD_S=%.0f", e->held_s);
                        snprintf(vp, sizeof(vp), "MEMBUDGET_VICTIM_PID=%d",
                                 victim && dec.signal ? victim->pid : 0);
                        snprintf(vn, sizeof(vn), "MEMBUDGET_VICTIM_NAME=%s",
                                 victim && dec.signal ? victim->name : "");
                        char *allv = NULL;
                        if (asprintf(&allv, "MEMBUDGET_CONDITIONS=%s", all) < 0)
                                allv = NULL;
                        char *env[] = {ev, cond, v, t, held, vp, vn, allv, NULL};
                        pid_t p = mb_hook_spawn(&sv->hooks, c->guard_hook, env, now);
                        if (p < 0)
                                slog("guard: cannot run hook %s: %s", c->guard_hook[0],
                                     mb_strerror((int)p));
                        else
                                slog("guard: started hook %s (pid %d)", c->guard_hook[0], (int)p);
                        free(allv);
                }
        }
}

/* ---- sampling ---- */
/* Take one sample and publish it.  Returns 0, or -errno when the snapshot failed. */
static int sample(struct serve *sv, struct mb_error *err)
{
        struct mb_diag_opts o = {0};
        struct mb_problem_input in = {0};
        struct mb_prom_input pi = {0};
        struct mb_prom_guard pg = {0};
        struct mb_snapshot *s = &sv->d.snap;
        const struct mb_config *c = sv->d.cfg;
        double t0 = mb_now_mono();
        char *snap = NULL;
        int r;

        o.target_match = sv->d.have_re ? &sv->d.re : NULL;
        o.target_unit = c->target_unit;
        o.gpu = true;
        o.swap_listed_over = c->swap_threshold_mb > 0 ? c->swap_threshold_mb << 20 : 0;
        o.extra_scan = MB_SCAN_STAT;
        r = mb_diag_take(&sv->cli->root, &o, s, &sv->d.target, err);
        if (r == 0) {
                memset(&s->rates, 0, sizeof(s->rates));
                if (s->have_vm) {
                        if (sv->have_prev)
                                mb_rates_compute(&sv->prev_vm, sv->prev_mono, &s->vm, s->mono,
                                                 &s->rates);
                        sv->prev_vm = s->vm;
                        sv->prev_mono = s->mono;
                        sv->have_prev = true;
                }
                in.snap = s;
                in.cfg = c;
                in.target = &sv->d.target;
                sv->d.persisted_swappiness = -1;
                if (sv->cli->root.live || getenv("MEMBUDGET_ETC_ROOT"))
                        in.persisted_known =
                            mb_cli_persisted_swappiness(&sv->d.persisted_swappiness) == 0;
                in.persisted_swappiness = sv->d.persisted_swappiness;
                compute_leaks(sv, t0);
                if (sv->d.target.configured && t0 >= sv->next_growth) {
                        mb_growth_sample(&sv->growth, &sv->cli->root, s, s->wall);
                        /* smaps of one process every 5 samples (at least 5 s) */
                        sv->next_growth = t0 + (sv->interval * 5 > 5 ? sv->interval * 5 : 5);
                }
                mb_growth_input(&sv->growth, &in);
                in.extra = sv->leak_findings.f;
                in.nextra = sv->leak_findings.n;
                if (mb_problems_run(&in, &sv->d.findings) < 0)
                        sv->d.findings.n = 0;
                mb_metrics_compute(s, &sv->d.target, c, &sv->budget);
        }
        sv->duration = mb_now_mono() - t0;

        pg.enabled = c->guard_enabled;
        for (int i = 0; i < MB_GC_COUNT; i++)
                pg.events[i] = sv->guard.events[i];
        for (int i = 0; i < MB_GA_COUNT; i++)
                pg.actions[i] = sv->guard.actions[i];
        pi.snap = r == 0 ? s : NULL;
        pi.target = &sv->d.target;
        pi.cfg = c;
        pi.budget = r == 0 ? &sv->budget : NULL;
        pi.findings = r == 0 ? &sv->d.findings : NULL;
        pi.leaks = sv->leaks;
        pi.nleaks = r == 0 ? sv->nleaks : 0;
        pi.guard = &pg;
        pi.top_n = (size_t)c->serve_top_n;
        pi.version = MB_VERSION;
        pi.sample_duration_s = sv->duration;
        mb_buf_reset(&sv->render);
        if (mb_prom_render(&sv->render, &pi) < 0) {
                slog("cannot render the metrics (out of memory?)");
                return -ENOMEM;
        }
        if (r == 0) {
                json_t *j = status_doc(sv);
                snap = j ? json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII) : NULL;
                json_decref(j);
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
static int compile_regexes(const struct mb_config *c, regex_t *target, bool *have_target,
                           regex_t *kill, bool *have_kill)
{
        *have_target = *have_kill = false;
        if (c->target_match[0]) {
                if (regcomp(target, c->target_match, REG_EXTENDED | REG_NOSUB) != 0)
                        return -1;
                *have_target = true;
        }
        if (c->guard_kill_match[0]) {
                if (regcomp(kill, c->guard_kill_match, REG_EXTENDED | REG_NOSUB) != 0) {
                        if (*have_target)
                                regfree(target);
                        *have_target = false;
                        return -2;
                }
                *have_kill = true;
        }
        return 0;
}

static void free_regexes(struct serve *sv)
{
        if (sv->d.have_re)
                regfree(&sv->d.re);
        if (sv->have_kill_re)
                regfree(&sv->kill_re);
        sv->d.have_re = sv->have_kill_re = false;
}

static void reload(struct serve *sv)
{
        struct mb_cli *cli = sv->cli;
        struct mb_config_warnings warns = {0};
        struct mb_error err = {0};
        struct mb_config *nc;
        char path[1024], old_listen[128];
        regex_t tre, kre;
        bool have_t, have_k, was_recording;
        int r;

        if (mb_config_find(cli->config_path, path, sizeof(path)) < 0) {
                slog("SIGHUP: no configuration file found; keeping the current configuration");
                return;
        }
        nc = calloc(1, sizeof(*nc));
        if (!nc) {
                slog("SIGHUP: out of memory; keeping the current configuration");
                return;
        }
        r = mb_config_load(path, false, nc, &warns, &err);
        if (r < 0) {
                if (err.line > 0)
                        slog("SIGHUP: %s:%d:%d: %s; keeping the previous configuration", err.where,
                             err.line, err.col, err.msg);
                else
                        slog("SIGHUP: %s: %s; keeping the previous configuration",
                             err.where[0] ? err.where : path,
                             err.msg[0] ? err.msg : mb_strerror(r));
                goto drop;
        }
        for (size_t i = 0; i < warns.n; i++)
                slog("%s:%d:%d: warning: %s", path, warns.w[i].line, warns.w[i].col,
                     warns.w[i].msg);
        if (compile_regexes(nc, &tre, &have_t, &kre, &have_k) < 0) {
                slog("SIGHUP: %s: invalid regex in target.match or guard.kill_match; keeping the "
                     "previous configuration",
                     path);
                goto drop;
        }
        mb_strlcpy(old_listen, cli->config->serve_listen, sizeof(old_listen));
        was_recording = cli->config->monitor_record;
        free_regexes(sv);
        mb_config_release(cli->config);
        *cli->config = *nc; /* moves the owned guard_hook strings */
        free(nc);
        cli->config_defaults = false;
        sv->d.re = tre;
        sv->d.have_re = have_t;
        sv->kill_re = kre;
        sv->have_kill_re = have_k;
        if (!sv->o->interval_set)
                sv->interval = cli->config->serve_interval_s;
        slog("configuration reloaded from %s (sampling every %g s, guard %s)", path, sv->interval,
             cli->config->guard_enabled ? (cli->config->guard_dry_run ? "dry run" : "on") : "off");
        if (!sv->o->listen && strcmp(old_listen, cli->config->serve_listen) != 0)
                slog("serve.listen changed to %s: restart to apply", cli->config->serve_listen);
        if (was_recording && !cli->config->monitor_record) {
                history_close(sv);
                slog("history recording stopped");
        } else if (!sv->hist && cli->config->monitor_record) {
                history_open(sv);
        }
        mb_config_warnings_release(&warns);
        return;
drop:
        mb_config_warnings_release(&warns);
        mb_config_release(nc);
        free(nc);
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
                return mb_runtime_error(sv->cli, "cannot read /proc/%s: %s", err.where, err.msg);
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
                        if (r == 0)
                                guard_run(sv, mb_now_mono());
                        if (r == 0 && sv->hist)
                                record(sv);
                        next += sv->interval;
                        now = mb_now_mono();
                        if (next <= now)
                                next = now + sv->interval;
                }
                guard_follow(sv, now);
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
        if (parse_listen(listen, &ss, &sslen, &v6, &loopback) < 0) {
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
        mb_growth_init(&sv->growth);
        sv->d.cfg = cfg;
        sv->interval = o.interval_set ? o.interval : cfg->serve_interval_s;
        if (sv->interval < 0.1)
                sv->interval = 0.1;
        mb_guard_init(&sv->guard);
        mb_guard_kill_init(&sv->kill);
        mb_http_pub_init(&sv->pub, sv->interval);
        sv->pub.log = vslog;
        sv->live_proc_fd = -1;
        if (compile_regexes(cfg, &sv->d.re, &sv->d.have_re, &sv->kill_re, &sv->have_kill_re) < 0) {
                code = mb_usage_error(cli, "invalid regex in target.match or guard.kill_match");
                goto out;
        }

        if (o.once) {
                code = run_once(sv);
                goto out;
        }
        /* Signals go to real processes: identities are checked in the live /proc. */
        sv->live_proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cfg->monitor_record && (code = history_open(sv)))
                goto out;
        code = run_daemon(sv, &ss, v6);
out:
        mb_hooks_reap(&sv->hooks, mb_now_mono(), 1e9, hook_done, NULL);
        mb_guard_kill_release(&sv->kill);
        history_close(sv);
        if (sv->live_proc_fd >= 0)
                close(sv->live_proc_fd);
        free_regexes(sv);
        sv->d.cfg = NULL;
        mb_diag_release(&sv->d);
        mb_findings_release(&sv->leak_findings);
        mb_growth_release(&sv->growth);
        mb_gpu_shutdown();
        mb_buf_release(&sv->render);
        mb_http_pub_release(&sv->pub);
        free(sv);
        return code;
}
