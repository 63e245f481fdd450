/*
 * config.c: the budget configuration (see config.h).
 *
 * The file is parsed by jansson (objects or arrays at the top level only,
 * duplicate keys rejected), then walked against one table of known keys.
 * jansson keeps no position per value, so the line:column of a value that
 * fails a type or range check, or of an unknown key, comes from a small
 * scanner over the raw text: it runs only after jansson accepted the text,
 * and only when there is something to report.
 */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/users.h"

#define MAX_WARNINGS 50
#define SIZE_MAX_MB  ((double)(INT64_MAX >> 20)) /* MiB that still fit in bytes */

/* ---- the key table ---------------------------------------------------- */

const char *const mb_config_sections[] = {
    "memory", "gpu", "system", "target", "thresholds", "actions", "monitor", "serve", "guard", NULL,
};

#define FIELD(f) offsetof(struct mb_config, f), sizeof(((struct mb_config *)0)->f)
#define SZ       MB_CK_MB
#define BIG      1e12

const struct mb_config_key mb_config_keys[] = {
    {"memory", "target_total_mb", MB_CT_I64, SZ, 0, SIZE_MAX_MB, FIELD(target_total_mb),
     "RAM + VRAM budget of the target, MiB"},
    {"memory", "ram_max_mb", MB_CT_I64, SZ, 0, SIZE_MAX_MB, FIELD(ram_max_mb),
     "RAM budget of the target, MiB"},
    {"memory", "vram_max_mb", MB_CT_I64, SZ, 0, SIZE_MAX_MB, FIELD(vram_max_mb),
     "GPU memory budget, MiB"},
    {"memory", "worker_processes", MB_CT_I64, 0, 0, 1e6, FIELD(worker_processes),
     "application: worker processes"},
    {"memory", "batch_size", MB_CT_I64, 0, 0, BIG, FIELD(batch_size), "application: batch size"},
    {"memory", "cache_size_mb", MB_CT_I64, SZ, 0, SIZE_MAX_MB, FIELD(cache_size_mb),
     "application: cache size, MiB"},
    {"memory", "swap_threshold", MB_CT_I64, SZ, 0, SIZE_MAX_MB, FIELD(swap_threshold_mb),
     "a process with more than this in swap is flagged, MiB"},
    {"memory", "swap_max_mb", MB_CT_I64, SZ, 0, SIZE_MAX_MB, FIELD(swap_max_mb),
     "swap used above this is a problem, MiB"},
    {"memory", "available_min_mb", MB_CT_I64, SZ, 0, SIZE_MAX_MB, FIELD(available_min_mb),
     "MemAvailable below this is a problem, MiB"},
    {"gpu", "gpu_batch_size", MB_CT_I64, 0, 0, BIG, FIELD(gpu_batch_size),
     "application: GPU batch size"},
    {"gpu", "memory_fraction", MB_CT_NUM, MB_CK_MIN_EXCL, 0, 1, FIELD(memory_fraction),
     "application: fraction of the device memory the framework may take"},
    {"gpu", "tf_force_gpu_allow_growth", MB_CT_TRIBOOL, 0, 0, 1, FIELD(tf_force_gpu_allow_growth),
     "application: TF_FORCE_GPU_ALLOW_GROWTH"},
    {"system", "vm_swappiness", MB_CT_INT, 0, 0, 200, FIELD(vm_swappiness),
     "vm.swappiness wanted (0-200)"},
    {"system", "drop_caches", MB_CT_BOOL, 0, 0, 1, FIELD(drop_caches),
     "tune may drop clean caches (opt-in)"},
    {"target", "match", MB_CT_STR, MB_CK_REGEX, 0, 0, FIELD(target_match),
     "POSIX extended regex on the whole command line"},
    {"target", "unit", MB_CT_STR, MB_CK_UNIT, 0, 0, FIELD(target_unit), "systemd unit"},
    {"target", "user", MB_CT_STR, 0, 0, 0, FIELD(target_user),
     "only this user's processes are the target (\"\" = any user)"},
    {"thresholds", "swapin_pages_per_s", MB_CT_NUM, 0, 0, BIG, FIELD(thrash_swapin_pages_per_s),
     "swap-in rate above which swap is thrashing"},
    {"thresholds", "psi_full_avg10", MB_CT_NUM, 0, 0, 100, FIELD(thrash_psi_full_avg10),
     "memory PSI full avg10 (%) above which swap is thrashing"},
    {"thresholds", "psi_some_avg10", MB_CT_NUM, 0, 0, 100, FIELD(thrash_psi_some_avg10),
     "memory PSI some avg10 (%) reported as pressure"},
    {"actions", "swap_cycle_factor", MB_CT_NUM, 0, 1, 100, FIELD(swap_cycle_factor),
     "swap cycle needs MemAvailable >= factor x swap used"},
    {"actions", "swap_cycle_margin_mb", MB_CT_I64, SZ, 0, SIZE_MAX_MB, FIELD(swap_cycle_margin_mb),
     "plus this margin, MiB"},
    {"monitor", "interval_s", MB_CT_NUM, MB_CK_MIN_EXCL, 0, 86400, FIELD(monitor_interval_s),
     "sampling period, seconds"},
    {"monitor", "history", MB_CT_STR, 0, 0, 0, FIELD(history_path),
     "history database (\"\" = STATE_DIR/history.db)"},
    {"monitor", "retention_days", MB_CT_INT, 0, 1, 36500, FIELD(retention_days),
     "history kept, days"},
    {"monitor", "record", MB_CT_BOOL, 0, 0, 1, FIELD(monitor_record),
     "watch records into the history"},
    {"monitor", "top_n", MB_CT_INT, 0, 0, 10000, FIELD(monitor_top_n),
     "processes recorded per sample besides the target"},
    {"serve", "listen", MB_CT_STR, MB_CK_LISTEN, 0, 0, FIELD(serve_listen),
     "ADDR:PORT of the exporter"},
    {"serve", "top_n", MB_CT_INT, 0, 0, 10000, FIELD(serve_top_n), "top processes exported"},
    {"serve", "interval_s", MB_CT_NUM, MB_CK_MIN_EXCL, 0, 86400, FIELD(serve_interval_s),
     "sampling period, seconds (default monitor.interval_s)"},
    {"guard", "enabled", MB_CT_BOOL, 0, 0, 1, FIELD(guard_enabled), "run the guard policy"},
    {"guard", "dry_run", MB_CT_BOOL, 0, 0, 1, FIELD(guard_dry_run), "only log what it would do"},
    {"guard", "for_s", MB_CT_NUM, 0, 0, 86400, FIELD(guard_for_s),
     "how long a condition must hold, seconds"},
    {"guard", "swap_used_mb", MB_CT_I64, SZ | MB_CK_NULL_OFF, 0, SIZE_MAX_MB,
     FIELD(guard_swap_used_mb), "condition: swap used above, MiB (null = off)"},
    {"guard", "target_over_ram", MB_CT_BOOL, 0, 0, 1, FIELD(guard_target_over_ram),
     "condition: target RAM above memory.ram_max_mb"},
    {"guard", "available_min_mb", MB_CT_I64, SZ | MB_CK_NULL_OFF, 0, SIZE_MAX_MB,
     FIELD(guard_available_min_mb), "condition: MemAvailable below, MiB (null = off)"},
    {"guard", "psi_full_avg10", MB_CT_NUM, MB_CK_NULL_OFF, 0, 100, FIELD(guard_psi_full_avg10),
     "condition: memory PSI full avg10 above, % (null = off)"},
    {"guard", "log", MB_CT_BOOL, 0, 0, 1, FIELD(guard_action_log), "log every decision"},
    {"guard", "hook", MB_CT_STRV, 0, 0, MB_GUARD_HOOK_MAXARGS, FIELD(guard_hook),
     "command run on a decision, as an argv array"},
    {"guard", "kill_user", MB_CT_STR, 0, 0, 0, FIELD(guard_kill_user),
     "user whose processes may be signalled (\"*\" = any; \"\" = the owner of target.unit's "
     "processes, else root)"},
    {"guard", "kill_match", MB_CT_STR, MB_CK_REGEX, 0, 0, FIELD(guard_kill_match),
     "processes the guard may signal (regex; \"\" = none)"},
    {"guard", "grace_s", MB_CT_NUM, 0, 0, 3600, FIELD(guard_grace_s),
     "SIGTERM to SIGKILL, seconds"},
    {"guard", "rate_limit_s", MB_CT_NUM, 0, 0, 604800, FIELD(guard_rate_limit_s),
     "minimum seconds between actions"},
};

