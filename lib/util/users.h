/* users.h: uid <-> user name, cached (getpwuid_r / getpwnam_r). */
#ifndef MB_USERS_H
#define MB_USERS_H

#include <stdint.h>
#include <sys/types.h>

/* Name of uid (the number as text when unknown).  The pointer stays valid
 * until mb_users_release(). */
const char *mb_user_name(uint32_t uid);
/* 0 and *ret, or -ENOENT. Accepts a numeric uid too. */
int mb_user_lookup(const char *name, uid_t *ret);
void mb_users_release(void);

#endif
