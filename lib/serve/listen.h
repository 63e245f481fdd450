/* listen.h: serve's listening address. */
#ifndef MB_SERVE_LISTEN_H
#define MB_SERVE_LISTEN_H

#include <stdbool.h>
#include <sys/socket.h>

/* "ADDR:PORT", "[V6]:PORT" or "localhost:PORT" into a socket address; v6
 * and loopback say what it is.  0 or -EINVAL. */
int mb_listen_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len, bool *v6,
                    bool *loopback);

#endif
