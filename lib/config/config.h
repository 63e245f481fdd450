/*
 * config.h: the budget configuration (SPEC.md §5).  The plan's
 * omnimind_parameters.json loads as it stands; membudget's own sections
 * (target, monitor, serve, guard) are optional.  Loaded with jansson;
 * errors carry file:line:column.
 *
 * Every numeric field that can be absent is -1 when unset (after defaults
 * are applied, only the application knobs may stay -1).
 */
#ifndef MB_CONFIG_H
#define MB_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/util.h"

#define MB_GUARD_HOOK_MAXARGS 16

struct mb_config {
        char path[1024]; /* file it came from; "" for built-in defaults */
        bool from_file;

        /* memory (MB = MiB, as the plan writes it) */
        int64_t target_total_mb; /* RAM + VRAM budget of the target; default 7500 */
        int64_t ram_max_mb;      /* default 3500 */
        int64_t vram_max_mb;     /* default 4000 */
        int64_t worker_processes, batch_size, cache_size_mb; /* app knobs; -1 unset */
        int64_t swap_threshold_mb; /* "swap_threshold": a process over it is flagged; default 100 */
        int64_t swap_max_mb;       /* default 500 */
        int64_t available_min_mb;  /* default 2048 */

        /* gpu (application knobs, checked for consistency) */
        int64_t gpu_batch_size;        /* -1 unset */
        double memory_fraction;        /* (0,1]; -1 unset */
        int tf_force_gpu_allow_growth; /* -1 unset, 0, 1 */

        /* system */
        int vm_swappiness; /* 0-200; default 10 */
        bool drop_caches;  /* default false */

        /* target: the service the budget is for; both empty = host-wide */
        char target_match[512]; /* POSIX ERE on the whole command line */
        char target_user[64];   /* only this user's processes count ("" = any) */
        char target_unit[256];  /* systemd unit */

        /* thresholds of the problems engine */
        double thrash_swapin_pages_per_s; /* default 100 */
        double thrash_psi_full_avg10;     /* default 5.0 (%) */
        double thrash_psi_some_avg10;     /* default 10.0 (%) */

        /* actions */
        double swap_cycle_factor;     /* default 1.2 */
        int64_t swap_cycle_margin_mb; /* default 512 */

        /* monitor */
        double monitor_interval_s; /* default 10 */
        char history_path[1024];   /* "" = STATE_DIR/history.db */
        int retention_days;        /* default 30 */
        bool monitor_record;       /* default false */
        int monitor_top_n;         /* processes recorded per tick besides the target; default 10 */

        /* serve */
        char serve_listen[128];  /* default "127.0.0.1:9587" */
        int serve_top_n;         /* top processes exported; default 10 */
        double serve_interval_s; /* sampling period; default monitor_interval_s */

        /* guard (opt-in) */
        bool guard_enabled;
        bool guard_dry_run;             /* default true */
        double guard_for_s;             /* how long a condition must hold; default 30 */
        int64_t guard_swap_used_mb;     /* -1 = condition off */
        bool guard_target_over_ram;     /* target RAM > ram_max_mb */
        int64_t guard_available_min_mb; /* -1 = off */
        double guard_psi_full_avg10;    /* -1 = off */
        bool guard_action_log;          /* default true */
        char *guard_hook[MB_GUARD_HOOK_MAXARGS + 1]; /* argv, NULL-terminated; owned */
        char guard_kill_match[512];                  /* "" = never signal */
        char guard_kill_user[64];  /* who may be signalled: a user, "*" any; "" = the target's
                                      owner with target.unit, else root */
        double guard_grace_s;      /* SIGTERM -> SIGKILL; default 10 */
        double guard_rate_limit_s; /* min seconds between actions; default 300 */

        /* What the file set (filled by the loader; zero for defaults). */
        unsigned sections_set; /* bit i: mb_config_sections[i] was in the file */
        uint64_t keys_set[2];  /* bit i: mb_config_keys[i] was in the file */
};

/* A config with every default applied (no file). */
void mb_config_defaults(struct mb_config *c);

/* One warning from loading (unknown key, budget sum). */
struct mb_config_warning {
        int line, col;
        char msg[256];
};

