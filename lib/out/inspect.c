/* inspect.c: see inspect.h. */
#include "inspect.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "../util/size.h"
#include "../util/users.h"
#include "json.h"
#include "table.h"

static const char *fmt(int64_t v, char *buf)
{
        return mb_size_format(v, buf, MB_SIZE_STRLEN);
}

static json_t *json_sum(const struct mb_memsum *m, uint32_t seen, bool all)
{
        json_t *j = json_object();

        json_object_set_new(j, "rss_bytes", json_integer(m->rss));
        json_object_set_new(j, "pss_bytes", json_integer(m->pss));
        json_object_set_new(j, "uss_bytes", json_integer(m->uss));
        json_object_set_new(j, "swap_bytes", json_integer(m->swap));
        if (all) {
                json_object_set_new(j, "swap_pss_bytes",
                                    (seen & (1u << MB_SM_SWAP_PSS)) ? json_integer(m->swappss)
                                                                    : json_null());
                json_object_set_new(j, "anon_huge_bytes", json_integer(m->anon_huge));
                json_object_set_new(j, "locked_bytes",
                                    (seen & (1u << MB_SM_LOCKED)) ? json_integer(m->locked)
                                                                  : json_null());
                json_object_set_new(j, "dirty_bytes", json_integer(m->dirty));
                json_object_set_new(j, "size_bytes", json_integer(m->size));
        }
        json_object_set_new(j, "mappings", json_integer(m->count));
        return j;
}

static json_t *json_kinds(const struct mb_memsum *kinds, uint32_t seen)
{
        json_t *j = json_object();

        for (int k = 0; k < MB_MK_COUNT; k++)
                json_object_set_new(j, mb_map_kinds[k].id, json_sum(&kinds[k], seen, false));
        return j;
}

static json_t *json_mapping(const struct mb_smaps *s, const struct mb_mapping *m)
{
        json_t *j = json_object();
        char buf[64];

        snprintf(buf, sizeof(buf), "%llx", (unsigned long long)m->start);
        json_object_set_new(j, "start", json_string(buf));
        snprintf(buf, sizeof(buf), "%llx", (unsigned long long)m->end);
        json_object_set_new(j, "end", json_string(buf));
        json_object_set_new(j, "perms", json_string(m->perms));
        json_object_set_new(j, "kind", json_string(mb_map_kinds[mb_map_classify(s, m)].id));
        json_object_set_new(j, "path", m->path ? mb_json_str(mb_mapping_path(s, m)) : json_null());
        json_object_set_new(j, "deleted", json_boolean(m->flags & MB_MAP_DELETED));
        snprintf(buf, sizeof(buf), "%02x:%02x", m->dev_major, m->dev_minor);
        json_object_set_new(j, "dev", json_string(buf));
        json_object_set_new(j, "inode", json_integer((json_int_t)m->inode));
        json_object_set_new(j, "offset", json_integer((json_int_t)m->offset));
        json_object_set_new(j, "size_bytes", json_integer(m->v[MB_SM_SIZE]));
        json_object_set_new(j, "rss_bytes", json_integer(m->v[MB_SM_RSS]));
        json_object_set_new(j, "pss_bytes", json_integer(m->v[MB_SM_PSS]));
        json_object_set_new(j, "uss_bytes", json_integer(mb_mapping_uss(m)));
        json_object_set_new(j, "swap_bytes", json_integer(m->v[MB_SM_SWAP]));
        json_object_set_new(j, "anon_huge_bytes", json_integer(m->v[MB_SM_ANON_HUGE]));
        json_object_set_new(j, "locked_bytes", json_integer(m->v[MB_SM_LOCKED]));
        json_object_set_new(j, "dirty_bytes",
                            json_integer(m->v[MB_SM_SHARED_DIRTY] + m->v[MB_SM_PRIVATE_DIRTY]));
        return j;
}

