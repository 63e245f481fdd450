/*
 * ratelimit.h: how often a repeated log line may be written (as the
 * kernel's printk_ratelimit): per class of line (its format string), at most
 * `burst` lines per `interval` seconds; the rest are counted, and the first
 * line of the next interval says how many were left out.  60,000 malformed
 * HTTP requests or a history write failing every tick then write a few
 * lines a minute.  Thread-safe (the HTTP threads log too).  Prints nothing.
 */
#ifndef MB_RATELIMIT_H
#define MB_RATELIMIT_H

#include <pthread.h>
#include <stdbool.h>

#define MB_RATELIMIT_SLOTS 32

struct mb_ratelimit {
        double interval;
        unsigned burst;
        pthread_mutex_t lock;
        struct {
                char key[64]; /* "" = free */
                double begin;
                unsigned printed, missed;
        } slot[MB_RATELIMIT_SLOTS];
};

void mb_ratelimit_init(struct mb_ratelimit *rl, double interval, unsigned burst);
void mb_ratelimit_release(struct mb_ratelimit *rl);

/*
 * May a line of class key be written at time now (monotonic seconds)?
 * When it may, *missed is the number of lines of that class left out since
 * the last one written (say so with the line); when not, it is counted.
 */
bool mb_ratelimit_allow(struct mb_ratelimit *rl, const char *key, double now, unsigned *missed);

#endif
