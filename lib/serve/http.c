/*
 * http.c: the HTTP layer of `serve` over libmicrohttpd (see http.h).
 */
#define _GNU_SOURCE
#include "http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "../out/prom.h"
#include "../util/dynlib.h"
#include "../util/util.h"

#define HTTP_THREADS      4
#define HTTP_CONNECTIONS  256
#define HTTP_TIMEOUT_S    10
#define HTTP_MEMORY_LIMIT 32768

struct mb_http {
        struct MHD_Daemon *daemon;
        uint16_t port;
};

/*
 * libmicrohttpd is loaded when serve starts, not linked: it pulls in gnutls
 * and eight more libraries that every one-shot command would otherwise load
 * at start (about 1.5 ms each run).  The declarations come from
 * <microhttpd.h>; only the addresses are looked up.
 */
#define MHD_SONAME "libmicrohttpd.so.12"

static struct {
        void *lib;
        __typeof__(MHD_start_daemon) *start_daemon;
        __typeof__(MHD_stop_daemon) *stop_daemon;
        __typeof__(MHD_get_daemon_info) *get_daemon_info;
        __typeof__(MHD_add_connection) *add_connection;
        __typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
        __typeof__(MHD_add_response_header) *add_response_header;
        __typeof__(MHD_queue_response) *queue_response;
        __typeof__(MHD_destroy_response) *destroy_response;
} mhd;

static int mhd_load(void)
{
#define SYM(f)                                                                                     \
        {                                                                                          \
                "MHD_" #f, (void **)&mhd.f                                                         \
        }
        static const struct mb_dl_sym syms[] = {
            SYM(start_daemon),
            SYM(stop_daemon),
            SYM(get_daemon_info),
            SYM(add_connection),
            SYM(create_response_from_buffer),
            SYM(add_response_header),
            SYM(queue_response),
            SYM(destroy_response),
        };
#undef SYM
        return mb_dl_load(&mhd.lib, MHD_SONAME, syms, MB_ARRAY_SIZE(syms), NULL, 0);
}

const char *mb_http_library(void)
{
        return MHD_SONAME;
}

void mb_http_pub_init(struct mb_http_pub *pub, double interval)
{
        memset(pub, 0, sizeof(*pub));
        pthread_mutex_init(&pub->lock, NULL);
        pub->interval = interval;
}

void mb_http_pub_release(struct mb_http_pub *pub)
{
        free(pub->metrics);
        free(pub->snapshot);
        pub->metrics = pub->snapshot = NULL;
        pthread_mutex_destroy(&pub->lock);
}

void mb_http_publish(struct mb_http_pub *pub, char *metrics, size_t metrics_len, char *snapshot,
                     size_t snapshot_len, bool ok, double mono, double interval)
{
        char *old_m, *old_s;

        pthread_mutex_lock(&pub->lock);
        old_m = pub->metrics;
        old_s = pub->snapshot;
        pub->metrics = metrics;
        pub->metrics_len = metrics_len;
        pub->snapshot = snapshot; /* NULL when the sample failed: /api/snapshot says 503 */
        pub->snapshot_len = snapshot_len;
        pub->ok = ok;
        pub->mono = mono;
        pub->interval = interval;
        pthread_mutex_unlock(&pub->lock);
        free(old_m);
        free(old_s);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *type, char *body,
                             size_t len, bool must_free)
{
        struct MHD_Response *resp;
        enum MHD_Result ret;

        resp = mhd.create_response_from_buffer(
            len, body, must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
        if (!resp) {
                if (must_free)
                        free(body);
                return MHD_NO;
        }
        mhd.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
        if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
                mhd.add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
        ret = mhd.queue_response(c, code, resp);
        mhd.destroy_response(resp);
        return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
        struct mb_http_pub *pub = cls;
        static char not_found[] = "not found: try /metrics, /healthz or /api/snapshot\n";
        static char not_allowed[] = "method not allowed\n";
        static char unavailable[] = "no sample yet\n";
        const char *text = "text/plain; charset=utf-8";
        bool head = !strcmp(method, MHD_HTTP_METHOD_HEAD);
        char *body = NULL;
        size_t len = 0;
        double now = mb_now_mono();

        (void)version;
        (void)upload;
        (void)state;
        if (!head && strcmp(method, MHD_HTTP_METHOD_GET) != 0) {
                *upload_size = 0; /* discard any body */
                return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, text, not_allowed,
                             sizeof(not_allowed) - 1, false);
        }
        if (!strcmp(url, "/metrics")) {
                struct mb_buf b = MB_BUF_INIT;
                int r = 0;
                pthread_mutex_lock(&pub->lock);
                if (pub->metrics) {
                        r = mb_buf_append(&b, pub->metrics, pub->metrics_len);
                        if (!r)
                                r = mb_prom_render_age(&b, now - pub->mono);
                } else {
                        r = -EAGAIN;
                }
                pthread_mutex_unlock(&pub->lock);
                if (r == -EAGAIN)
                        return reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, text, unavailable,
                                     sizeof(unavailable) - 1, false);
                if (r < 0) {
                        mb_buf_release(&b);
                        return MHD_NO;
                }
                return reply(conn, MHD_HTTP_OK, MB_PROM_CONTENT_TYPE, b.data, b.len, true);
        }
        if (!strcmp(url, "/healthz")) {
                unsigned code;
                pthread_mutex_lock(&pub->lock);
                double age = now - pub->mono;
                bool ok = pub->metrics && pub->ok && age < 3 * pub->interval + 30;
                pthread_mutex_unlock(&pub->lock);
                code = ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE;
                if (asprintf(&body, "%s (last sample %.1f s ago)\n", ok ? "ok" : "unhealthy", age) <
                    0)
                        return MHD_NO;
                return reply(conn, code, text, body, strlen(body), true);
        }
        if (!strcmp(url, "/api/snapshot")) {
                pthread_mutex_lock(&pub->lock);
                if (pub->snapshot) {
                        body = malloc(pub->snapshot_len + 1);
                        if (body) {
                                memcpy(body, pub->snapshot, pub->snapshot_len);
                                body[pub->snapshot_len] = '\n';
                                len = pub->snapshot_len + 1;
                        }
                }
                pthread_mutex_unlock(&pub->lock);
                if (!body)
                        return reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, text, unavailable,
                                     sizeof(unavailable) - 1, false);
                return reply(conn, MHD_HTTP_OK, "application/json", body, len, true);
        }
        return reply(conn, MHD_HTTP_NOT_FOUND, text, not_found, sizeof(not_found) - 1, false);
}

