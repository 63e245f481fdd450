/* procsel.c: see procsel.h. */
#define _GNU_SOURCE
#include "procsel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../util/users.h"

const struct mb_coldef mb_cols[MB_COL_COUNT] = {
    [MB_COL_PID] = {"pid", "pid", "PID", false, 0},
    [MB_COL_PPID] = {"ppid", "ppid", "PPID", false, 0},
    [MB_COL_USER] = {"user", "user", "USER", false, 0},
    [MB_COL_NAME] = {"name", "name", "NAME", false, 0},
    [MB_COL_CMDLINE] = {"cmdline", "cmdline", "COMMAND", false, MB_SCAN_CMDLINE},
    [MB_COL_RSS] = {"rss", "rss_bytes", "RSS", true, 0},
    [MB_COL_PSS] = {"pss", "pss_bytes", "PSS", true, MB_SCAN_ROLLUP},
    [MB_COL_USS] = {"uss", "uss_bytes", "USS", true, MB_SCAN_ROLLUP},
    [MB_COL_SWAP] = {"swap", "swap_bytes", "SWAP", true, 0},
    [MB_COL_SWAPPSS] = {"swappss", "swappss_bytes", "SWAPPSS", true, MB_SCAN_ROLLUP},
    [MB_COL_VSZ] = {"vsz", "vsz_bytes", "VSZ", true, 0},
    [MB_COL_RSS_ANON] = {"rss_anon", "rss_anon_bytes", "ANON", true, 0},
    [MB_COL_RSS_FILE] = {"rss_file", "rss_file_bytes", "FILE", true, 0},
    [MB_COL_RSS_SHMEM] = {"rss_shmem", "rss_shmem_bytes", "SHMEM", true, 0},
    [MB_COL_GPU] = {"gpu", "gpu_bytes", "GPU", true, MB_SCAN_GPU},
};

int mb_col_lookup(const char *name)
{
        for (int i = 0; i < MB_COL_COUNT; i++)
                if (!strcmp(name, mb_cols[i].name))
                        return i;
        return -1;
}

int mb_cols_parse(const char *list, enum mb_col *cols, const char **bad)
{
        static char badbuf[64];
        const char *p = list;
        int n = 0;

        if (!*list) {
                *bad = "";
                return -EINVAL;
        }
        while (*p) {
                const char *c = strchr(p, ',');
                size_t len = c ? (size_t)(c - p) : strlen(p);
                char name[32];
                int i;

                if (len == 0 || len >= sizeof(name))
                        goto bad;
                memcpy(name, p, len);
                name[len] = '\0';
                i = mb_col_lookup(name);
                if (i < 0 || n >= MB_COL_COUNT)
                        goto bad;
                cols[n++] = (enum mb_col)i;
                p = c ? c + 1 : p + len;
                if (c && !*p) {
                        len = 0; /* a trailing comma: an empty name */
                        goto bad;
                }
                continue;
        bad:
                len = len < sizeof(badbuf) ? len : sizeof(badbuf) - 1;
                memcpy(badbuf, p, len);
                badbuf[len] = '\0';
                *bad = badbuf;
                return -EINVAL;
        }
        return n;
}

int64_t mb_col_value(const struct mb_proc *p, enum mb_col c)
{
        switch (c) {
        case MB_COL_PID:
                return p->pid;
        case MB_COL_PPID:
                return p->ppid;
        case MB_COL_RSS:
                return p->rss;
        case MB_COL_PSS:
                return p->pss;
        case MB_COL_USS:
                return p->uss;
        case MB_COL_SWAP:
                return p->swap;
        case MB_COL_SWAPPSS:
                return p->swappss;
        case MB_COL_VSZ:
                return p->vsz;
        case MB_COL_RSS_ANON:
                return p->rss_anon;
        case MB_COL_RSS_FILE:
                return p->rss_file;
        case MB_COL_RSS_SHMEM:
                return p->rss_shmem;
        case MB_COL_GPU:
                return p->gpu;
        default:
                return MB_UNKNOWN;
        }
}

/* qsort has no context argument in C11; the sort is single-threaded. */
static enum mb_col sort_col;
static const struct mb_proctab *sort_tab;

static int cmp_i64_desc(int64_t a, int64_t b)
{
        /* MB_UNKNOWN is INT64_MIN: it sorts last naturally. */
        return a < b ? 1 : a > b ? -1 : 0;
}