json_t *mb_out_inspect_json(const struct mb_out_inspect *t, size_t top)
{
        const struct mb_smaps *s = t->s;
        const struct mb_inspect *in = t->in;
        json_t *j = json_object(), *arr;
        size_t ng = in->ngroups < top ? in->ngroups : top;

        json_object_set_new(j, "pid", json_integer(s->pid));
        json_object_set_new(j, "name", mb_json_str(s->name));
        json_object_set_new(j, "cmdline", mb_json_str(s->cmdline ? s->cmdline : ""));
        json_object_set_new(j, "user", mb_json_str(mb_user_name(s->uid)));
        json_object_set_new(j, "uid", json_integer(s->uid));
        json_object_set_new(j, "starttime", json_integer((json_int_t)s->starttime));
        json_object_set_new(j, "totals", json_sum(&in->total, s->fields_seen, true));
        json_object_set_new(j, "vram_bytes",
                            t->vram != MB_UNKNOWN ? json_integer(t->vram) : json_null());
        json_object_set_new(j, "kinds", json_kinds(in->kinds, s->fields_seen));
        arr = json_array();
        for (size_t i = 0; i < ng; i++) {
                const struct mb_inspect_group *g = &in->groups[i];
                json_t *go = json_sum(&g->sum, s->fields_seen, false);
                json_object_set_new(go, "kind", json_string(mb_map_kinds[g->kind].id));
                json_object_set_new(go, "name", mb_json_str(mb_inspect_label(in, g->label)));
                json_array_append_new(arr, go);
        }
        json_object_set_new(j, "groups", arr);
        json_object_set_new(j, "groups_total", json_integer((json_int_t)in->ngroups));
        arr = json_array();
        for (size_t i = 0; i < in->ntop && i < top; i++)
                json_array_append_new(arr, json_mapping(s, &s->m[in->top[i]]));
        json_object_set_new(j, "mappings", arr);
        json_object_set_new(j, "mappings_total", json_integer((json_int_t)s->n));
        json_object_set_new(j, "garbled_lines", json_integer(s->n_garbled));
        json_object_set_new(j, "truncated", json_boolean(s->truncated));
        return j;
}

json_t *mb_out_inspect_summary_json(const struct mb_inspect_summary *sum, size_t top)
{
        json_t *j = json_object(), *arr = json_array();
        size_t shown = 0;

        json_object_set_new(j, "processes", json_integer(sum->nprocs));
        json_object_set_new(j, "rss_bytes", json_integer(sum->rss));
        json_object_set_new(j, "pss_bytes", json_integer(sum->pss));
        json_object_set_new(j, "uss_bytes", json_integer(sum->uss));
        json_object_set_new(j, "swap_bytes", json_integer(sum->swap));
        json_object_set_new(j, "shared_bytes", json_integer(sum->pss - sum->uss));
        json_object_set_new(j, "kinds", json_kinds(sum->kinds, ~0u));
        for (size_t i = 0; i < sum->nrows && shown < top; i++) {
                const struct mb_inspect_shared_row *r = &sum->rows[i];
                json_t *o;
                if (r->procs < 2 || r->rss + r->swap == 0)
                        continue;
                o = json_object();
                json_object_set_new(o, "kind", json_string(mb_map_kinds[r->kind].id));
                json_object_set_new(
                    o, "name", mb_json_str(sum->labels.data ? sum->labels.data + r->label : ""));
                json_object_set_new(o, "processes", json_integer(r->procs));
                json_object_set_new(o, "rss_bytes", json_integer(r->rss));
                json_object_set_new(o, "pss_bytes", json_integer(r->pss));
                json_object_set_new(o, "uss_bytes", json_integer(r->uss));
                json_object_set_new(o, "swap_bytes", json_integer(r->swap));
                json_object_set_new(o, "shared_bytes", json_integer(r->pss - r->uss));
                json_array_append_new(arr, o);
                shown++;
        }
        json_object_set_new(j, "shared", arr);
        return j;
}

