/*
 * http.c: the HTTP layer of `serve` over libmicrohttpd (see http.h).
 */
#define _GNU_SOURCE
#include "http.h"

#include <errno.h>
#include <stdarg.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../out/prom.h"
#include "../util/dynlib.h"
#include "../util/util.h"

#define HTTP_THREADS      4
#define HTTP_CONNECTIONS  256
#define HTTP_PER_IP       64 /* one address cannot take more (slowloris) */
#define HTTP_TIMEOUT_S    5  /* idle seconds, headers included */
#define HTTP_MEMORY_LIMIT 32768
#define HTTP_BACKLOG      64

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

/* libmicrohttpd's own messages (malformed requests...) go to the caller's
 * logger, which rate-limits them (ratelimit.h). */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
        struct mb_http_pub *pub = cls;

        if (pub->log)
                pub->log(fmt, ap);
}

/*
 * The listening socket, bound here rather than by libmicrohttpd so that a
 * port in use is refused with its errno and nothing else: SO_REUSEADDR only
 * (a restart may bind over TIME_WAIT), never SO_REUSEPORT, with which a
 * second `serve` on the same port would start and the two would share the
 * scrapes.  The fd, or -errno.
 */
static int listen_socket(const struct sockaddr *addr)
{
        socklen_t len =
            addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
        int one = 1, e;
        int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        if (fd < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(fd, addr, len) < 0 || listen(fd, HTTP_BACKLOG) < 0) {
                e = errno;
                close(fd);
                return -e;
        }
        return fd;
}

struct mb_http *mb_http_start(const struct sockaddr *addr, struct mb_http_pub *pub, unsigned flags)
{
        unsigned mf = MHD_USE_AUTO_INTERNAL_THREAD;
        struct mb_http *h;
        int e, fd = -1;

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
                                     (size_t)HTTP_MEMORY_LIMIT, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
                                     pub, MHD_OPTION_END);
        } else {
                struct sockaddr_storage ss;
                socklen_t sl = sizeof(ss);

                if ((fd = listen_socket(addr)) < 0) {
                        free(h);
                        errno = -fd;
                        return NULL;
                }
                if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
                        h->port =
                            ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                           : ((struct sockaddr_in *)&ss)->sin_port);
                if (addr->sa_family == AF_INET6)
                        mf |= MHD_USE_IPv6;
                h->daemon =
                    mhd.start_daemon(mf, h->port, NULL, NULL, handle, pub, MHD_OPTION_LISTEN_SOCKET,
                                     fd, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
                                     MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTIONS,
                                     MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_PER_IP,
                                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S,
                                     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MEMORY_LIMIT,
                                     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, pub, MHD_OPTION_END);
        }
        if (!h->daemon) {
                e = errno ? errno : EIO;
                if (fd >= 0)
                        close(fd);
                free(h);
                errno = e;
                return NULL;
        }
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