#undef FIELD
#undef SZ
#undef BIG

const size_t mb_config_nkeys = MB_ARRAY_SIZE(mb_config_keys);

_Static_assert(MB_ARRAY_SIZE(mb_config_keys) <= 128, "keys_set holds 128 bits");

static int section_index(const char *name)
{
        for (int i = 0; mb_config_sections[i]; i++)
                if (!strcmp(mb_config_sections[i], name))
                        return i;
        return -1;
}

static const struct mb_config_key *find_key(const char *section, const char *name)
{
        for (size_t i = 0; i < mb_config_nkeys; i++)
                if (!strcmp(mb_config_keys[i].section, section) &&
                    !strcmp(mb_config_keys[i].name, name))
                        return &mb_config_keys[i];
        return NULL;
}

bool mb_config_is_set(const struct mb_config *c, const char *section, const char *name)
{
        const struct mb_config_key *k = find_key(section, name);
        size_t i;

        if (!k)
                return false;
        i = (size_t)(k - mb_config_keys);
        return c->keys_set[i / 64] & (UINT64_C(1) << (i % 64));
}

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

/* ---- positions in the raw text ---------------------------------------- */

/* Line and column (1-based; columns count UTF-8 characters, as jansson's
 * do) of byte offset `off`. */
static void linecol(const char *buf, size_t len, size_t off, int *line, int *col)
{
        const char *p = buf, *end, *q;
        int l = 1, c = 1;

        if (off > len)
                off = len;
        end = buf + off;
        while (p < end && (q = memchr(p, '\n', (size_t)(end - p)))) {
                l++;
                p = q + 1;
        }
        for (; p < end; p++)
                if (((unsigned char)*p & 0xC0) != 0x80)
                        c++;
        *line = l;
        *col = c;
}

static bool is_ws(char ch)
{
        return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static size_t skip_ws(const char *b, size_t n, size_t i)
{
        while (i < n && is_ws(b[i]))
                i++;
        return i;
}

/* b[i] is the opening quote; returns the offset after the closing one. */
static size_t skip_string(const char *b, size_t n, size_t i)
{
        for (i++; i < n && b[i] != '"'; i++)
                if (b[i] == '\\')
                        i++;
        return i < n ? i + 1 : n;
}

/* Offset after the value starting at b[i] (no recursion: nesting is only
 * counted, so depth costs nothing). */
static size_t skip_value(const char *b, size_t n, size_t i)
{
        size_t depth = 0;

        if (i >= n)
                return n;
        if (b[i] == '"')
                return skip_string(b, n, i);
        if (b[i] != '{' && b[i] != '[') {
                while (i < n && !is_ws(b[i]) && b[i] != ',' && b[i] != ']' && b[i] != '}')
                        i++;
                return i;
        }
        while (i < n) {
                char ch = b[i];
                if (ch == '"') {
                        i = skip_string(b, n, i);
                        continue;
                }
                if (ch == '{' || ch == '[') {
                        depth++;
                } else if (ch == '}' || ch == ']') {
                        if (--depth == 0)
                                return i + 1;
                }
                i++;
        }
        return n;
}

static int hexval(char ch)
{
        if (ch >= '0' && ch <= '9')
                return ch - '0';
        if (ch >= 'a' && ch <= 'f')
                return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'F')
                return ch - 'A' + 10;
        return -1;
}

static unsigned hex4(const char *p)
{
        unsigned v = 0;

        for (int i = 0; i < 4; i++)
                v = v * 16 + (unsigned)hexval(p[i]);
        return v;
}

static size_t put_utf8(char *o, unsigned cp)
{
        if (cp < 0x80) {
                o[0] = (char)cp;
                return 1;
        }
        if (cp < 0x800) {
                o[0] = (char)(0xC0 | (cp >> 6));
                o[1] = (char)(0x80 | (cp & 0x3F));
                return 2;
        }
        if (cp < 0x10000) {
                o[0] = (char)(0xE0 | (cp >> 12));
                o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                o[2] = (char)(0x80 | (cp & 0x3F));
                return 3;
        }
        o[0] = (char)(0xF0 | (cp >> 18));
        o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[3] = (char)(0x80 | (cp & 0x3F));
        return 4;
}