static void print_header(FILE *f, const struct mb_out_inspect *t)
{
        const struct mb_smaps *s = t->s;
        const struct mb_memsum *m = &t->in->total;
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN], c[MB_SIZE_STRLEN], d[MB_SIZE_STRLEN];

        fprintf(f, "PID %d  %s  ", s->pid, mb_user_name(s->uid));
        if (s->cmdline && *s->cmdline)
                mb_print_clean(f, s->cmdline);
        else
                fprintf(f, "[%s]", s->name);
        fputc('\n', f);
        fprintf(f, "  RSS %s   PSS %s   USS %s   swap %s\n", fmt(m->rss, a), fmt(m->pss, b),
                fmt(m->uss, c), fmt(m->swap, d));
        fprintf(f, "  THP %s   locked %s   dirty %s   virtual %s   mappings %u\n",
                fmt(m->anon_huge, a), fmt(m->locked, b), fmt(m->dirty, c), fmt(m->size, d),
                m->count);
        if (t->vram != MB_UNKNOWN)
                fprintf(f, "  GPU memory (VRAM) %s, not part of RSS (from the GPU driver)\n",
                        fmt(t->vram, a));
        if (s->n_garbled)
                fprintf(f, "  %u unreadable smaps lines skipped\n", s->n_garbled);
        if (s->truncated)
                fprintf(f, "  more than %u mappings: the rest were skipped\n",
                        MB_SMAPS_MAX_MAPPINGS);
}

static void kinds_table(FILE *f, const struct mb_memsum *kinds, const struct mb_memsum *total)
{
        struct mb_table tab;

        mb_table_init(&tab);
        mb_table_col(&tab, "KIND", false, 0);
        mb_table_col(&tab, "RSS", true, 0);
        mb_table_col(&tab, "PSS", true, 0);
        mb_table_col(&tab, "USS", true, 0);
        mb_table_col(&tab, "SWAP", true, 0);
        mb_table_col(&tab, "MAPS", true, 0);
        for (int k = 0; k < MB_MK_COUNT; k++) {
                if (!kinds[k].count)
                        continue;
                mb_table_cell(&tab, mb_map_kinds[k].title);
                mb_table_size(&tab, kinds[k].rss);
                mb_table_size(&tab, kinds[k].pss);
                mb_table_size(&tab, kinds[k].uss);
                mb_table_size(&tab, kinds[k].swap);
                mb_table_cellf(&tab, "%u", kinds[k].count);
        }
        mb_table_cell(&tab, "total");
        mb_table_size(&tab, total->rss);
        mb_table_size(&tab, total->pss);
        mb_table_size(&tab, total->uss);
        mb_table_size(&tab, total->swap);
        mb_table_cellf(&tab, "%u", total->count);
        mb_table_print(&tab, f, true);
        mb_table_release(&tab);
}

void mb_out_inspect_text(FILE *f, const struct mb_out_inspect *t, size_t top)
{
        const struct mb_smaps *s = t->s;
        const struct mb_inspect *in = t->in;
        struct mb_table tab;
        size_t ng = in->ngroups < top ? in->ngroups : top;

        print_header(f, t);
        fputc('\n', f);
        kinds_table(f, in->kinds, &in->total);
        if (ng) {
                fprintf(f, "\nLARGEST GROUPS (%zu of %zu, by RSS+swap)\n", ng, in->ngroups);
                mb_table_init(&tab);
                mb_table_col(&tab, "KIND", false, 0);
                mb_table_col(&tab, "NAME", false, 60);
                mb_table_col(&tab, "RSS", true, 0);
                mb_table_col(&tab, "PSS", true, 0);
                mb_table_col(&tab, "USS", true, 0);
                mb_table_col(&tab, "SWAP", true, 0);
                mb_table_col(&tab, "MAPS", true, 0);
                for (size_t i = 0; i < ng; i++) {
                        const struct mb_inspect_group *g = &in->groups[i];
                        mb_table_cell(&tab, mb_map_kinds[g->kind].id);
                        mb_table_cell(&tab, mb_inspect_label(in, g->label));
                        mb_table_size(&tab, g->sum.rss);
                        mb_table_size(&tab, g->sum.pss);
                        mb_table_size(&tab, g->sum.uss);
                        mb_table_size(&tab, g->sum.swap);
                        mb_table_cellf(&tab, "%u", g->sum.count);
                }
                mb_table_print(&tab, f, true);
                mb_table_release(&tab);
        }
        if (in->ntop && top) {
                size_t nt = in->ntop < top ? in->ntop : top;
                fprintf(f, "\nLARGEST MAPPINGS (%zu of %zu, by RSS+swap)\n", nt, s->n);
                mb_table_init(&tab);
                mb_table_col(&tab, "ADDRESS", false, 0);
                mb_table_col(&tab, "PERMS", false, 0);
                mb_table_col(&tab, "KIND", false, 0);
                mb_table_col(&tab, "RSS", true, 0);
                mb_table_col(&tab, "PSS", true, 0);
                mb_table_col(&tab, "USS", true, 0);
                mb_table_col(&tab, "SWAP", true, 0);
                mb_table_col(&tab, "PATH", false, 80);
                for (size_t i = 0; i < nt; i++) {
                        const struct mb_mapping *m = &s->m[in->top[i]];
                        const char *p = mb_mapping_path(s, m);
                        mb_table_cellf(&tab, "%llx-%llx", (unsigned long long)m->start,
                                       (unsigned long long)m->end);
                        mb_table_cell(&tab, m->perms);
                        mb_table_cell(&tab, mb_map_kinds[mb_map_classify(s, m)].id);
                        mb_table_size(&tab, m->v[MB_SM_RSS]);
                        mb_table_size(&tab, m->v[MB_SM_PSS]);
                        mb_table_size(&tab, mb_mapping_uss(m));
                        mb_table_size(&tab, m->v[MB_SM_SWAP]);
                        mb_table_cellf(&tab, "%s%s", p,
                                       m->flags & MB_MAP_DELETED ? " (deleted)" : "");
                }
                mb_table_print(&tab, f, true);
                mb_table_release(&tab);
        }
}

