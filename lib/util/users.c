/* users.c: see users.h.  A small open-addressing cache; uids are few. */
#define _GNU_SOURCE
#include "users.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SIZE 256

static struct {
        uint32_t uid;
        char *name;
} cache[CACHE_SIZE];

const char *mb_user_name(uint32_t uid)
{
        unsigned h = (uid * 2654435761u) % CACHE_SIZE;
        struct passwd pw, *res = NULL;
        char buf[1024], num[16];
        const char *n;

        for (unsigned i = 0; i < CACHE_SIZE; i++) {
                unsigned k = (h + i) % CACHE_SIZE;
                if (cache[k].name && cache[k].uid == uid)
                        return cache[k].name;
                if (!cache[k].name) {
                        if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
                                n = res->pw_name;
                        else {
                                snprintf(num, sizeof(num), "%u", uid);
                                n = num;
                        }
                        cache[k].name = strdup(n);
                        cache[k].uid = uid;
                        return cache[k].name ? cache[k].name : "?";
                }
        }
        return "?"; /* cache full: 256 distinct users */
}

int mb_user_lookup(const char *name, uid_t *ret)
{
        struct passwd pw, *res = NULL;
        char buf[1024], *e;
        unsigned long v;

        if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) == 0 && res) {
                *ret = res->pw_uid;
                return 0;
        }
        errno = 0;
        v = strtoul(name, &e, 10);
        if (*name && !*e && errno == 0 && v <= UINT32_MAX) {
                *ret = (uid_t)v;
                return 0;
        }
        return -ENOENT;
}

void mb_users_release(void)
{
        for (unsigned i = 0; i < CACHE_SIZE; i++) {
                free(cache[i].name);
                cache[i].name = NULL;
        }
}