struct mb_http *mb_http_start(const struct sockaddr *addr, struct mb_http_pub *pub, unsigned flags)
{
        unsigned mf = MHD_USE_AUTO_INTERNAL_THREAD;
        const union MHD_DaemonInfo *info;
        struct mb_http *h;
        uint16_t port = 0;
        int e;

        if (addr && addr->sa_family != AF_INET && addr->sa_family != AF_INET6) {
                errno = EAFNOSUPPORT;
                return NULL;
        }
        if ((e = mhd_load()) < 0) {
                errno = -e;
                return NULL;
        }
        h = calloc(1, sizeof(*h));
        if (!h)
                return NULL;
        if (flags & MB_HTTP_ERROR_LOG)
                mf |= MHD_USE_ERROR_LOG;
        if (!addr) {
                /* MHD_add_connection only; no thread pool without a listen socket. */
                mf |= MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC;
                h->daemon =
                    mhd.start_daemon(mf, 0, NULL, NULL, handle, pub, MHD_OPTION_CONNECTION_LIMIT,
                                     (unsigned)HTTP_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
                                     (unsigned)HTTP_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                     (size_t)HTTP_MEMORY_LIMIT, MHD_OPTION_END);
        } else {
                if (addr->sa_family == AF_INET6) {
                        mf |= MHD_USE_IPv6;
                        port = ntohs(((const struct sockaddr_in6 *)(const void *)addr)->sin6_port);
                } else {
                        port = ntohs(((const struct sockaddr_in *)(const void *)addr)->sin_port);
                }
                h->daemon = mhd.start_daemon(
                    mf, port, NULL, NULL, handle, pub, MHD_OPTION_SOCK_ADDR,
                    (struct sockaddr *)addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
                    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTIONS,
                    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S,
                    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MEMORY_LIMIT,
                    MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_END);
        }
        if (!h->daemon) {
                e = errno ? errno : EIO;
                free(h);
                errno = e;
                return NULL;
        }
        if (addr) {
                info = mhd.get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
                if (info)
                        port = info->port;
        }
        h->port = port;
        return h;
}

uint16_t mb_http_port(const struct mb_http *h)
{
        return h ? h->port : 0;
}

int mb_http_add_connection(struct mb_http *h, int fd)
{
        struct sockaddr_un un;

        memset(&un, 0, sizeof(un));
        un.sun_family = AF_UNIX;
        if (mhd.add_connection(h->daemon, fd, (const struct sockaddr *)&un, sizeof(un)) != MHD_YES)
                return errno ? -errno : -EIO;
        return 0;
}

void mb_http_stop(struct mb_http *h)
{
        if (!h)
                return;
        mhd.stop_daemon(h->daemon);
        free(h);
}