void mb_out_inspect_summary_text(FILE *f, const struct mb_inspect_summary *sum, size_t top,
                                 const char *re, int64_t vram)
{
        char a[MB_SIZE_STRLEN];
        struct mb_table tab;
        size_t shown = 0;

        fprintf(f, "\nSUMMARY: %u processes matching '", sum->nprocs);
        mb_print_clean(f, re);
        fprintf(f, "'\n");
        fprintf(f, "  RSS summed  %s (shared pages counted once per process)\n", fmt(sum->rss, a));
        fprintf(f, "  PSS summed  %s (each shared page counted once: the real footprint)\n",
                fmt(sum->pss, a));
        fprintf(f, "  USS summed  %s (private: freed if the processes exited)\n", fmt(sum->uss, a));
        fprintf(f, "  shared      %s (PSS - USS)\n", fmt(sum->pss - sum->uss, a));
        fprintf(f, "  swap        %s\n", fmt(sum->swap, a));
        if (vram != MB_UNKNOWN)
                fprintf(f, "  VRAM summed %s (GPU memory, from the GPU driver)\n", fmt(vram, a));
        mb_table_init(&tab);
        mb_table_col(&tab, "KIND", false, 0);
        mb_table_col(&tab, "NAME", false, 60);
        mb_table_col(&tab, "PROCS", true, 0);
        mb_table_col(&tab, "RSS SUM", true, 0);
        mb_table_col(&tab, "PSS SUM", true, 0);
        mb_table_col(&tab, "USS SUM", true, 0);
        mb_table_col(&tab, "SHARED", true, 0);
        for (size_t i = 0; i < sum->nrows && shown < top; i++) {
                const struct mb_inspect_shared_row *r = &sum->rows[i];
                if (r->procs < 2 || r->rss + r->swap == 0)
                        continue;
                mb_table_cell(&tab, mb_map_kinds[r->kind].id);
                mb_table_cell(&tab, sum->labels.data + r->label);
                mb_table_cellf(&tab, "%u", r->procs);
                mb_table_size(&tab, r->rss);
                mb_table_size(&tab, r->pss);
                mb_table_size(&tab, r->uss);
                mb_table_size(&tab, r->pss - r->uss);
                shown++;
        }
        if (shown) {
                fprintf(f, "\nSHARED BETWEEN THE PROCESSES (%zu largest, each counted once)\n",
                        shown);
                mb_table_print(&tab, f, true);
        } else {
                fprintf(f, "\nnothing is mapped by more than one of them\n");
        }
        mb_table_release(&tab);
}

