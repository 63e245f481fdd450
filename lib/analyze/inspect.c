/* inspect.c: see inspect.h.  Pure: no file system access. */
#define _GNU_SOURCE
#include "inspect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const struct mb_map_kind_info mb_map_kinds[MB_MK_COUNT] = {
    [MB_MK_HEAP] = {"heap", "heap"},          [MB_MK_ANON] = {"anon", "anonymous mmap"},
    [MB_MK_STACK] = {"stack", "stack"},       [MB_MK_EXE] = {"exe", "executable"},
    [MB_MK_LIB] = {"lib", "libraries"},       [MB_MK_FILE] = {"file", "other files"},
    [MB_MK_SHM] = {"shm", "shared memory"},   [MB_MK_GPU] = {"gpu", "GPU driver"},
    [MB_MK_TMPFS] = {"tmpfs", "tmpfs files"}, [MB_MK_OTHER] = {"other", "other"},
};

int mb_map_kind_lookup(const char *id)
{
        for (int k = 0; k < MB_MK_COUNT; k++)
                if (!strcmp(mb_map_kinds[k].id, id))
                        return k;
        return -1;
}

static bool starts(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *base_name(const char *p)
{
        const char *slash = strrchr(p, '/');
        return slash && slash[1] ? slash + 1 : p;
}

/* libfoo.so, libfoo.so.1.2, _C.cpython-311-x86_64-linux-gnu.so */
static bool is_library(const char *path)
{
        const char *b = base_name(path), *so = b;

        while ((so = strstr(so, ".so")) != NULL) {
                if (so[3] == '\0' || so[3] == '.')
                        return true;
                so += 3;
        }
        return false;
}

enum mb_map_kind mb_map_classify(const struct mb_smaps *s, const struct mb_mapping *m)
{
        const char *p = mb_mapping_path(s, m);
        bool shared = m->perms[3] == 's';

        if (!*p)
                return shared ? MB_MK_SHM : MB_MK_ANON;
        if (p[0] == '[') {
                if (!strcmp(p, "[heap]"))
                        return MB_MK_HEAP;
                if (starts(p, "[stack"))
                        return MB_MK_STACK;
                if (starts(p, "[anon_shmem:"))
                        return MB_MK_SHM;
                if (starts(p, "[anon:"))
                        return shared ? MB_MK_SHM : MB_MK_ANON;
                return MB_MK_OTHER;
        }
        if (p[0] != '/')
                return MB_MK_OTHER; /* anon_inode:..., socket:... */
        if (starts(p, "/dev/nvidia") || starts(p, "/dev/dri/") || !strcmp(p, "/dev/kfd"))
                return MB_MK_GPU;
        if (starts(p, "/dev/shm/") || starts(p, "/SYSV") || starts(p, "/memfd:"))
                return MB_MK_SHM;
        if (!strcmp(p, "/dev/zero"))
                return shared ? MB_MK_SHM : MB_MK_ANON;
        if (m->flags & MB_MAP_EXE)
                return MB_MK_EXE;
        if (s->fs_known ? (m->flags & MB_MAP_TMPFS) != 0
                        : (starts(p, "/run/") || starts(p, "/var/run/")))
                return MB_MK_TMPFS;
        if (is_library(p))
                return MB_MK_LIB;
        return MB_MK_FILE;
}

const char *mb_map_label(const struct mb_smaps *s, const struct mb_mapping *m, enum mb_map_kind k,
                         size_t *len)
{
        const char *p = mb_mapping_path(s, m), *l = p;

        switch (k) {
        case MB_MK_HEAP:
                l = "[heap]";
                break;
        case MB_MK_STACK:
                l = "[stack]";
                break;
        case MB_MK_ANON:
                if (!starts(p, "[anon:"))
                        l = "anonymous";
                break;
        case MB_MK_SHM:
                if (!*p || !strcmp(p, "/dev/zero"))
                        l = "shared anonymous";
                break;
        case MB_MK_EXE:
        case MB_MK_LIB:
        case MB_MK_FILE:
                l = base_name(p);
                break;
        case MB_MK_GPU:
        case MB_MK_TMPFS:
        case MB_MK_OTHER:
        case MB_MK_COUNT:
                if (!*p)
                        l = "?";
                break;
        }
        *len = strlen(l);
        return l;
}

static void sum_add(struct mb_memsum *d, const struct mb_mapping *m)
{
        d->size = mb_add_sat(d->size, m->v[MB_SM_SIZE]);
        d->rss = mb_add_sat(d->rss, m->v[MB_SM_RSS]);
        d->pss = mb_add_sat(d->pss, m->v[MB_SM_PSS]);
        d->uss = mb_add_sat(d->uss, mb_mapping_uss(m));
        d->swap = mb_add_sat(d->swap, m->v[MB_SM_SWAP]);
        d->swappss = mb_add_sat(d->swappss, m->v[MB_SM_SWAP_PSS]);
        d->anon_huge = mb_add_sat(d->anon_huge, m->v[MB_SM_ANON_HUGE]);
        d->locked = mb_add_sat(d->locked, m->v[MB_SM_LOCKED]);
        d->dirty =
            mb_add_sat(d->dirty, mb_add_sat(m->v[MB_SM_SHARED_DIRTY], m->v[MB_SM_PRIVATE_DIRTY]));
        d->count++;
}

static void sum_merge(struct mb_memsum *d, const struct mb_memsum *s)
{
        d->size = mb_add_sat(d->size, s->size);
        d->rss = mb_add_sat(d->rss, s->rss);
        d->pss = mb_add_sat(d->pss, s->pss);
        d->uss = mb_add_sat(d->uss, s->uss);
        d->swap = mb_add_sat(d->swap, s->swap);
        d->swappss = mb_add_sat(d->swappss, s->swappss);
        d->anon_huge = mb_add_sat(d->anon_huge, s->anon_huge);
        d->locked = mb_add_sat(d->locked, s->locked);
        d->dirty = mb_add_sat(d->dirty, s->dirty);
        d->count += s->count;
}

static uint32_t label_put(struct mb_buf *b, const char *s, size_t n)
{
        size_t off;

        if (b->len == 0 && mb_buf_append(b, "", 1) < 0)
                return 0;
        off = b->len;
        if (off > UINT32_MAX - n - 1)
                return 0;
        if (mb_buf_append(b, s, n) < 0 || mb_buf_append(b, "", 1) < 0)
                return 0;
        return (uint32_t)off;
}

void mb_inspect_init(struct mb_inspect *in)
{
        memset(in, 0, sizeof(*in));
        in->labels.max = 256u << 20;
}

void mb_inspect_release(struct mb_inspect *in)
{
        if (!in)
                return;
        free(in->groups);
        free(in->top);
        mb_buf_release(&in->labels);
        mb_inspect_init(in);
}

const char *mb_inspect_label(const struct mb_inspect *in, uint32_t label)
{
        if (!label || label >= in->labels.len)
                return "";
        return in->labels.data + label;
}

/* Scratch record for grouping. */
struct keyed {
        enum mb_map_kind kind;
        const char *label;
        size_t len;
        size_t idx;
};

static int cmp_keyed(const void *a, const void *b)
{
        const struct keyed *x = a, *y = b;
        size_t n = x->len < y->len ? x->len : y->len;
        int c;

        if (x->kind != y->kind)
                return x->kind < y->kind ? -1 : 1;
        c = memcmp(x->label, y->label, n);
        if (c)
                return c;
        if (x->len != y->len)
                return x->len < y->len ? -1 : 1;
        return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int cmp_charge(int64_t a, int64_t b)
{
        return a > b ? -1 : a < b;
}

static int cmp_top(const void *a, const void *b, void *ctx)
{
        const struct mb_smaps *s = ctx;
        const struct mb_mapping *x = &s->m[*(const size_t *)a];
        const struct mb_mapping *y = &s->m[*(const size_t *)b];
        int c = cmp_charge(x->v[MB_SM_RSS] + x->v[MB_SM_SWAP], y->v[MB_SM_RSS] + y->v[MB_SM_SWAP]);

        if (c)
                return c;
        return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_group(const void *a, const void *b, void *ctx)
{
        const struct mb_buf *labels = ctx;
        const struct mb_inspect_group *x = a, *y = b;
        int c = cmp_charge(mb_memsum_charge(&x->sum), mb_memsum_charge(&y->sum));

        if (c)
                return c;
        if (x->kind != y->kind)
                return x->kind < y->kind ? -1 : 1;
        return strcmp(labels->data + x->label, labels->data + y->label);
}

int mb_inspect_analyze(const struct mb_smaps *s, size_t top_n, struct mb_inspect *ret)
{
        struct keyed *k = NULL;
        size_t *idx = NULL;
        int r = -ENOMEM;

        free(ret->groups);
        free(ret->top);
        ret->groups = NULL;
        ret->top = NULL;
        ret->ngroups = ret->ntop = 0;
        mb_buf_reset(&ret->labels);
        memset(ret->kinds, 0, sizeof(ret->kinds));
        memset(&ret->total, 0, sizeof(ret->total));
        if (!s->n)
                return 0;

        k = malloc(s->n * sizeof(*k));
        idx = malloc(s->n * sizeof(*idx));
        ret->groups = malloc(s->n * sizeof(*ret->groups));
        if (!k || !idx || !ret->groups)
                goto out;
        for (size_t i = 0; i < s->n; i++) {
                const struct mb_mapping *m = &s->m[i];
                k[i].kind = mb_map_classify(s, m);
                k[i].label = mb_map_label(s, m, k[i].kind, &k[i].len);
                k[i].idx = i;
                sum_add(&ret->kinds[k[i].kind], m);
                sum_add(&ret->total, m);
                idx[i] = i;
        }

        qsort(k, s->n, sizeof(*k), cmp_keyed);
        for (size_t i = 0; i < s->n; i++) {
                struct mb_inspect_group *g;
                if (i == 0 || k[i].kind != k[i - 1].kind || k[i].len != k[i - 1].len ||
                    memcmp(k[i].label, k[i - 1].label, k[i].len)) {
                        g = &ret->groups[ret->ngroups++];
                        memset(g, 0, sizeof(*g));
                        g->kind = k[i].kind;
                        g->label = label_put(&ret->labels, k[i].label, k[i].len);
                        if (!g->label)
                                goto out;
                }
                sum_add(&ret->groups[ret->ngroups - 1].sum, &s->m[k[i].idx]);
        }
        qsort_r(ret->groups, ret->ngroups, sizeof(*ret->groups), cmp_group, &ret->labels);
        qsort_r(idx, s->n, sizeof(*idx), cmp_top, (void *)s);
        ret->ntop = top_n < s->n ? top_n : s->n;
        ret->top = idx;
        idx = NULL;
        r = 0;
out:
        free(k);
        free(idx);
        if (r < 0) {
                free(ret->groups);
                ret->groups = NULL;
                ret->ngroups = 0;
        }
        return r;
}

int mb_inspect_growth(const struct mb_inspect *before, const struct mb_inspect *after,
                      double seconds, struct mb_kind_growth *ret)
{
        if (!(seconds > 0))
                return -EINVAL;
        memset(ret, 0, sizeof(*ret));
        ret->seconds = seconds;
        for (int k = 0; k < MB_MK_COUNT; k++) {
                ret->delta[k] =
                    mb_memsum_charge(&after->kinds[k]) - mb_memsum_charge(&before->kinds[k]);
                ret->rate_per_min[k] = (double)ret->delta[k] * 60.0 / seconds;
        }
        ret->total_delta = mb_memsum_charge(&after->total) - mb_memsum_charge(&before->total);
        return 0;
}

int mb_inspect_dominant_growth(const struct mb_inspect *before, const struct mb_inspect *after,
                               double seconds, int64_t min_bytes, struct mb_inspect_finding *ret)
{
        struct mb_kind_growth g;
        int64_t pos = 0;
        int best = -1;

        if (mb_inspect_growth(before, after, seconds, &g) < 0)
                return -EINVAL;
        for (int k = 0; k < MB_MK_COUNT; k++) {
                if (g.delta[k] <= 0)
                        continue;
                pos = mb_add_sat(pos, g.delta[k]);
                if (best < 0 || g.delta[k] > g.delta[best])
                        best = k;
        }
        if (best < 0 || g.delta[best] < min_bytes || (double)g.delta[best] * 2 < (double)pos)
                return 0;
        ret->kind = (enum mb_map_kind)best;
        ret->delta_bytes = g.delta[best];
        ret->rate_bytes_per_min = g.rate_per_min[best];
        ret->share = (double)g.delta[best] / (double)pos;
        ret->total_growth_bytes = pos;
        return 1;
}

void mb_inspect_summary_init(struct mb_inspect_summary *sum)
{
        memset(sum, 0, sizeof(*sum));
        sum->labels.max = 256u << 20;
}

void mb_inspect_summary_release(struct mb_inspect_summary *sum)
{
        if (!sum)
                return;
        free(sum->rows);
        mb_buf_release(&sum->labels);
        mb_inspect_summary_init(sum);
}

struct gref {
        const struct mb_inspect *in;
        const struct mb_inspect_group *g;
};

static int cmp_gref(const void *a, const void *b)
{
        const struct gref *x = a, *y = b;

        if (x->g->kind != y->g->kind)
                return x->g->kind < y->g->kind ? -1 : 1;
        return strcmp(mb_inspect_label(x->in, x->g->label), mb_inspect_label(y->in, y->g->label));
}

static int cmp_shared(const void *a, const void *b)
{
        const struct mb_inspect_shared_row *x = a, *y = b;
        int c = cmp_charge(x->pss - x->uss, y->pss - y->uss);

        if (c)
                return c;
        c = cmp_charge(x->rss, y->rss);
        if (c)
                return c;
        if (x->kind != y->kind)
                return x->kind < y->kind ? -1 : 1;
        return x->label < y->label ? -1 : x->label > y->label;
}

int mb_inspect_summarize(const struct mb_inspect *const *ins, size_t n,
                         struct mb_inspect_summary *ret)
{
        struct gref *refs = NULL;
        size_t nrefs = 0, total = 0;
        int r = -ENOMEM;

        free(ret->rows);
        ret->rows = NULL;
        ret->nrows = 0;
        mb_buf_reset(&ret->labels);
        ret->rss = ret->pss = ret->uss = ret->swap = 0;
        memset(ret->kinds, 0, sizeof(ret->kinds));
        ret->nprocs = (unsigned)n;

        for (size_t i = 0; i < n; i++) {
                total += ins[i]->ngroups;
                ret->rss = mb_add_sat(ret->rss, ins[i]->total.rss);
                ret->pss = mb_add_sat(ret->pss, ins[i]->total.pss);
                ret->uss = mb_add_sat(ret->uss, ins[i]->total.uss);
                ret->swap = mb_add_sat(ret->swap, ins[i]->total.swap);
                for (int k = 0; k < MB_MK_COUNT; k++)
                        sum_merge(&ret->kinds[k], &ins[i]->kinds[k]);
        }
        if (!total)
                return 0;
        refs = malloc(total * sizeof(*refs));
        ret->rows = malloc(total * sizeof(*ret->rows));
        if (!refs || !ret->rows)
                goto out;
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < ins[i]->ngroups; j++)
                        refs[nrefs++] = (struct gref){ins[i], &ins[i]->groups[j]};
        qsort(refs, nrefs, sizeof(*refs), cmp_gref);
        for (size_t i = 0; i < nrefs; i++) {
                struct mb_inspect_shared_row *row;
                const struct mb_memsum *gs = &refs[i].g->sum;
                if (i == 0 || cmp_gref(&refs[i], &refs[i - 1])) {
                        const char *l = mb_inspect_label(refs[i].in, refs[i].g->label);
                        row = &ret->rows[ret->nrows++];
                        memset(row, 0, sizeof(*row));
                        row->kind = refs[i].g->kind;
                        row->label = label_put(&ret->labels, l, strlen(l));
                        if (!row->label)
                                goto out;
                }
                row = &ret->rows[ret->nrows - 1];
                row->procs++;
                row->rss = mb_add_sat(row->rss, gs->rss);
                row->pss = mb_add_sat(row->pss, gs->pss);
                row->uss = mb_add_sat(row->uss, gs->uss);
                row->swap = mb_add_sat(row->swap, gs->swap);
        }
        qsort(ret->rows, ret->nrows, sizeof(*ret->rows), cmp_shared);
        r = 0;
out:
        free(refs);
        if (r < 0) {
                free(ret->rows);
                ret->rows = NULL;
                ret->nrows = 0;
        }
        return r;
}