/*
 * Is the raw JSON string b[s..e) (s at the opening quote, e after the
 * closing one) equal to `key` once decoded?  jansson has validated the
 * text, so escapes are well formed.
 */
static bool key_is(const char *b, size_t s, size_t e, const char *key)
{
        const char *raw = b + s + 1;
        size_t rawlen = e - s - 2, klen = strlen(key), o = 0;
        char *dec;
        bool eq;

        if (!memchr(raw, '\\', rawlen))
                return rawlen == klen && !memcmp(raw, key, rawlen);
        if (klen > rawlen)
                return false; /* decoding never makes a string longer */
        dec = malloc(rawlen + 1);
        if (!dec)
                return false;
        for (size_t i = 0; i < rawlen; i++) {
                unsigned cp;
                if (raw[i] != '\\') {
                        dec[o++] = raw[i];
                        continue;
                }
                i++;
                switch (raw[i]) {
                case 'b':
                        dec[o++] = '\b';
                        break;
                case 'f':
                        dec[o++] = '\f';
                        break;
                case 'n':
                        dec[o++] = '\n';
                        break;
                case 'r':
                        dec[o++] = '\r';
                        break;
                case 't':
                        dec[o++] = '\t';
                        break;
                case 'u':
                        cp = hex4(raw + i + 1);
                        i += 4;
                        if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < rawlen && raw[i + 1] == '\\' &&
                            raw[i + 2] == 'u') {
                                unsigned lo = hex4(raw + i + 3);
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                                i += 6;
                        }
                        o += put_utf8(dec + o, cp);
                        break;
                default: /* " \ / */
                        dec[o++] = raw[i];
                        break;
                }
        }
        eq = o == klen && !memcmp(dec, key, klen);
        free(dec);
        return eq;
}

/* One step of a path: an object member, or an array element when key is NULL. */
struct step {
        const char *key;
        size_t index;
};

/*
 * Offsets of the key (or, for an array element or the root, the value) and
 * of the value at `path`.  False when the text does not have it (cannot
 * happen for a path taken from what jansson parsed out of the same text).
 */
static bool find_path(const char *b, size_t n, const struct step *path, size_t np, size_t *key_off,
                      size_t *val_off)
{
        size_t i = skip_ws(b, n, 0), ko = i;

        for (size_t k = 0; k < np; k++) {
                if (path[k].key) {
                        if (i >= n || b[i] != '{')
                                return false;
                        i++;
                        for (;;) {
                                size_t ks, ke;
                                i = skip_ws(b, n, i);
                                if (i >= n || b[i] != '"')
                                        return false;
                                ks = i;
                                ke = skip_string(b, n, i);
                                i = skip_ws(b, n, ke);
                                if (i >= n || b[i] != ':')
                                        return false;
                                i = skip_ws(b, n, i + 1);
                                if (key_is(b, ks, ke, path[k].key)) {
                                        ko = ks;
                                        break;
                                }
                                i = skip_ws(b, n, skip_value(b, n, i));
                                if (i >= n || b[i] != ',')
                                        return false;
                                i++;
                        }
                } else {
                        if (i >= n || b[i] != '[')
                                return false;
                        i++;
                        for (size_t j = 0; j < path[k].index; j++) {
                                i = skip_ws(b, n, skip_value(b, n, skip_ws(b, n, i)));
                                if (i >= n || b[i] != ',')
                                        return false;
                                i++;
                        }
                        i = skip_ws(b, n, i);
                        ko = i;
                }
        }
        *key_off = ko;
        *val_off = i;
        return true;
}

/* ---- loader state, errors and warnings -------------------------------- */

struct ctx {
        const char *name;
        const char *buf;
        size_t len;
        bool strict;
        struct mb_config *c;
        struct mb_config_warnings *warns;
        struct mb_error *err;
        size_t dropped; /* warnings over MAX_WARNINGS */
        int drop_line;  /* where the first dropped one was */
        int drop_col;
};

static void pos_of(const struct ctx *x, const struct step *path, size_t np, bool at_key, int *line,
                   int *col)
{
        size_t ko, vo;

        if (!find_path(x->buf, x->len, path, np, &ko, &vo)) {
                *line = *col = 1;
                return;
        }
        linecol(x->buf, x->len, at_key ? ko : vo, line, col);
}

/* A key or string for a message: at most 64 bytes, control bytes as '?'. */
static const char *shown(const char *s, char *out, size_t cap)
{
        size_t n = 0, max = cap - 4 < 64 ? cap - 4 : 64;

        for (; *s && n < max; s++)
                out[n++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
        if (*s) {
                memcpy(out + n, "...", 3);
                n += 3;
        }
        out[n] = '\0';
        return out;
}

static int fail_at(struct ctx *x, const struct step *path, size_t np, bool at_key, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6)));
static int fail_at(struct ctx *x, const struct step *path, size_t np, bool at_key, const char *fmt,
                   ...)
{
        va_list ap;
        int line, col;

        pos_of(x, path, np, at_key, &line, &col);
        mb_error_set(x->err, x->name, line, col, "%s", "");
        if (x->err) {
                va_start(ap, fmt);
                vsnprintf(x->err->msg, sizeof(x->err->msg), fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

static int warn_at(struct ctx *x, const struct step *path, size_t np, bool at_key, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6)));
static int warn_at(struct ctx *x, const struct step *path, size_t np, bool at_key, const char *fmt,
                   ...)
{
        struct mb_config_warning *w;
        va_list ap;

        if (!x->warns)
                return 0;
        if (x->warns->n >= MAX_WARNINGS) {
                if (x->dropped++ == 0)
                        pos_of(x, path, np, at_key, &x->drop_line, &x->drop_col);
                return 0;
        }
        w = realloc(x->warns->w, (x->warns->n + 1) * sizeof(*w));
        if (!w)
                return -ENOMEM;
        x->warns->w = w;
        w = &w[x->warns->n++];
        pos_of(x, path, np, at_key, &w->line, &w->col);
        va_start(ap, fmt);
        vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
        va_end(ap);
        return 0;
}

/* ---- nearest valid name ------------------------------------------------ */

/* Optimal string alignment distance (an adjacent swap costs 1). */
static size_t edit_distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        size_t d[65][65];

        if (la > 64 || lb > 64)
                return SIZE_MAX;
        for (size_t i = 0; i <= la; i++)
                d[i][0] = i;
        for (size_t j = 0; j <= lb; j++)
                d[0][j] = j;
        for (size_t i = 1; i <= la; i++)
                for (size_t j = 1; j <= lb; j++) {
                        size_t cost = a[i - 1] != b[j - 1];
                        size_t v = d[i - 1][j] + 1;
                        if (d[i][j - 1] + 1 < v)
                                v = d[i][j - 1] + 1;
                        if (d[i - 1][j - 1] + cost < v)
                                v = d[i - 1][j - 1] + cost;
                        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                            d[i - 2][j - 2] + 1 < v)
                                v = d[i - 2][j - 2] + 1;
                        d[i][j] = v;
                }
        return d[la][lb];
}

