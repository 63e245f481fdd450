/* ratelimit.c: see ratelimit.h. */
#include "ratelimit.h"

#include <string.h>

#include "util.h"

void mb_ratelimit_init(struct mb_ratelimit *rl, double interval, unsigned burst)
{
        memset(rl, 0, sizeof(*rl));
        rl->interval = interval;
        rl->burst = burst ? burst : 1;
        pthread_mutex_init(&rl->lock, NULL);
}

void mb_ratelimit_release(struct mb_ratelimit *rl)
{
        pthread_mutex_destroy(&rl->lock);
}

bool mb_ratelimit_allow(struct mb_ratelimit *rl, const char *key, double now, unsigned *missed)
{
        size_t i, pick = 0;
        bool ok;

        *missed = 0;
        pthread_mutex_lock(&rl->lock);
        /* the class's slot, else a free one, else the one idle longest */
        for (i = 0; i < MB_RATELIMIT_SLOTS; i++) {
                if (!strncmp(rl->slot[i].key, key, sizeof(rl->slot[i].key) - 1))
                        break;
                if (!rl->slot[i].key[0] ||
                    (rl->slot[pick].key[0] && rl->slot[i].begin < rl->slot[pick].begin))
                        pick = i;
        }
        if (i == MB_RATELIMIT_SLOTS) {
                i = pick;
                mb_strlcpy(rl->slot[i].key, key, sizeof(rl->slot[i].key));
                rl->slot[i].begin = now - rl->interval; /* a new window below */
                rl->slot[i].printed = rl->slot[i].missed = 0;
        }
        if (now - rl->slot[i].begin >= rl->interval) {
                *missed = rl->slot[i].missed;
                rl->slot[i].begin = now;
                rl->slot[i].printed = 1;
                rl->slot[i].missed = 0;
                ok = true;
        } else if (rl->slot[i].printed < rl->burst) {
                rl->slot[i].printed++;
                ok = true;
        } else {
                rl->slot[i].missed++;
                ok = false;
        }
        pthread_mutex_unlock(&rl->lock);
        return ok;
}