struct mb_config_warnings {
        struct mb_config_warning *w;
        size_t n;
};

/*
 * Load and validate a file into c (defaults applied first).  Returns 0, or
 * -EINVAL with err filled as FILE:LINE:COL: message (syntax, type, range,
 * and with `strict`, unknown keys), -ENOENT/-EACCES when unreadable.
 * Warnings (unknown keys with the nearest valid name, ram_max_mb +
 * vram_max_mb above target_total_mb) go to warns when non-NULL.
 */
int mb_config_load(const char *path, bool strict, struct mb_config *c,
                   struct mb_config_warnings *warns, struct mb_error *err);

/* Same from a buffer; `name` is used in messages. */
int mb_config_load_buffer(const char *name, const char *buf, size_t len, bool strict,
                          struct mb_config *c, struct mb_config_warnings *warns,
                          struct mb_error *err);

/*
 * Find the config: explicit path, then $MEMBUDGET_CONFIG,
 * ./omnimind_parameters.json, /etc/membudget/membudget.json.  Writes the
 * path found into ret (size len) and returns 0, or -ENOENT when none exists
 * (the caller then uses the defaults).
 */
int mb_config_find(const char *explicit_path, char *ret, size_t len);

/* The plan's proposed file, as config init writes it (NUL-terminated). */
extern const char mb_config_proposed[];

void mb_config_release(struct mb_config *c);

/* Files above this size are refused. */
#define MB_CONFIG_MAX_BYTES (16u << 20)

/*
 * The key table the loader is driven by (one row per known key), also for
 * documentation, completion and the JSON rendering.
 */
enum mb_config_type {
        MB_CT_INT,     /* int field, JSON integer (an integral real is accepted) */
        MB_CT_I64,     /* int64_t field, JSON integer */
        MB_CT_NUM,     /* double field, JSON number */
        MB_CT_BOOL,    /* bool field, true/false */
        MB_CT_TRIBOOL, /* int field: -1 unset, 0, 1 */
        MB_CT_STR,     /* char[] field, JSON string */
        MB_CT_STRV,    /* char *[] field (guard_hook), array of strings */
};

enum {
        MB_CK_MB = 1 << 0,       /* a size in MiB (rendered as *_bytes in JSON) */
        MB_CK_MIN_EXCL = 1 << 1, /* value must be > min (not >=) */
        MB_CK_NULL_OFF = 1 << 2, /* null turns the condition off (stored as -1) */
        MB_CK_REGEX = 1 << 3,    /* POSIX ERE, must compile */
        MB_CK_LISTEN = 1 << 4,   /* "ADDR:PORT" */
        MB_CK_UNIT = 1 << 5,     /* systemd unit name */
};

struct mb_config_key {
        const char *section;
        const char *name;
        enum mb_config_type type;
        unsigned flags;
        double min, max;
        size_t off;  /* offset of the field in struct mb_config */
        size_t size; /* size of the field */
        const char *doc;
};

extern const struct mb_config_key mb_config_keys[];
extern const size_t mb_config_nkeys;
/* Known section names, NULL-terminated (bit order of sections_set). */
extern const char *const mb_config_sections[];

/* Did the loaded file set section.name? */
bool mb_config_is_set(const struct mb_config *c, const char *section, const char *name);

/*
 * The effective configuration as a JSON object {section: {key: value}}
 * (a new reference; NULL on allocation failure).  Sizes in MiB come out in
 * bytes under NAME_bytes (ram_max_mb -> ram_max_bytes); unset values
 * (-1, "") are null.
 */
struct json_t;
struct json_t *mb_config_json(const struct mb_config *c);
void mb_config_warnings_release(struct mb_config_warnings *w);

/*
 * The default hard limit of `limit` and `run` (no --max): memory.ram_max_mb
 * in bytes.  0, or -EINVAL with msg ("memory.ram_max_mb is 0 in FILE: a
 * limit of 0 kills everything; give --max") when it is not above 0.
 */
int mb_config_default_max(const struct mb_config *c, int64_t *ret, char *msg, size_t len);

#endif