/* How far `cand` is from what was typed, or SIZE_MAX when not close. */
static size_t closeness(const char *typed, const char *cand)
{
        size_t lt = strlen(typed), lc = strlen(cand), d, limit;

        if (lt >= 4 && lc > lt && !strncmp(cand, typed, lt))
                return lc - lt; /* ram_max -> ram_max_mb */
        if (lc >= 4 && lt > lc && !strncmp(typed, cand, lc))
                return lt - lc;
        d = edit_distance(typed, cand);
        limit = lt <= 4 ? 1 : lt <= 8 ? 2 : 3;
        return d <= limit ? d : SIZE_MAX;
}

/*
 * The suggestion for an unknown key in `section` (NULL: at the top level),
 * written into out as "NAME" (same section), "SECTION.NAME" (the key
 * belongs elsewhere) or "" (nothing close).
 */
static void suggest(const char *section, const char *typed, char *out, size_t cap)
{
        size_t best = SIZE_MAX;

        out[0] = '\0';
        if (section) {
                for (size_t i = 0; i < mb_config_nkeys; i++) {
                        size_t d;
                        if (strcmp(mb_config_keys[i].section, section))
                                continue;
                        d = closeness(typed, mb_config_keys[i].name);
                        if (d < best) {
                                best = d;
                                mb_strlcpy(out, mb_config_keys[i].name, cap);
                        }
                }
                if (best != SIZE_MAX)
                        return;
                /* The right key in the wrong section? */
                for (size_t i = 0; i < mb_config_nkeys; i++)
                        if (!strcmp(mb_config_keys[i].name, typed)) {
                                snprintf(out, cap, "%s.%s", mb_config_keys[i].section,
                                         mb_config_keys[i].name);
                                return;
                        }
                return;
        }
        for (int i = 0; mb_config_sections[i]; i++) {
                size_t d = closeness(typed, mb_config_sections[i]);
                if (d < best) {
                        best = d;
                        mb_strlcpy(out, mb_config_sections[i], cap);
                }
        }
        /* A key written at the top level (the plan's first snippet does). */
        for (size_t i = 0; i < mb_config_nkeys; i++) {
                size_t d = closeness(typed, mb_config_keys[i].name);
                if (d < best) {
                        best = d;
                        snprintf(out, cap, "%s.%s", mb_config_keys[i].section,
                                 mb_config_keys[i].name);
                }
        }
}

static int unknown_key(struct ctx *x, const char *section, const char *key)
{
        struct step path[2] = {{section, 0}, {key, 0}};
        size_t np = section ? 2 : 1;
        char sug[128], k1[80];
        char full[200];

        if (!section)
                path[0].key = key;
        snprintf(full, sizeof(full), "%s%s%s", section ? section : "", section ? "." : "",
                 shown(key, k1, sizeof(k1)));
        suggest(section, key, sug, sizeof(sug));
        if (x->strict) {
                if (sug[0])
                        return fail_at(x, path, np, true, "unknown key %s: did you mean %s?", full,
                                       sug);
                return fail_at(x, path, np, true, "unknown key %s", full);
        }
        if (sug[0])
                return warn_at(x, path, np, true, "unknown key %s: did you mean %s?", full, sug);
        return warn_at(x, path, np, true, "unknown key %s (not used by membudget)", full);
}

/* ---- values ------------------------------------------------------------ */

static const char *jtype(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
                return "an integer";
        case JSON_REAL:
                return "a number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        default:
                return "null";
        }
}

/* "a string ("3500")", "an array", "1.5": what was found, for messages. */
static const char *found(const json_t *v, char *out, size_t cap)
{
        char s[80];

        switch (json_typeof(v)) {
        case JSON_STRING:
                snprintf(out, cap, "a string (\"%s\")", shown(json_string_value(v), s, sizeof(s)));
                break;
        case JSON_INTEGER:
                snprintf(out, cap, "%lld", (long long)json_integer_value(v));
                break;
        case JSON_REAL:
                snprintf(out, cap, "%.15g", json_real_value(v));
                break;
        case JSON_TRUE:
                snprintf(out, cap, "true");
                break;
        case JSON_FALSE:
                snprintf(out, cap, "false");
                break;
        default:
                snprintf(out, cap, "%s", jtype(v));
                break;
        }
        return out;
}

static int range_error(struct ctx *x, const struct step *path, const struct mb_config_key *k,
                       const json_t *v)
{
        char got[128];

        found(v, got, sizeof(got));
        if ((k->flags & MB_CK_MB) && json_number_value(v) < 0)
                return fail_at(x, path, 2, false,
                               "%s.%s must not be negative (a size in MiB), not %s", k->section,
                               k->name, got);
        if (k->flags & MB_CK_MIN_EXCL)
                return fail_at(x, path, 2, false,
                               "%s.%s must be greater than %.15g and at most %.15g, not %s",
                               k->section, k->name, k->min, k->max, got);
        return fail_at(x, path, 2, false, "%s.%s must be between %.15g and %.15g, not %s",
                       k->section, k->name, k->min, k->max, got);
}

static bool valid_unit(const char *s)
{
        if (strlen(s) > 255)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || strchr(":-_.\\@", *s)))
                        return false;
        return true;
}

