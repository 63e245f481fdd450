/*
 * http.h: the HTTP layer of `serve` (libmicrohttpd).
 *
 *   GET|HEAD /metrics       the latest published Prometheus text plus
 *                           membudget_sample_age_seconds; Content-Type
 *                           "text/plain; version=0.0.4; charset=utf-8";
 *                           503 before the first sample
 *   GET|HEAD /healthz       200 "ok (...)" while samples are fresh (younger
 *                           than 3 intervals + 30 s), else 503
 *   GET|HEAD /api/snapshot  the published `status --json` document; 503 when
 *                           the last sample failed
 *   anything else           404; other methods 405 (Allow: GET, HEAD)
 *
 * libmicrohttpd answers 414 (URI too long) and 431 (header fields too
 * large) itself: a connection may use at most 32 KiB, and idles out after
 * 5 s (headers included: a slow client is dropped).  Four threads, at most
 * 256 connections and 64 from one address, so that slow connections from
 * one local user (slowloris) leave room for the scrape.  The port is bound
 * without SO_REUSEPORT: a second `serve` on a port in use fails with
 * EADDRINUSE.
 *
 * The sampler publishes renderings with mb_http_publish(); a request copies
 * the latest rendering under the mutex and never touches /proc.
 */
#ifndef MB_HTTP_H
#define MB_HTTP_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* What the HTTP threads read. */
struct mb_http_pub {
        pthread_mutex_t lock;
        char *metrics; /* Prometheus text, owned; NULL before the first sample */
        size_t metrics_len;
        char *snapshot; /* status JSON, owned; NULL when the sample failed */
        size_t snapshot_len;
        double mono; /* when the sample was taken (mb_now_mono) */
        bool ok;
        double interval; /* sampling period, seconds */
        /* libmicrohttpd's messages with MB_HTTP_ERROR_LOG (called from its
         * threads; rate-limit them); NULL = dropped. */
        void (*log)(const char *fmt, va_list ap);
};

void mb_http_pub_init(struct mb_http_pub *pub, double interval);
/* Free the renderings and destroy the mutex (the server must be stopped). */
void mb_http_pub_release(struct mb_http_pub *pub);

/*
 * Replace the published renderings (ownership of metrics and snapshot
 * passes to pub; snapshot may be NULL: /api/snapshot then answers 503).
 */
void mb_http_publish(struct mb_http_pub *pub, char *metrics, size_t metrics_len, char *snapshot,
                     size_t snapshot_len, bool ok, double mono, double interval);

enum mb_http_flags {
        MB_HTTP_ERROR_LOG = 1u << 0, /* libmicrohttpd logs its errors to stderr */
};

struct mb_http;

/*
 * Start answering on addr (AF_INET or AF_INET6; port 0 = any free port).
 * addr NULL: no listening socket; connections come only from
 * mb_http_add_connection() (tests, fuzzing).  Returns NULL with errno set
 * on failure.
 */
struct mb_http *mb_http_start(const struct sockaddr *addr, struct mb_http_pub *pub, unsigned flags);

/* The port bound (0 when not listening or unknown). */
uint16_t mb_http_port(const struct mb_http *h);

/* Serve a connected stream socket (ownership passes on success, and on
 * failure the socket is closed).  0 or -errno. */
int mb_http_add_connection(struct mb_http *h, int fd);

/* Stop the threads and close every connection; accepts NULL. */
void mb_http_stop(struct mb_http *h);

/* The libmicrohttpd soname loaded at start (for messages). */
const char *mb_http_library(void);

#endif
