/*
 * daemon.h: the serve daemon's loop.  Sampling on the main thread (a timer
 * and sigtimedwait: SIGTERM/SIGINT stop, SIGHUP reloads the configuration),
 * each sample rendered once (metrics text and snapshot JSON) and published
 * for the HTTP threads (http.h), history recording, and the guard
 * (guard-act.h).  The library never prints: every event goes to the
 * caller's log callbacks.
 */
#ifndef MB_SERVE_DAEMON_H
#define MB_SERVE_DAEMON_H

#include <regex.h>
#include <stdarg.h>
#include <sys/socket.h>

#include "../analyze/budget.h"
#include "../config/config.h"
#include "../diag/diag.h"
#include "../store/history.h"
#include "../util/util.h"
#include "guard-act.h"
#include "guard.h"
#include "http.h"

struct mb_serve {
        /* Set by the caller before mb_serve_init. */
        struct mb_root *root;     /* what is sampled */
        struct mb_config *config; /* reloaded in place on SIGHUP */
        const char *config_path;  /* -c: the file a reload reads (NULL: the search) */
        bool config_defaults;     /* no file was found: built-in defaults */
        double interval;          /* sampling period, seconds */
        bool interval_fixed;      /* --interval: a reload keeps it */
        bool listen_fixed;        /* --listen: serve.listen changes are not noted */
        const char *version;      /* in /metrics and /api/snapshot */
        double leak_every_s;      /* leak suspects at most this often */
        /* One line per event (rate-limited by the caller if it likes). */
        void (*log)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
        void (*vlog)(const char *fmt, va_list ap);
        /* The history file for cfg, its folder created: 0, or nonzero after
         * saying why (the caller's business). */
        int (*history_path)(void *ctx, const struct mb_config *cfg, char *buf, size_t len);
        void *ctx;

        /* State. */
        struct mb_diag d; /* the sampler: cfg, snapshot, target, findings, leaks */
        regex_t kill_re;
        bool have_kill_re;
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

/* Ready the sampler, guard and publication.  0, -EINVAL (target.match or
 * guard.kill_match is not a valid regex), -ENOMEM. */
int mb_serve_init(struct mb_serve *sv);
void mb_serve_release(struct mb_serve *sv);

/* Take one sample and publish it.  0, or -errno (err filled) when the
 * snapshot failed (membudget_up 0 is published), -ENOMEM. */
int mb_serve_sample(struct mb_serve *sv, struct mb_error *err);

/* --once: one sample, its /metrics text (with the age line) into out. */
int mb_serve_once(struct mb_serve *sv, struct mb_buf *out, struct mb_error *err);

/* Open the history (monitor.record) and record from now on: 0, or -1 after
 * logging why. */
int mb_serve_history_open(struct mb_serve *sv);

/*
 * The daemon: listen on ss, sample every interval, until SIGTERM/SIGINT.
 * The live /proc is opened for the guard's signals.  0, or -errno when the
 * HTTP server could not start (-ELIBACC/-ELIBBAD: libmicrohttpd missing).
 */
int mb_serve_run(struct mb_serve *sv, const struct sockaddr_storage *ss, bool v6);

#endif