/* "ADDR:PORT" or "[IPV6]:PORT"; the port 1-65535. */
static bool valid_listen(const char *s)
{
        const char *colon, *p;
        long port = 0;

        if (s[0] == '[') {
                const char *close = strchr(s, ']');
                if (!close || close == s + 1 || close[1] != ':')
                        return false;
                for (p = s + 1; p < close; p++)
                        if (hexval(*p) < 0 && *p != ':' && *p != '.')
                                return false;
                colon = close + 1;
        } else {
                colon = strrchr(s, ':');
                if (!colon || colon == s)
                        return false;
                for (p = s; p < colon; p++)
                        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                              (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_'))
                                return false;
        }
        p = colon + 1;
        if (!*p || strlen(p) > 5)
                return false;
        for (; *p; p++) {
                if (*p < '0' || *p > '9')
                        return false;
                port = port * 10 + (*p - '0');
        }
        return port >= 1 && port <= 65535;
}

static int set_string(struct ctx *x, const struct step *path, const struct mb_config_key *k,
                      const char *s)
{
        char *field = (char *)x->c + k->off;
        char shown_s[80];

        if (strlen(s) >= k->size)
                return fail_at(x, path, 2, false, "%s.%s is too long (at most %zu bytes)",
                               k->section, k->name, k->size - 1);
        if ((k->flags & MB_CK_REGEX) && *s) {
                regex_t re;
                int r = regcomp(&re, s, REG_EXTENDED | REG_NOSUB);
                if (r) {
                        char msg[128];
                        regerror(r, &re, msg, sizeof(msg));
                        return fail_at(x, path, 2, false, "%s.%s: invalid regex '%s': %s",
                                       k->section, k->name, shown(s, shown_s, sizeof(shown_s)),
                                       msg);
                }
                regfree(&re);
        }
        if ((k->flags & MB_CK_UNIT) && !valid_unit(s))
                return fail_at(x, path, 2, false, "%s.%s: '%s' is not a systemd unit name",
                               k->section, k->name, shown(s, shown_s, sizeof(shown_s)));
        if ((k->flags & MB_CK_LISTEN) && !valid_listen(s))
                return fail_at(x, path, 2, false,
                               "%s.%s: '%s' is not ADDR:PORT (e.g. 127.0.0.1:9587 or [::1]:9587)",
                               k->section, k->name, shown(s, shown_s, sizeof(shown_s)));
        mb_strlcpy(field, s, k->size);
        return 0;
}

static int set_strv(struct ctx *x, const struct step *path, const struct mb_config_key *k,
                    const json_t *v)
{
        char **field = (char **)(void *)((char *)x->c + k->off);
        size_t n = json_array_size(v);

        if (n > (size_t)k->max)
                return fail_at(x, path, 2, false, "%s.%s has %zu elements (at most %d)", k->section,
                               k->name, n, (int)k->max);
        for (size_t i = 0; i < n; i++) {
                const json_t *e = json_array_get(v, i);
                struct step p3[3] = {path[0], path[1], {NULL, i}};
                if (!json_is_string(e))
                        return fail_at(x, p3, 3, false, "%s.%s[%zu] must be a string, not %s",
                                       k->section, k->name, i, jtype(e));
                if (i == 0 && !*json_string_value(e))
                        return fail_at(x, p3, 3, false,
                                       "%s.%s[0] is the program to run and cannot be empty",
                                       k->section, k->name);
        }
        for (size_t i = 0; i < n; i++) {
                field[i] = strdup(json_string_value(json_array_get(v, i)));
                if (!field[i]) {
                        mb_error_set(x->err, x->name, 0, 0, "out of memory");
                        return -ENOMEM;
                }
        }
        field[n] = NULL;
        return 0;
}

static int set_value(struct ctx *x, const struct mb_config_key *k, const json_t *v)
{
        struct step path[2] = {{k->section, 0}, {k->name, 0}};
        void *field = (char *)x->c + k->off;
        char got[128];
        double d;

        if (json_is_null(v) && (k->flags & MB_CK_NULL_OFF)) {
                if (k->type == MB_CT_I64)
                        *(int64_t *)field = -1;
                else
                        *(double *)field = -1;
                return 0;
        }
        switch (k->type) {
        case MB_CT_INT:
        case MB_CT_I64:
                if (json_is_integer(v)) {
                        json_int_t i = json_integer_value(v);
                        if ((double)i < k->min || (double)i > k->max)
                                return range_error(x, path, k, v);
                        if (k->type == MB_CT_INT)
                                *(int *)field = (int)i;
                        else
                                *(int64_t *)field = (int64_t)i;
                        return 0;
                }
                d = json_is_real(v) ? json_real_value(v) : 0.5;
                if (d == floor(d)) {
                        if (d < k->min || d > k->max)
                                return range_error(x, path, k, v);
                        if (k->type == MB_CT_INT)
                                *(int *)field = (int)d;
                        else
                                *(int64_t *)field = (int64_t)d;
                        return 0;
                }
                return fail_at(x, path, 2, false, "%s.%s must be an integer%s, not %s", k->section,
                               k->name, k->flags & MB_CK_MB ? " (MiB)" : "",
                               found(v, got, sizeof(got)));
        case MB_CT_NUM:
                if (!json_is_number(v))
                        return fail_at(x, path, 2, false, "%s.%s must be a number%s, not %s",
                                       k->section, k->name,
                                       k->flags & MB_CK_NULL_OFF ? " or null" : "",
                                       found(v, got, sizeof(got)));
                d = json_number_value(v);
                if (d < k->min || d > k->max || ((k->flags & MB_CK_MIN_EXCL) && d <= k->min))
                        return range_error(x, path, k, v);
                *(double *)field = d;
                return 0;
        case MB_CT_BOOL:
        case MB_CT_TRIBOOL:
                if (!json_is_boolean(v))
                        return fail_at(x, path, 2, false, "%s.%s must be true or false, not %s",
                                       k->section, k->name, found(v, got, sizeof(got)));
                if (k->type == MB_CT_BOOL)
                        *(bool *)field = json_is_true(v);
                else
                        *(int *)field = json_is_true(v);
                return 0;
        case MB_CT_STR:
                if (!json_is_string(v))
                        return fail_at(x, path, 2, false, "%s.%s must be a string, not %s",
                                       k->section, k->name, found(v, got, sizeof(got)));
                return set_string(x, path, k, json_string_value(v));
        case MB_CT_STRV:
                if (!json_is_array(v))
                        return fail_at(x, path, 2, false,
                                       "%s.%s must be an array of strings (program and "
                                       "arguments), not %s",
                                       k->section, k->name, found(v, got, sizeof(got)));
                return set_strv(x, path, k, v);
        }
        return -EINVAL;
}

/* ---- syntax errors ------------------------------------------------------ */

/*
 * jansson reports the position of the last character of the offending
 * token and quotes the token ("near 'tru'") when it is short; from that we
 * find where the token starts, and for the usual mistakes (comments,
 * trailing commas, single quotes, missing commas, Python literals) say
 * what is wrong in plain words.
 */
static int syntax_error(struct ctx *x, const json_error_t *je)
{
        const char *b = x->buf, *near = strstr(je->text, " near '");
        size_t endpos = je->position > 0 ? (size_t)je->position : 0, start, nlen = 0;
        char msg[256], tok[64] = "";
        bool have_start = false;
        int line, col;

        if (endpos > x->len)
                endpos = x->len;
        snprintf(msg, sizeof(msg), "%s", je->text);
        if (near) {
                const char *t = near + 7, *q = strrchr(t, '\'');
                if (q && q[1] == '\0' && q > t) {
                        nlen = (size_t)(q - t);
                        snprintf(tok, sizeof(tok), "%.*s", (int)(nlen < 60 ? nlen : 60), t);
                        if (nlen <= endpos) {
                                start = endpos - nlen;
                                have_start = !memcmp(b + start, t, nlen);
                        }
                }
        } else if (strstr(je->text, "near end of file")) {
                start = endpos;
                have_start = true;
        }
        if (!have_start) {
                mb_error_set(x->err, x->name, je->line > 0 ? je->line : 1,
                             je->column > 0 ? je->column : 1, "%s", msg);
                return -EINVAL;
        }

        if (start < x->len && b[start] == '#') {
                snprintf(msg, sizeof(msg),
                         "'#' comments are not allowed in JSON (remove the comment)");
        } else if (start + 1 < x->len && b[start] == '/' &&
                   (b[start + 1] == '/' || b[start + 1] == '*')) {
                snprintf(msg, sizeof(msg), "'%c%c' comments are not allowed in JSON", b[start],
                         b[start + 1]);
        } else if (start < x->len && (b[start] == '}' || b[start] == ']')) {
                char close = b[start];
                size_t i = start;
                while (i > 0 && is_ws(b[i - 1]))
                        i--;
                if (i > 0 && b[i - 1] == ',') {
                        start = i - 1;
                        snprintf(msg, sizeof(msg),
                                 "trailing comma: JSON does not allow ',' before '%c' (remove it)",
                                 close);
                }
        } else if (start < x->len && b[start] == '\'') {
                snprintf(msg, sizeof(msg),
                         "strings need double quotes in JSON, not single quotes (near '%s')", tok);
        } else if (!strncmp(je->text, "'}' expected", 12) && near) {
                snprintf(msg, sizeof(msg),
                         "missing ',' between members (expected ',' or '}' near '%s')", tok);
        } else if (!strncmp(je->text, "']' expected", 12) && near) {
                snprintf(msg, sizeof(msg),
                         "missing ',' between elements (expected ',' or ']' near '%s')", tok);
        } else if (!strncmp(je->text, "string or '}' expected", 22) && near && start < x->len &&
                   ((b[start] >= 'a' && b[start] <= 'z') || (b[start] >= 'A' && b[start] <= 'Z') ||
                    b[start] == '_')) {
                snprintf(msg, sizeof(msg),
                         "object keys must be strings in double quotes (near '%s')", tok);
        } else if (!strcmp(tok, "True") || !strcmp(tok, "False") || !strcmp(tok, "None") ||
                   !strcmp(tok, "NaN") || !strncmp(tok, "Inf", 3) || !strncmp(tok, "-Inf", 4)) {
                snprintf(msg, sizeof(msg),
                         "invalid token '%s' (JSON literals are true, false and null; no NaN or "
                         "Infinity)",
                         tok);
        } else if (strstr(je->text, "maximum parsing depth")) {
                snprintf(msg, sizeof(msg), "nesting too deep (more than %d levels)",
                         JSON_PARSER_MAX_DEPTH);
        } else if (!strncmp(je->text, "'[' or '{' expected", 19) && near) {
                snprintf(msg, sizeof(msg),
                         "a configuration must be a JSON object, starting with '{' (near '%s')",
                         tok);
        }
        for (char *p = msg; *p; p++)
                if ((unsigned char)*p < 0x20)
                        *p = '?';
        linecol(b, x->len, start, &line, &col);
        mb_error_set(x->err, x->name, line, col, "%s", msg);
        return -EINVAL;
}

/* ---- the loader ---------------------------------------------------------- */

static int load_section(struct ctx *x, const char *section, json_t *obj)
{
        const char *key;
        json_t *v;
        int r;

        json_object_foreach (obj, key, v) {
                const struct mb_config_key *k = find_key(section, key);
                size_t i;
                if (!k) {
                        if ((r = unknown_key(x, section, key)) < 0)
                                return r;
                        continue;
                }
                if ((r = set_value(x, k, v)) < 0)
                        return r;
                i = (size_t)(k - mb_config_keys);
                x->c->keys_set[i / 64] |= UINT64_C(1) << (i % 64);
        }
        return 0;
}

/* Checks across keys, after every value passed its own. */
static int cross_checks(struct ctx *x)
{
        struct mb_config *c = x->c;
        struct step p[2] = {{"memory", 0}, {NULL, 0}};
        int r = 0;

        if (!mb_config_is_set(c, "serve", "interval_s"))
                c->serve_interval_s = c->monitor_interval_s;
        /* A user who does not exist would silently match nothing: the target
         * never found, the guard never acting. */
        for (int i = 0; i < 2; i++) {
                const char *u = i ? c->guard_kill_user : c->target_user;
                uid_t uid;
                if (!u[0] || (i && !strcmp(u, "*")) || mb_user_lookup(u, &uid) == 0)
                        continue;
                p[0].key = i ? "guard" : "target";
                p[1].key = i ? "kill_user" : "user";
                return fail_at(x, p, 2, false, "%s.%s: no user '%s' on this host", p[0].key,
                               p[1].key, u);
        }
        if (c->ram_max_mb + c->vram_max_mb > c->target_total_mb) {
                p[1].key = mb_config_is_set(c, "memory", "target_total_mb") ? "target_total_mb"
                           : mb_config_is_set(c, "memory", "ram_max_mb")    ? "ram_max_mb"
                                                                            : "vram_max_mb";
                r = warn_at(x, p, 2, false,
                            "memory.ram_max_mb + memory.vram_max_mb = %lld MiB is above "
                            "memory.target_total_mb = %lld MiB",
                            (long long)(c->ram_max_mb + c->vram_max_mb),
                            (long long)c->target_total_mb);
                if (r < 0)
                        return r;
        }
        if (c->guard_enabled && c->guard_swap_used_mb < 0 && !c->guard_target_over_ram &&
            c->guard_available_min_mb < 0 && c->guard_psi_full_avg10 < 0) {
                p[0].key = "guard";
                p[1].key = "enabled";
                r = warn_at(x, p, 2, false,
                            "guard.enabled is true but no condition is set (swap_used_mb, "
                            "target_over_ram, available_min_mb or psi_full_avg10): the guard "
                            "never acts");
        }
        return r;
}

static int load_root(struct ctx *x, json_t *root)
{
        const char *key;
        json_t *v;
        int r;

        if (!json_is_object(root)) {
                struct step none = {NULL, 0};
                return fail_at(x, &none, 0, false,
                               "a configuration must be a JSON object {...}, not %s", jtype(root));
        }
        json_object_foreach (root, key, v) {
                int s = section_index(key);
                if (s < 0) {
                        if ((r = unknown_key(x, NULL, key)) < 0)
                                return r;
                        continue;
                }
                if (!json_is_object(v)) {
                        struct step p = {key, 0};
                        char got[128];
                        return fail_at(x, &p, 1, false,
                                       "section %s must be an object {...}, not %s", key,
                                       found(v, got, sizeof(got)));
                }
                x->c->sections_set |= 1u << s;
                if ((r = load_section(x, key, v)) < 0)
                        return r;
        }
        if ((r = cross_checks(x)) < 0)
                return r;
        if (x->dropped && x->warns) {
                struct mb_config_warning *w = realloc(x->warns->w, (x->warns->n + 1) * sizeof(*w));
                if (!w)
                        return -ENOMEM;
                x->warns->w = w;
                w = &w[x->warns->n++];
                w->line = x->drop_line;
                w->col = x->drop_col;
                snprintf(w->msg, sizeof(w->msg), "%zu more warnings from here on not shown",
                         x->dropped);
        }
        return 0;
}

int mb_config_load_buffer(const char *name, const char *buf, size_t len, bool strict,
                          struct mb_config *c, struct mb_config_warnings *warns,
                          struct mb_error *err)
{
        struct ctx x = {.name = name,
                        .buf = buf,
                        .len = len,
                        .strict = strict,
                        .c = c,
                        .warns = warns,
                        .err = err};
        size_t nwarn = warns ? warns->n : 0;
        json_error_t je;
        json_t *root;
        int r;

        mb_config_defaults(c);
        if (len > MB_CONFIG_MAX_BYTES) {
                mb_error_set(err, name, 0, 0,
                             "%zu bytes is more than a configuration can be (at most %u MiB)", len,
                             MB_CONFIG_MAX_BYTES >> 20);
                return -EINVAL;
        }
        if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) {
                mb_error_set(err, name, 1, 1,
                             "byte-order mark (BOM) at the start: save the file as UTF-8 "
                             "without BOM");
                return -EINVAL;
        }
        if (skip_ws(buf, len, 0) == len) {
                mb_error_set(err, name, 1, 1, "empty file (expected a JSON object {...})");
                return -EINVAL;
        }
        root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
        if (!root)
                return syntax_error(&x, &je);
        r = load_root(&x, root);
        json_decref(root);
        if (r < 0) {
                if (r == -ENOMEM)
                        mb_error_set(err, name, 0, 0, "out of memory");
                mb_config_release(c);
                mb_config_defaults(c);
                if (warns) { /* an error is reported alone */
                        warns->n = nwarn;
                        if (nwarn == 0) {
                                free(warns->w);
                                warns->w = NULL;
                        }
                }
                return r == -ENOMEM ? r : -EINVAL;
        }
        mb_strlcpy(c->path, name, sizeof(c->path));
        c->from_file = true;
        return 0;
}