static json_t *json_growth(const struct mb_kind_growth *g)
{
        json_t *j = json_object();

        for (int k = 0; k < MB_MK_COUNT; k++) {
                json_t *o = json_object();
                json_object_set_new(o, "delta_bytes", json_integer(g->delta[k]));
                json_object_set_new(o, "per_min_bytes",
                                    json_integer((json_int_t)llround(g->rate_per_min[k])));
                json_object_set_new(j, mb_map_kinds[k].id, o);
        }
        return j;
}

/* "anon +10.0 MiB, heap -1.0 MiB" (largest change first, at most 3). */
void mb_out_inspect_grew(char *buf, size_t len, const struct mb_kind_growth *g, double min_step)
{
        bool used[MB_MK_COUNT] = {0};
        size_t off = 0;

        buf[0] = '\0';
        for (int n = 0; n < 3; n++) {
                int best = -1;
                char s[MB_SIZE_STRLEN];
                for (int k = 0; k < MB_MK_COUNT; k++)
                        if (!used[k] && llabs(g->delta[k]) >= min_step &&
                            (best < 0 || llabs(g->delta[k]) > llabs(g->delta[best])))
                                best = k;
                if (best < 0)
                        break;
                used[best] = true;
                fmt(llabs(g->delta[best]), s);
                off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s %c%s",
                                        n ? ", " : "", mb_map_kinds[best].id,
                                        g->delta[best] < 0 ? '-' : '+', s);
                if (off >= len)
                        break;
        }
        if (!buf[0])
                snprintf(buf, len, "steady");
}

void mb_out_inspect_growth_text(FILE *f, const struct mb_out_inspect *t)
{
        struct mb_kind_growth g;
        struct mb_inspect_finding fd;
        struct mb_table tab;
        char a[MB_SIZE_STRLEN];
        double dt = t->seconds;

        if (mb_inspect_growth(t->first, t->in, dt, &g) < 0)
                return;
        fprintf(f, "\nPID %d: growth over %.1f s\n", t->s->pid, dt);
        mb_table_init(&tab);
        mb_table_col(&tab, "KIND", false, 0);
        mb_table_col(&tab, "FIRST", true, 0);
        mb_table_col(&tab, "LAST", true, 0);
        mb_table_col(&tab, "CHANGE", true, 0);
        mb_table_col(&tab, "PER MIN", true, 0);
        for (int k = 0; k < MB_MK_COUNT; k++) {
                if (!t->first->kinds[k].count && !t->in->kinds[k].count)
                        continue;
                mb_table_cell(&tab, mb_map_kinds[k].title);
                mb_table_size(&tab, mb_memsum_charge(&t->first->kinds[k]));
                mb_table_size(&tab, mb_memsum_charge(&t->in->kinds[k]));
                fmt(llabs(g.delta[k]), a);
                mb_table_cellf(&tab, "%s%s", g.delta[k] < 0 ? "-" : "+", a);
                fmt(llabs(llround(g.rate_per_min[k])), a);
                mb_table_cellf(&tab, "%s%s", g.rate_per_min[k] < 0 ? "-" : "+", a);
        }
        mb_table_print(&tab, f, true);
        mb_table_release(&tab);
        if (mb_inspect_dominant_growth(t->first, t->in, dt, 1 << 20, &fd) == 1) {
                fprintf(f, "growing: %s +%s", mb_map_kinds[fd.kind].title, fmt(fd.delta_bytes, a));
                fprintf(f, " (+%s per minute, %.0f%% of the growth)\n",
                        fmt(llround(fd.rate_bytes_per_min), a), fd.share * 100);
        } else {
                fprintf(f, "no kind grew by 1 MiB or more\n");
        }
}

