/* config.c: see config.h.  (Temporary: defaults only; the loader lands next.) */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void mb_config_defaults(struct mb_config *c)
{
        memset(c, 0, sizeof(*c));
        c->target_total_mb = 7500;
        c->ram_max_mb = 3500;
        c->vram_max_mb = 4000;
        c->worker_processes = c->batch_size = c->cache_size_mb = -1;
        c->swap_threshold_mb = 100;
        c->swap_max_mb = 500;
        c->available_min_mb = 2048;
        c->gpu_batch_size = -1;
        c->memory_fraction = -1;
        c->tf_force_gpu_allow_growth = -1;
        c->vm_swappiness = 10;
        c->thrash_swapin_pages_per_s = 100;
        c->thrash_psi_full_avg10 = 5.0;
        c->thrash_psi_some_avg10 = 10.0;
        c->swap_cycle_factor = 1.2;
        c->swap_cycle_margin_mb = 512;
        c->monitor_interval_s = 10;
        c->retention_days = 30;
        c->monitor_top_n = 10;
        mb_strlcpy(c->serve_listen, "127.0.0.1:9587", sizeof(c->serve_listen));
        c->serve_top_n = 10;
        c->serve_interval_s = 10;
        c->guard_dry_run = true;
        c->guard_for_s = 30;
        c->guard_swap_used_mb = -1;
        c->guard_available_min_mb = -1;
        c->guard_psi_full_avg10 = -1;
        c->guard_action_log = true;
        c->guard_grace_s = 10;
        c->guard_rate_limit_s = 300;
}

int mb_config_load_buffer(const char *name, const char *buf, size_t len, bool strict,
                          struct mb_config *c, struct mb_config_warnings *warns,
                          struct mb_error *err)
{
        (void)buf;
        (void)len;
        (void)strict;
        (void)warns;
        mb_config_defaults(c);
        mb_error_set(err, name, 0, 0, "config loading not implemented yet");
        return -ENOSYS;
}

int mb_config_load(const char *path, bool strict, struct mb_config *c,
                   struct mb_config_warnings *warns, struct mb_error *err)
{
        return mb_config_load_buffer(path, "", 0, strict, c, warns, err);
}

int mb_config_find(const char *explicit_path, char *ret, size_t len)
{
        const char *env = getenv("MEMBUDGET_CONFIG");
        static const char *const fallbacks[] = {"./omnimind_parameters.json",
                                                "/etc/membudget/membudget.json"};

        if (explicit_path) {
                mb_strlcpy(ret, explicit_path, len);
                return 0;
        }
        if (env && *env) {
                mb_strlcpy(ret, env, len);
                return 0;
        }
        for (size_t i = 0; i < MB_ARRAY_SIZE(fallbacks); i++)
                if (access(fallbacks[i], F_OK) == 0) {
                        mb_strlcpy(ret, fallbacks[i], len);
                        return 0;
                }
        return -ENOENT;
}

const char mb_config_proposed[] = "{}\n";

void mb_config_release(struct mb_config *c)
{
        if (!c)
                return;
        for (int i = 0; i < MB_GUARD_HOOK_MAXARGS && c->guard_hook[i]; i++) {
                free(c->guard_hook[i]);
                c->guard_hook[i] = NULL;
        }
}

void mb_config_warnings_release(struct mb_config_warnings *w)
{
        if (!w)
                return;
        free(w->w);
        w->w = NULL;
        w->n = 0;
}