int mb_config_load(const char *path, bool strict, struct mb_config *c,
                   struct mb_config_warnings *warns, struct mb_error *err)
{
        struct mb_buf b = MB_BUF_INIT;
        struct stat st;
        char why[256];
        int fd, r;

        mb_config_defaults(c);
        /* never blocks on a FIFO; as root, a file another user could have
         * written is refused: its hooks would run as root */
        fd = mb_open_trusted(path, O_RDONLY, MB_TRUST_ROOT, why, sizeof(why));
        if (fd < 0) {
                if (fd == -EISDIR)
                        mb_error_set(err, path, 0, 0, "is a directory, not a configuration file");
                else if (fd == -EPERM)
                        mb_error_set(err, path, 0, 0,
                                     "%s: refusing to load it as root (chown root, chmod 644)",
                                     why);
                else if (fd == -EINVAL)
                        mb_error_set(err, path, 0, 0, "not a regular file: not a configuration");
                else
                        mb_error_set(err, path, 0, 0, "cannot read: %s", mb_strerror(fd));
                return fd;
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                close(fd);
                mb_error_set(err, path, 0, 0, "cannot read: %s", mb_strerror(r));
                return r;
        }
        if (st.st_size > (off_t)MB_CONFIG_MAX_BYTES) {
                close(fd);
                mb_error_set(err, path, 0, 0,
                             "%lld bytes is more than a configuration can be (at most %u MiB)",
                             (long long)st.st_size, MB_CONFIG_MAX_BYTES >> 20);
                return -EINVAL;
        }
        b.max = MB_CONFIG_MAX_BYTES + 1;
        for (;;) { /* read(), not the size: pipes and /proc files say 0 */
                size_t room = MB_CONFIG_MAX_BYTES + 1 - b.len;
                ssize_t n;
                if (b.len > MB_CONFIG_MAX_BYTES) {
                        close(fd);
                        mb_buf_release(&b);
                        mb_error_set(err, path, 0, 0, "more than %u MiB: not a configuration file",
                                     MB_CONFIG_MAX_BYTES >> 20);
                        return -EINVAL;
                }
                if (room > 65536)
                        room = 65536;
                if ((r = mb_buf_reserve(&b, room)) < 0)
                        goto fail;
                n = read(fd, b.data + b.len, room);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        goto fail;
                }
                if (n == 0)
                        break;
                b.len += (size_t)n;
                b.data[b.len] = '\0';
        }
        close(fd);
        r = mb_config_load_buffer(path, b.data ? b.data : "", b.len, strict, c, warns, err);
        mb_buf_release(&b);
        return r;