/* One process in a --watch --json line; gp is NULL for the first sample. */
json_t *mb_out_inspect_watch_json(const struct mb_out_inspect *x, const struct mb_kind_growth *gp)
{
        struct mb_kind_growth gs;
        struct mb_inspect_finding fd;
        json_t *po = json_object();
        double dt = x->seconds;

        json_object_set_new(po, "pid", json_integer(x->s->pid));
        json_object_set_new(po, "totals", json_sum(&x->in->total, x->s->fields_seen, false));
        json_object_set_new(po, "kinds", json_kinds(x->in->kinds, x->s->fields_seen));
        json_object_set_new(po, "since_previous", gp ? json_growth(gp) : json_null());
        if (dt > 0 && mb_inspect_growth(x->first, x->in, dt, &gs) == 0)
                json_object_set_new(po, "since_start", json_growth(&gs));
        else
                json_object_set_new(po, "since_start", json_null());
        json_object_set_new(po, "seconds_since_start", json_real(dt));
        if (dt > 0 && mb_inspect_dominant_growth(x->first, x->in, dt, 1 << 20, &fd) == 1) {
                json_t *d = json_object();
                json_object_set_new(d, "kind", json_string(mb_map_kinds[fd.kind].id));
                json_object_set_new(d, "delta_bytes", json_integer(fd.delta_bytes));
                json_object_set_new(d, "per_min_bytes",
                                    json_integer((json_int_t)llround(fd.rate_bytes_per_min)));
                json_object_set_new(d, "share", json_real(fd.share));
                json_object_set_new(po, "growing", d);
        } else {
                json_object_set_new(po, "growing", json_null());
        }
        return po;
}

void mb_out_inspect_watch_head(FILE *f, size_t n, double interval_s, bool until_interrupted)
{
        fprintf(f, "sampling %zu process%s every %.3g s%s\n", n, n == 1 ? "" : "es", interval_s,
                until_interrupted ? " (Ctrl-C prints the summary)" : "");
        fprintf(f, "%-9s %8s %10s %12s  %s\n", "ELAPSED", "PID", "RSS+SWAP", "PER MIN",
                "CHANGE SINCE LAST SAMPLE");
}

void mb_out_inspect_watch_line(FILE *f, double elapsed, int pid, int64_t charge,
                               const struct mb_kind_growth *g)
{
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN], rate[MB_SIZE_STRLEN + 2], grew[160];

        if (!g) {
                fprintf(f, "%-9.1f %8d %10s %12s  %s\n", elapsed, pid, fmt(charge, a), "-",
                        "first sample");
                return;
        }
        mb_out_inspect_grew(grew, sizeof(grew), g, 64 * 1024);
        fmt(llabs(llround((double)g->total_delta * 60.0 / g->seconds)), b);
        snprintf(rate, sizeof(rate), "%c%s", g->total_delta < 0 ? '-' : '+', b);
        fprintf(f, "%-9.1f %8d %10s %12s  %s\n", elapsed, pid, fmt(charge, a), rate, grew);
}

void mb_out_inspect_watch_exited(FILE *f, double elapsed, int pid)
{
        fprintf(f, "%-9.1f %8d  exited\n", elapsed, pid);
}

static int64_t vram_sum(const struct mb_out_inspect *p, size_t n)
{
        int64_t sum = MB_UNKNOWN;

        for (size_t i = 0; i < n; i++)
                if (p[i].vram != MB_UNKNOWN)
                        sum = (sum == MB_UNKNOWN ? 0 : sum) + p[i].vram;
        return sum;
}

/* What the n processes share; 0 or -ENOMEM. */
static int summarize(const struct mb_out_inspect *p, size_t n, struct mb_inspect_summary *sum)
{
        const struct mb_inspect **ins = calloc(n ? n : 1, sizeof(*ins));
        int r;

        if (!ins)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                ins[i] = p[i].in;
        r = mb_inspect_summarize(ins, n, sum);
        free(ins);
        return r < 0 ? r : 0;
}

int mb_out_inspect_doc(FILE *f, bool json, const struct mb_out_inspect *p, size_t n, size_t top,
                       const char *re)
{
        struct mb_inspect_summary sum;
        int r = 0;

        mb_inspect_summary_init(&sum);
        if (re)
                r = summarize(p, n, &sum);
        if (json) {
                json_t *j = json_object(), *arr = json_array();
                for (size_t i = 0; i < n; i++)
                        json_array_append_new(arr, mb_out_inspect_json(&p[i], top));
                json_object_set_new(j, "processes", arr);
                if (re && r == 0) {
                        json_t *js = mb_out_inspect_summary_json(&sum, top);
                        int64_t v = vram_sum(p, n);
                        json_object_set_new(js, "vram_bytes",
                                            v != MB_UNKNOWN ? json_integer(v) : json_null());
                        json_object_set_new(j, "summary", js);
                }
                mb_json_print(j, f);
        } else {
                for (size_t i = 0; i < n; i++) {
                        if (i)
                                fputc('\n', f);
                        mb_out_inspect_text(f, &p[i], top);
                }
                if (re && r == 0)
                        mb_out_inspect_summary_text(f, &sum, top ? top : 10, re, vram_sum(p, n));
        }
        mb_inspect_summary_release(&sum);
        return r;
}

