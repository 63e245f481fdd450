/* reload.c: see reload.h. */
#include "reload.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int mb_serve_compile_kill(const struct mb_config *c, regex_t *kill, bool *have)
{
        *have = false;
        if (c->guard_kill_match[0]) {
                if (regcomp(kill, c->guard_kill_match, REG_EXTENDED | REG_NOSUB) != 0)
                        return -EINVAL;
                *have = true;
        }
        return 0;
}

void mb_serve_reload(const char *explicit_path, struct mb_config *cur, struct mb_diag *d,
                     regex_t *kill, bool *have_kill, struct mb_reload *res)
{
        struct mb_config *nc;
        regex_t kre;
        bool have_k = false;

        memset(res, 0, sizeof(*res));
        if (mb_config_find(explicit_path, res->path, sizeof(res->path)) < 0) {
                res->status = MB_RELOAD_NOT_FOUND;
                return;
        }
        nc = calloc(1, sizeof(*nc));
        if (!nc) {
                res->status = MB_RELOAD_NOMEM;
                return;
        }
        res->r = mb_config_load(res->path, false, nc, &res->warns, &res->err);
        if (res->r < 0) {
                res->status = MB_RELOAD_BAD_FILE;
                goto drop;
        }
        if (mb_serve_compile_kill(nc, &kre, &have_k) < 0 || mb_diag_compile(d, nc) < 0) {
                if (have_k)
                        regfree(&kre);
                res->status = MB_RELOAD_BAD_REGEX;
                goto drop;
        }
        res->listen_changed = strcmp(cur->serve_listen, nc->serve_listen) != 0;
        res->was_recording = cur->monitor_record;
        if (*have_kill)
                regfree(kill);
        mb_config_release(cur);
        *cur = *nc; /* moves the owned guard_hook strings */
        free(nc);
        *kill = kre;
        *have_kill = have_k;
        res->status = MB_RELOAD_OK;
        return;
drop:
        mb_config_release(nc);
        free(nc);
}

void mb_reload_release(struct mb_reload *res)
{
        mb_config_warnings_release(&res->warns);
}
