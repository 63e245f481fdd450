/*
 * cmd-serve.c: "membudget serve": the daemon's options, configuration and
 * log.  The loop (sampling, publishing, reload, history, guard) is
 * lib/serve/daemon.c; libmicrohttpd answers on its own threads
 * (lib/serve/http.c) from the latest published rendering, so a slow /proc
 * never blocks a scrape.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/config/config.h"
#include "../lib/serve/daemon.h"
#include "../lib/serve/listen.h"
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

static int parse(int argc, char **argv, struct cli *cli, struct serve_opts *o)
{
        enum { OPT_LISTEN = 0x100, OPT_INTERVAL, OPT_ONCE };
        static const struct option longopts[] = {
            {"listen", required_argument, NULL, OPT_LISTEN},
            {"interval", required_argument, NULL, OPT_INTERVAL},
            {"once", no_argument, NULL, OPT_ONCE},
            {NULL, 0, NULL, 0},
        };
        int c, r;

        cli_getopt_reset();
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_LISTEN:
                        o->listen = optarg;
                        break;
                case OPT_INTERVAL:
                        if ((r = cli_opt_double(cli, "--interval", optarg, 0.1, 86400,
                                                &o->interval)))
                                return r;
                        o->interval_set = true;
                        break;
                case OPT_ONCE:
                        o->once = true;
                        break;
                default:
                        return cli_bad_option(cli, argc, argv, c);
                }
        }
        if (optind < argc)
                return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
        return 0;
}

/* The history file (lib/serve/daemon.h's callback). */
static int history_path(void *ctx, const struct mb_config *cfg, char *buf, size_t len)
{
        return cli_history_path(ctx, cfg, NULL, true, buf, len);
}

static int run_once(struct cli *cli, struct mb_serve *sv)
{
        struct mb_error err = {0};
        struct mb_buf b = MB_BUF_INIT;
        int r = mb_serve_once(sv, &b, &err);

        if (r == -ENOMEM)
                r = cli_runtime_error(cli, "out of memory");
        else if (r < 0 && cli->proc_root)
                r = cli_usage_error(cli, "cannot read --proc-root '%s': %s: %s", cli->proc_root,
                                    err.where, err.msg);
        else if (r < 0)
                r = cli_runtime_error(cli, "cannot read %s/%s: %s", cli->root.proc_path, err.where,
                                      err.msg);
        else {
                fwrite(b.data, 1, b.len, cli->out);
                r = fflush(cli->out) == 0 ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
        }
        mb_buf_release(&b);
        return r;
}

int cmd_serve(int argc, char **argv, struct cli *cli)
{
        struct serve_opts o = {0};
        struct sockaddr_storage ss;
        socklen_t sslen;
        const struct mb_config *cfg;
        struct mb_serve *sv;
        const char *listen;
        bool v6 = false, loopback = false;
        int r, code = CLI_EXIT_OK;

        mb_scan_set_threads(1); /* a daemon: one CPU at a time, never a burst */
        if ((r = parse(argc, argv, cli, &o)))
                return r;
        if ((r = cli_config(cli, &cfg)))
                return r;
        if ((r = cli_root(cli)))
                return r;
        listen = o.listen ? o.listen : cfg->serve_listen;
        if (mb_listen_parse(listen, &ss, &sslen, &v6, &loopback) < 0) {
                if (o.listen)
                        return cli_usage_error(cli,
                                               "invalid --listen '%s': expected ADDR:PORT "
                                               "(127.0.0.1:9587, [::1]:9587)",
                                               listen);
                return cli_usage_error(cli,
                                       "invalid serve.listen '%s' in the configuration: "
                                       "expected ADDR:PORT",
                                       listen);
        }
        if (!loopback && !o.listen && !mb_config_is_set(cfg, "serve", "listen"))
                return cli_usage_error(cli,
                                       "refusing to listen on non-loopback address '%s' "
                                       "unless --listen or serve.listen names it",
                                       listen);

        sv = calloc(1, sizeof(*sv));
        if (!sv)
                return cli_runtime_error(cli, "out of memory");
        *sv = (struct mb_serve){
            .root = &cli->root,
            .config = cli->config,
            .config_path = cli->config_path,
            .config_defaults = cli->config_defaults,
            .interval = o.interval_set ? o.interval : cfg->serve_interval_s,
            .interval_fixed = o.interval_set,
            .listen_fixed = o.listen != NULL,
            .version = MB_VERSION,
            .leak_every_s = LEAK_EVERY_S,
            .log = slog,
            .vlog = vslog,
            .history_path = history_path,
            .ctx = cli,
        };
        if ((r = mb_serve_init(sv)) < 0) {
                code = r == -EINVAL ? cli_usage_error(cli, "invalid regex in target.match or "
                                                           "guard.kill_match")
                                    : cli_runtime_error(cli, "out of memory");
                goto out;
        }
        if (o.once) {
                code = run_once(cli, sv);
                goto out;
        }
        if (cfg->monitor_record && mb_serve_history_open(sv) < 0) {
                code = CLI_EXIT_RUNTIME;
                goto out;
        }
        r = mb_serve_run(sv, &ss, v6);
        if (r == -ELIBACC || r == -ELIBBAD)
                code = cli_runtime_error(cli, "cannot load %s (Debian package libmicrohttpd12)",
                                         mb_http_library());
        else if (r < 0)
                code = cli_runtime_error(cli, "cannot listen on %s: %s", listen, strerror(-r));
out:
        cli->config_defaults = sv->config_defaults;
        mb_serve_release(sv);
        free(sv);
        return code;
}