const struct mb_out_inspect *mb_out_itarget(const struct mb_itarget *t, struct mb_out_inspect *v)
{
        *v = (struct mb_out_inspect){.s = &t->s,
                                     .in = &t->in,
                                     .first = &t->first,
                                     .seconds = t->t_now - t->t_first,
                                     .vram = t->vram};
        return v;
}

int mb_out_inspect_targets(FILE *f, bool json, const struct mb_itargets *ts, const char *re)
{
        struct mb_out_inspect *views = calloc(ts->n ? ts->n : 1, sizeof(*views));
        int r;

        if (!views)
                return -ENOMEM;
        for (size_t i = 0; i < ts->n; i++)
                mb_out_itarget(&ts->t[i], &views[i]);
        r = mb_out_inspect_doc(f, json, views, ts->n, ts->top, re);
        free(views);
        return r;
}

/* One --watch --json line (JSON Lines: one compact object per sample). */
static void emit_sample(FILE *f, long sample, double start, json_t *procs)
{
        json_t *js = json_object();

        json_object_set_new(js, "sample", json_integer(sample));
        json_object_set_new(js, "time", json_real(mb_now_wall()));
        json_object_set_new(js, "elapsed_s", json_real(mb_now_mono() - start));
        json_object_set_new(js, "processes", procs);
        json_dumpf(js, f, JSON_COMPACT | MB_JSON_DEFAULT);
        fputc('\n', f);
        json_decref(js);
}

void mb_out_inspect_watch_first(FILE *f, bool json, const struct mb_itargets *ts, double interval_s,
                                bool until_interrupted)
{
        struct mb_out_inspect v;
        json_t *arr;

        if (!json) {
                mb_out_inspect_watch_head(f, ts->n, interval_s, until_interrupted);
                for (size_t i = 0; i < ts->n; i++)
                        mb_out_inspect_watch_line(f, 0.0, ts->t[i].pid,
                                                  mb_memsum_charge(&ts->t[i].in.total), NULL);
                return;
        }
        arr = json_array();
        for (size_t i = 0; i < ts->n; i++)
                json_array_append_new(
                    arr, mb_out_inspect_watch_json(mb_out_itarget(&ts->t[i], &v), NULL));
        emit_sample(f, 1, ts->start, arr);
}

void mb_out_inspect_watch_step(FILE *f, bool json, const struct mb_itargets *ts)
{
        struct mb_out_inspect v;
        json_t *arr = json ? json_array() : NULL;

        for (size_t i = 0; i < ts->n; i++) {
                const struct mb_itarget *x = &ts->t[i];

                if (x->exited && !json) {
                        mb_out_inspect_watch_exited(f, x->t_prev - ts->start, x->pid);
                } else if (x->exited) {
                        json_t *e = json_object();
                        json_object_set_new(e, "pid", json_integer(x->pid));
                        json_object_set_new(e, "exited", json_true());
                        json_array_append_new(arr, e);
                } else if (x->grew && !json) {
                        mb_out_inspect_watch_line(f, x->t_now - ts->start, x->pid,
                                                  mb_memsum_charge(&x->in.total), &x->g);
                } else if (x->grew) {
                        json_array_append_new(
                            arr, mb_out_inspect_watch_json(mb_out_itarget(x, &v), &x->g));
                }
        }
        if (json)
                emit_sample(f, ts->samples, ts->start, arr);
}

void mb_out_inspect_watch_end(FILE *f, bool json, const struct mb_itargets *ts)
{
        struct mb_out_inspect v;

        if (json)
                return;
        for (size_t i = 0; i < ts->n; i++)
                if (ts->t[i].t_now > ts->t[i].t_first)
                        mb_out_inspect_growth_text(f, mb_out_itarget(&ts->t[i], &v));
}
