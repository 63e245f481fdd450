/*
 * reload.h: serve's SIGHUP.  The configuration file is found and loaded
 * again; the new one replaces the running one only when it loads and its
 * regexes compile (target.match into the sampler, guard.kill_match);
 * otherwise the running one stays.  The caller logs what came back.
 */
#ifndef MB_SERVE_RELOAD_H
#define MB_SERVE_RELOAD_H

#include <regex.h>

#include "../config/config.h"
#include "../diag/diag.h"

enum mb_reload_status {
        MB_RELOAD_OK,
        MB_RELOAD_NOT_FOUND, /* no configuration file */
        MB_RELOAD_NOMEM,
        MB_RELOAD_BAD_FILE,  /* err, r filled */
        MB_RELOAD_BAD_REGEX, /* target.match or guard.kill_match */
};

struct mb_reload {
        enum mb_reload_status status;
        char path[1024];
        struct mb_config_warnings warns; /* of the new file (release them) */
        struct mb_error err;
        int r;
        bool listen_changed; /* serve.listen differs: takes a restart */
        bool was_recording;  /* monitor.record before */
};

/* Reload into *cur (the kill regex into *kill / *have_kill, the target's
 * into d).  `explicit_path`: -c FILE or NULL. */
void mb_serve_reload(const char *explicit_path, struct mb_config *cur, struct mb_diag *d,
                     regex_t *kill, bool *have_kill, struct mb_reload *res);
void mb_reload_release(struct mb_reload *res);

/* Compile guard.kill_match (have = false when empty).  0 or -EINVAL. */
int mb_serve_compile_kill(const struct mb_config *c, regex_t *kill, bool *have);

#endif
