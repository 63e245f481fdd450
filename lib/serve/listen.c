/* listen.c: see listen.h. */
#define _GNU_SOURCE
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

int mb_listen_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len, bool *v6,
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