fail:
        close(fd);
        mb_buf_release(&b);
        mb_error_set(err, path, 0, 0, "cannot read: %s", mb_strerror(r));
        return r;
}

int mb_config_default_max(const struct mb_config *c, int64_t *ret, char *msg, size_t len)
{
        if (c->ram_max_mb <= 0) {
                snprintf(msg, len,
                         "memory.ram_max_mb is %lld in %s: a limit of 0 kills everything; "
                         "give --max",
                         (long long)c->ram_max_mb, c->from_file ? c->path : "the defaults");
                return -EINVAL;
        }
        *ret = c->ram_max_mb * 1024 * 1024;
        return 0;
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

/* The plan's proposed file (SPEC.md §5) with membudget's optional sections
 * at their defaults.  tests/unit/test-config.c checks it loads with no
 * warning and that its values are the defaults. */
const char mb_config_proposed[] = "{\n"
                                  "  \"memory\": {\n"
                                  "    \"target_total_mb\": 7500,\n"
                                  "    \"ram_max_mb\": 3500,\n"
                                  "    \"vram_max_mb\": 4000,\n"
                                  "    \"worker_processes\": 2,\n"
                                  "    \"batch_size\": 8,\n"
                                  "    \"cache_size_mb\": 256,\n"
                                  "    \"swap_threshold\": 100,\n"
                                  "    \"swap_max_mb\": 500,\n"
                                  "    \"available_min_mb\": 2048\n"
                                  "  },\n"
                                  "  \"gpu\": {\n"
                                  "    \"gpu_batch_size\": 4,\n"
                                  "    \"memory_fraction\": 0.8,\n"
                                  "    \"tf_force_gpu_allow_growth\": true\n"
                                  "  },\n"
                                  "  \"system\": {\n"
                                  "    \"vm_swappiness\": 10,\n"
                                  "    \"drop_caches\": false\n"
                                  "  },\n"
                                  "  \"target\": {\n"
                                  "    \"match\": \"\",\n"
                                  "    \"unit\": \"\",\n"
                                  "    \"user\": \"\"\n"
                                  "  },\n"
                                  "  \"thresholds\": {\n"
                                  "    \"swapin_pages_per_s\": 100,\n"
                                  "    \"psi_full_avg10\": 5.0,\n"
                                  "    \"psi_some_avg10\": 10.0\n"
                                  "  },\n"
                                  "  \"actions\": {\n"
                                  "    \"swap_cycle_factor\": 1.2,\n"
                                  "    \"swap_cycle_margin_mb\": 512\n"
                                  "  },\n"
                                  "  \"monitor\": {\n"
                                  "    \"interval_s\": 10,\n"
                                  "    \"history\": \"\",\n"
                                  "    \"retention_days\": 30,\n"
                                  "    \"record\": false,\n"
                                  "    \"top_n\": 10\n"
                                  "  },\n"
                                  "  \"serve\": {\n"
                                  "    \"listen\": \"127.0.0.1:9587\",\n"
                                  "    \"top_n\": 10,\n"
                                  "    \"interval_s\": 10\n"
                                  "  },\n"
                                  "  \"guard\": {\n"
                                  "    \"enabled\": false,\n"
                                  "    \"dry_run\": true,\n"
                                  "    \"for_s\": 30,\n"
                                  "    \"swap_used_mb\": null,\n"
                                  "    \"target_over_ram\": false,\n"
                                  "    \"available_min_mb\": null,\n"
                                  "    \"psi_full_avg10\": null,\n"
                                  "    \"log\": true,\n"
                                  "    \"hook\": [],\n"
                                  "    \"kill_match\": \"\",\n"
                                  "    \"kill_user\": \"\",\n"
                                  "    \"grace_s\": 10,\n"
                                  "    \"rate_limit_s\": 300\n"
                                  "  }\n"
                                  "}\n";

/* ---- JSON rendering ------------------------------------------------------ */

struct json_t *mb_config_json(const struct mb_config *c)
{
        json_t *root = json_object();

        if (!root)
                return NULL;
        for (size_t i = 0; i < mb_config_nkeys; i++) {
                const struct mb_config_key *k = &mb_config_keys[i];
                const void *field = (const char *)c + k->off;
                json_t *sec = json_object_get(root, k->section), *v = NULL;
                char name[64];
                size_t nl = strlen(k->name);

                if (!sec) {
                        sec = json_object();
                        if (!sec || json_object_set_new(root, k->section, sec) < 0)
                                goto fail;
                }
                if (k->flags & MB_CK_MB) {
                        if (nl > 3 && !strcmp(k->name + nl - 3, "_mb"))
                                snprintf(name, sizeof(name), "%.*s_bytes", (int)(nl - 3), k->name);
                        else
                                snprintf(name, sizeof(name), "%s_bytes", k->name);
                } else {
                        mb_strlcpy(name, k->name, sizeof(name));
                }
                switch (k->type) {
                case MB_CT_INT:
                        v = json_integer(*(const int *)field);
                        break;
                case MB_CT_I64: {
                        int64_t x = *(const int64_t *)field;
                        if (x < 0)
                                v = json_null();
                        else
                                v = json_integer((json_int_t)(k->flags & MB_CK_MB ? x << 20 : x));
                        break;
                }
                case MB_CT_NUM: {
                        double d = *(const double *)field;
                        v = d < 0 ? json_null() : json_real(d);
                        break;
                }
                case MB_CT_BOOL:
                        v = json_boolean(*(const bool *)field);
                        break;
                case MB_CT_TRIBOOL: {
                        int t = *(const int *)field;
                        v = t < 0 ? json_null() : json_boolean(t);
                        break;
                }
                case MB_CT_STR: {
                        const char *s = field;
                        v = *s ? json_string(s) : json_null();
                        break;
                }
                case MB_CT_STRV: {
                        char *const *argv = field;
                        v = json_array();
                        for (size_t j = 0; v && j < MB_GUARD_HOOK_MAXARGS && argv[j]; j++)
                                json_array_append_new(v, json_string(argv[j]));
                        break;
                }
                }
                if (!v || json_object_set_new(sec, name, v) < 0)
                        goto fail;
        }
        return root;
fail:
        json_decref(root);
        return NULL;
}

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