static int cmp_proc(const void *va, const void *vb)
{
        const struct mb_proc *a = va, *b = vb;
        int r = 0;

        switch (sort_col) {
        case MB_COL_PID:
                break;
        case MB_COL_PPID:
                r = (a->ppid > b->ppid) - (a->ppid < b->ppid);
                break;
        case MB_COL_USER:
                r = strcmp(mb_user_name(a->uid), mb_user_name(b->uid));
                break;
        case MB_COL_NAME:
                r = strcmp(a->name, b->name);
                break;
        case MB_COL_CMDLINE:
                r = strcmp(mb_proc_cmdline(sort_tab, a), mb_proc_cmdline(sort_tab, b));
                break;
        case MB_COL_COUNT: /* consumer order: RSS + swap */
                r = cmp_i64_desc(mb_proc_rss_swap(a), mb_proc_rss_swap(b));
                break;
        default:
                r = cmp_i64_desc(mb_col_value(a, sort_col), mb_col_value(b, sort_col));
                break;
        }
        if (r == 0)
                r = (a->pid > b->pid) - (a->pid < b->pid);
        return r;
}

/* A numeric sort key: value (larger first), then pid; idx into the table. */
struct sort_key {
        int64_t v;
        int pid;
        uint32_t idx;
};

static int cmp_key(const void *va, const void *vb)
{
        const struct sort_key *a = va, *b = vb;

        if (a->v != b->v)
                return a->v < b->v ? 1 : -1;
        return (a->pid > b->pid) - (a->pid < b->pid);
}

/*
 * Numeric orders sort 16-byte keys, then move each process once, in place:
 * with 2000 processes of 200-odd bytes that is three times faster than
 * sorting the processes themselves.  False when out of memory (the caller
 * sorts the slow way).
 */
static bool sort_by_key(struct mb_proctab *t, enum mb_col by)
{
        const uint32_t done = UINT32_MAX;
        struct sort_key *k;

        if (t->n >= UINT32_MAX || !(k = malloc(t->n * sizeof(*k))))
                return false;
        for (size_t i = 0; i < t->n; i++) {
                const struct mb_proc *p = &t->p[i];
                int64_t v = by == MB_COL_COUNT  ? mb_proc_rss_swap(p)
                            : by == MB_COL_PID  ? 0
                            : by == MB_COL_PPID ? -(int64_t)p->ppid /* ascending */
                                                : mb_col_value(p, by);
                k[i] = (struct sort_key){v, p->pid, (uint32_t)i};
        }
        qsort(k, t->n, sizeof(*k), cmp_key);
        /* Row i takes the process at k[i].idx: follow each cycle of the
         * permutation with one spare row, in place. */
        for (size_t i = 0; i < t->n; i++) {
                struct mb_proc spare;
                size_t j = i;

                if (k[i].idx == done || k[i].idx == i) {
                        k[i].idx = done;
                        continue;
                }
                spare = t->p[i];
                for (;;) {
                        size_t src = k[j].idx;
                        k[j].idx = done;
                        if (src == i) {
                                t->p[j] = spare;
                                break;
                        }
                        t->p[j] = t->p[src];
                        j = src;
                }
        }
        free(k);
        return true;
}

void mb_procs_sort(struct mb_proctab *t, enum mb_col by)
{
        bool numeric = by != MB_COL_USER && by != MB_COL_NAME && by != MB_COL_CMDLINE;

        if (t->n < 2 || (numeric && sort_by_key(t, by)))
                return;
        sort_col = by;
        sort_tab = t;
        qsort(t->p, t->n, sizeof(*t->p), cmp_proc);
}

void mb_procs_sort_consumers(struct mb_proctab *t)
{
        mb_procs_sort(t, MB_COL_COUNT);
}

const char *mb_proc_cgroup_key(const struct mb_proctab *t, const struct mb_proc *p)
{
        /* Where memory is accounted: the v1 memory controller's path when the
         * host uses one (hybrid/legacy), the unified path otherwise. */
        if (p->cg_mem)
                return mb_proc_str(t, p->cg_mem);
        if (p->cg_v2)
                return mb_proc_str(t, p->cg_v2);
        if (p->cg_sd)
                return mb_proc_str(t, p->cg_sd);
        return "?";
}

void mb_groups_release(struct mb_groups *g)
{
        if (!g)
                return;
        free(g->g);
        g->g = NULL;
        g->n = 0;
}

/* Hash map from key to group index, open addressing, sized 2x the procs. */
static uint64_t hash_str(const char *s)
{
        uint64_t h = 1469598103934665603ull;

        while (*s)
                h = (h ^ (unsigned char)*s++) * 1099511628211ull;
        return h;
}

