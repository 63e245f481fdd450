/*
 * fuzz-http.c: serve's HTTP layer (lib/serve/http.c over libmicrohttpd) on
 * arbitrary request bytes.
 *
 * Two servers are started once, without a listening socket: one with a
 * published sample (metrics and snapshot), one that has none yet (the 503
 * answers).  Each input goes to one of them (chosen by its length) as the
 * raw bytes of a connection over a socketpair handed to
 * MHD_add_connection; the write side is then shut down and the reply read
 * until the server closes, or stays quiet for IDLE_S (a request whose
 * headers never end), at most DEADLINE_S in all.  A reply, when there is
 * one, must start with a status line "HTTP/1.x DDD ".  FUZZ_HTTP_DEBUG=1 in
 * the environment prints each reply's status line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../lib/serve/http.h"
#include "../../lib/util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEADLINE_S 1.0   /* per input, at most */
#define IDLE_S     0.005 /* quiet after the request: the server waits for more */

static struct mb_http *srv_full, *srv_empty;
static struct mb_http_pub pub_full, pub_empty;

static char *dup_str(const char *s)
{
        char *d = strdup(s);

        if (!d)
                abort();
        return d;
}

static void setup(void)
{
        static const char metrics[] = "# HELP membudget_up Whether the last sample worked.\n"
                                      "# TYPE membudget_up gauge\n"
                                      "membudget_up 1\n";
        static const char snap[] = "{\"ram\": {\"total_bytes\": 25769803776}}";

        signal(SIGPIPE, SIG_IGN);
        mb_http_pub_init(&pub_full, 1.0);
        mb_http_pub_init(&pub_empty, 1.0);
        mb_http_publish(&pub_full, dup_str(metrics), sizeof(metrics) - 1, dup_str(snap),
                        sizeof(snap) - 1, true, mb_now_mono(), 1.0);
        srv_full = mb_http_start(NULL, &pub_full, 0);
        srv_empty = mb_http_start(NULL, &pub_empty, 0);
        if (!srv_full || !srv_empty) {
                fprintf(stderr, "fuzz-http: cannot start the server: %s\n", strerror(errno));
                abort();
        }
}

/* The reply starts "HTTP/1.x DDD ".  When the server did not close the
 * connection (idle timeout), only the bytes received are checked. */
static void check_status_line(const char *r, size_t n, bool closed)
{
        static const char pat[] = "HTTP/1.# 9## "; /* #: a digit, 9: 1 to 5 */

        if (closed && n < sizeof(pat) - 1)
                abort(); /* a reply too short for a status line */
        for (size_t i = 0; i < n && i < sizeof(pat) - 1; i++) {
                bool ok = pat[i] == '#'   ? r[i] >= '0' && r[i] <= '9'
                          : pat[i] == '9' ? r[i] >= '1' && r[i] <= '5'
                                          : r[i] == pat[i];
                if (!ok || (i == 7 && r[i] > '1'))
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static bool started;
        char head[64], chunk[4096];
        size_t got = 0, sent = 0, hl;
        bool wr_open = true, closed = false;
        double t0, idle_from;
        int sv[2];

        if (!started) {
                setup();
                started = true;
        }
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
                return 0;
        /* The server owns (and closes) sv[1] from here, even on failure. */
        if (mb_http_add_connection(size % 4 == 3 ? srv_empty : srv_full, sv[1]) < 0) {
                close(sv[0]);
                return 0;
        }
        if (size == 0) {
                shutdown(sv[0], SHUT_WR);
                wr_open = false;
        }
        t0 = mb_now_mono();
        idle_from = t0;
        for (;;) {
                struct pollfd pfd = {.fd = sv[0], .events = POLLIN | (wr_open ? POLLOUT : 0)};
                double now = mb_now_mono(), left = t0 + DEADLINE_S - now;
                ssize_t n;

                /* Once the request is sent, a server that stays quiet for
                 * IDLE_S waits for more (libmicrohttpd keeps a half-closed
                 * connection whose headers are incomplete until its timeout). */
                if (!wr_open && idle_from + IDLE_S - now < left)
                        left = idle_from + IDLE_S - now;
                if (left <= 0)
                        break;
                if (poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
                        continue;
                if (wr_open && (pfd.revents & (POLLOUT | POLLERR | POLLHUP))) {
                        n = send(sv[0], data + sent, size - sent, MSG_NOSIGNAL);
                        if (n > 0)
                                sent += (size_t)n;
                        if (n < 0 && errno != EAGAIN && errno != EINTR)
                                sent = size; /* the server closed early (431, 414, ...) */
                        if (sent == size) {
                                shutdown(sv[0], SHUT_WR);
                                wr_open = false;
                                idle_from = mb_now_mono();
                        }
                }
                if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
                        n = recv(sv[0], chunk, sizeof(chunk), 0);
                        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                                closed = true;
                                break;
                        }
                        if (n > 0) {
                                if (got < sizeof(head)) {
                                        size_t k = (size_t)n < sizeof(head) - got
                                                       ? (size_t)n
                                                       : sizeof(head) - got;
                                        memcpy(head + got, chunk, k);
                                }
                                got += (size_t)n;
                                idle_from = mb_now_mono();
                        }
                }
        }
        close(sv[0]);
        hl = got < sizeof(head) ? got : sizeof(head);
        if (getenv("FUZZ_HTTP_DEBUG")) { /* the status line of each reply */
                size_t eol = 0;
                while (eol < hl && head[eol] != '\r' && head[eol] != '\n')
                        eol++;
                fprintf(stderr, "fuzz-http: sent %zu of %zu, received %zu%s in %.3f s: %.*s\n",
                        sent, size, got, closed ? "" : " (still open)", mb_now_mono() - t0,
                        (int)eol, head);
        }
        if (got)
                check_status_line(head, hl, closed);
        return 0;
}