int mb_procs_group(const struct mb_proctab *t, enum mb_group_by by, struct mb_groups *ret)
{
        size_t hcap = 16, *slots;

        while (hcap < t->n * 2 + 1)
                hcap *= 2;
        slots = malloc(hcap * sizeof(*slots));
        ret->g = calloc(t->n ? t->n : 1, sizeof(*ret->g));
        ret->n = 0;
        if (!slots || !ret->g) {
                free(slots);
                mb_groups_release(ret);
                return -ENOMEM;
        }
        for (size_t i = 0; i < hcap; i++)
                slots[i] = SIZE_MAX;
        for (size_t i = 0; i < t->n; i++) {
                const struct mb_proc *p = &t->p[i];
                const char *key = by == MB_GROUP_CGROUP ? mb_proc_cgroup_key(t, p) : p->name;
                size_t h = (size_t)hash_str(key) & (hcap - 1);
                struct mb_group *g;

                while (slots[h] != SIZE_MAX && strcmp(ret->g[slots[h]].key, key) != 0)
                        h = (h + 1) & (hcap - 1);
                if (slots[h] == SIZE_MAX) {
                        slots[h] = ret->n;
                        g = &ret->g[ret->n++];
                        mb_strlcpy(g->key, key, sizeof(g->key));
                        for (int c = 0; c < MB_COL_COUNT; c++)
                                g->sum[c] = MB_UNKNOWN;
                } else {
                        g = &ret->g[slots[h]];
                }
                g->count++;
                for (int c = 0; c < MB_COL_COUNT; c++) {
                        int64_t v;
                        if (!mb_cols[c].size)
                                continue;
                        v = mb_col_value(p, (enum mb_col)c);
                        if (v == MB_UNKNOWN)
                                continue;
                        g->sum[c] = g->sum[c] == MB_UNKNOWN ? v : g->sum[c] + v;
                }
        }
        free(slots);
        return 0;
}

static enum mb_col gsort_col;

static int cmp_group(const void *va, const void *vb)
{
        const struct mb_group *a = va, *b = vb;
        int r;

        if (mb_cols[gsort_col].size)
                r = cmp_i64_desc(a->sum[gsort_col], b->sum[gsort_col]);
        else
                r = 0;
        if (r == 0) {
                int64_t ca = a->sum[MB_COL_RSS], cb = b->sum[MB_COL_RSS];
                r = cmp_i64_desc(ca, cb);
        }
        return r ? r : strcmp(a->key, b->key);
}

void mb_groups_sort(struct mb_groups *g, enum mb_col by)
{
        gsort_col = by;
        if (g->n > 1)
                qsort(g->g, g->n, sizeof(*g->g), cmp_group);
}

int64_t mb_procs_sum(const struct mb_proctab *t, enum mb_col c, size_t *known)
{
        int64_t s = 0;
        size_t k = 0;

        for (size_t i = 0; i < t->n; i++) {
                int64_t v = mb_col_value(&t->p[i], c);
                if (v == MB_UNKNOWN)
                        continue;
                s += v;
                k++;
        }
        if (known)
                *known = k;
        return s;
}

/* Does the listing show or sort by column c? */
static bool listing_shows(const struct mb_listing *l, enum mb_col c)
{
        if (l->sort == c)
                return true;
        for (int i = 0; i < l->ncols; i++)
                if (l->cols[i] == c)
                        return true;
        return false;
}

unsigned mb_listing_scan(const struct mb_listing *l)
{
        unsigned scan = mb_cols[l->sort].scan;

        for (int c = 0; c < l->ncols; c++)
                scan |= mb_cols[l->cols[c]].scan;
        if (l->json && !l->cols_given)
                scan |= MB_SCAN_CMDLINE | MB_SCAN_ROLLUP | MB_SCAN_GPU;
        if (l->group == MB_GROUP_CGROUP)
                scan |= MB_SCAN_CGROUP;
        if (!l->json && !l->by_user && !listing_shows(l, MB_COL_PPID) &&
            !listing_shows(l, MB_COL_USER))
                scan |= MB_SCAN_NO_IDS;
        if ((scan & MB_SCAN_CMDLINE) && !l->has_match && l->group == MB_GROUP_NONE)
                scan = (scan & ~MB_SCAN_CMDLINE) | MB_SCAN_CMDLINE_LATER;
        return scan;
}
