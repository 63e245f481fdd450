/* json.c: see json.h. */
#include "json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../analyze/procsel.h"
#include "../util/users.h"

static size_t utf8_seq(const unsigned char *s)
{
        size_t n;
        unsigned c = s[0];

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                n = 2;
        else if (c >= 0xe0 && c <= 0xef)
                n = 3;
        else if (c >= 0xf0 && c <= 0xf4)
                n = 4;
        else
                return 0;
        for (size_t i = 1; i < n; i++)
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
        if (n == 3 && ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0)))
                return 0;
        if (n == 4 && ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90)))
                return 0;
        return n;
}

json_t *mb_json_str(const char *s)
{
        const unsigned char *p = (const unsigned char *)s;
        struct mb_buf b = MB_BUF_INIT;
        json_t *j;

        if (!s)
                return json_null();
        while (*p) {
                size_t n = utf8_seq(p);
                if (n == 0)
                        break;
                p += n;
        }
        if (!*p)
                return json_string(s);
        p = (const unsigned char *)s;
        while (*p) {
                size_t n = utf8_seq(p);
                if (n == 0) {
                        mb_buf_append(&b, "\xef\xbf\xbd", 3);
                        p++;
                } else {
                        mb_buf_append(&b, p, n);
                        p += n;
                }
        }
        j = json_stringn(b.data ? b.data : "", b.len);
        mb_buf_release(&b);
        return j;
}

json_t *mb_json_size(int64_t v)
{
        return v == MB_UNKNOWN ? json_null() : json_integer(v);
}

json_t *mb_json_proc(const struct mb_proctab *t, const struct mb_proc *p)
{
        json_t *o = json_object();

        json_object_set_new(o, "pid", json_integer(p->pid));
        json_object_set_new(o, "ppid", json_integer(p->ppid));
        json_object_set_new(o, "user", mb_json_str(mb_user_name(p->uid)));
        json_object_set_new(o, "uid", json_integer(p->uid));
        json_object_set_new(o, "name", mb_json_str(p->name));
        if ((t->flags & MB_SCAN_CMDLINE) || p->cmdline)
                json_object_set_new(o, "cmdline", mb_json_str(mb_proc_cmdline(t, p)));
        else
                json_object_set_new(o, "cmdline", json_null());
        if (p->starttime)
                json_object_set_new(o, "start_time_ticks", json_integer((json_int_t)p->starttime));
        for (int c = 0; c < MB_COL_COUNT; c++)
                if (mb_cols[c].size)
                        json_object_set_new(o, mb_cols[c].json,
                                            mb_json_size(mb_col_value(p, (enum mb_col)c)));
        if (p->flags & MB_P_KTHREAD)
                json_object_set_new(o, "kernel_thread", json_true());
        if (p->flags & MB_P_ZOMBIE)
                json_object_set_new(o, "zombie", json_true());
        if (t->flags & MB_SCAN_CGROUP)
                json_object_set_new(o, "cgroup", mb_json_str(mb_proc_cgroup_key(t, p)));
        return o;
}

json_t *mb_json_memory(const struct mb_memsummary *m)
{
        return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "total_bytes", (json_int_t)m->total,
                         "used_bytes", (json_int_t)m->used, "free_bytes", (json_int_t)m->free,
                         "shared_bytes", (json_int_t)m->shared, "buff_cache_bytes",
                         (json_int_t)m->buff_cache, "available_bytes", (json_int_t)m->available);
}

static json_t *rate(const struct mb_snapshot *s, double v)
{
        return s->rates.valid ? json_real(v) : json_null();
}

json_t *mb_json_swap(const struct mb_snapshot *s)
{
        json_t *o =
            json_pack("{s:I,s:I,s:I}", "total_bytes", (json_int_t)s->mem.swap_total, "used_bytes",
                      (json_int_t)s->mem.swap_used, "cached_bytes", (json_int_t)s->mem.swap_cached);
        json_t *devs = json_array();

        json_object_set_new(o, "in_pages_per_s", rate(s, s->rates.swapin_pages_per_s));
        json_object_set_new(o, "out_pages_per_s", rate(s, s->rates.swapout_pages_per_s));
        if (mb_mi_has(&s->mi, MB_MI_ZSWAP)) {
                json_object_set_new(o, "zswap_pool_bytes",
                                    json_integer((json_int_t)s->mi.v[MB_MI_ZSWAP]));
                json_object_set_new(o, "zswapped_bytes",
                                    json_integer((json_int_t)s->mi.v[MB_MI_ZSWAPPED]));
        }
        for (size_t i = 0; i < s->swaps.n; i++) {
                const struct mb_swapdev *d = &s->swaps.dev[i];
                json_t *dj =
                    json_pack("{s:o,s:s,s:s,s:I,s:I,s:i}", "path", mb_json_str(d->path), "type",
                              d->type, "kind", d->kind == MB_SWAP_ZRAM ? "zram" : "disk",
                              "size_bytes", (json_int_t)d->size, "used_bytes", (json_int_t)d->used,
                              "priority", d->priority);
                if (d->kind == MB_SWAP_ZRAM) {
                        json_object_set_new(dj, "zram_orig_bytes", mb_json_size(d->zram_orig));
                        json_object_set_new(dj, "zram_compressed_bytes",
                                            mb_json_size(d->zram_compr));
                        json_object_set_new(dj, "zram_mem_used_bytes",
                                            mb_json_size(d->zram_mem_used));
                }
                json_array_append_new(devs, dj);
        }
        json_object_set_new(o, "devices", devs);
        return o;
}

json_t *mb_json_pressure(const struct mb_snapshot *s)
{
        if (!s->have_psi)
                return json_null();
        return json_pack(
            "{s:f,s:f,s:f,s:o,s:o,s:o,s:I,s:o}", "some_avg10", s->psi.some.avg10, "some_avg60",
            s->psi.some.avg60, "some_avg300", s->psi.some.avg300, "full_avg10",
            s->psi.have_full ? json_real(s->psi.full.avg10) : json_null(), "full_avg60",
            s->psi.have_full ? json_real(s->psi.full.avg60) : json_null(), "full_avg300",
            s->psi.have_full ? json_real(s->psi.full.avg300) : json_null(), "some_total_usec",
            (json_int_t)s->psi.some.total_usec, "full_total_usec",
            s->psi.have_full ? json_integer((json_int_t)s->psi.full.total_usec) : json_null());
}

json_t *mb_json_breakdown(const struct mb_breakdown_row *rows, size_t n)
{
        json_t *a = json_array();

        for (size_t i = 0; i < n; i++)
                json_array_append_new(a,
                                      json_pack("{s:s,s:s,s:I}", "name", rows[i].id, "label",
                                                rows[i].label, "bytes", (json_int_t)rows[i].bytes));
        return a;
}

json_t *mb_json_gpus(const struct mb_gpus *g)
{
        json_t *a = json_array();

        for (size_t i = 0; i < g->n; i++) {
                const struct mb_gpu *d = &g->dev[i];
                json_t *o = json_pack("{s:i,s:s,s:o,s:o,s:o,s:o,s:o}", "index", d->index, "vendor",
                                      d->vendor, "name", mb_json_str(d->name), "uuid",
                                      d->uuid[0] ? mb_json_str(d->uuid) : json_null(),
                                      "total_bytes", mb_json_size(d->total), "used_bytes",
                                      mb_json_size(d->used), "free_bytes", mb_json_size(d->free));
                if (d->pci[0])
                        json_object_set_new(o, "pci", mb_json_str(d->pci));
                if (d->error[0])
                        json_object_set_new(o, "error", mb_json_str(d->error));
                json_array_append_new(a, o);
        }
        return a;
}

json_t *mb_json_scan(const struct mb_proctab *t)
{
        return json_pack("{s:i,s:i,s:i,s:i,s:i,s:i}", "seen", t->n_seen, "kernel_threads",
                         t->n_kthreads, "zombies", t->n_zombies, "vanished", t->n_vanished,
                         "unreadable", t->n_denied, "pss_unavailable", t->n_pss_denied);
}

int mb_json_print(json_t *j, FILE *f)
{
        int r = 0;

        if (!j)
                return -ENOMEM;
        if (json_dumpf(j, f, JSON_INDENT(2) | MB_JSON_DEFAULT) < 0)
                r = -EIO;
        fputc('\n', f);
        json_decref(j);
        return r;
}
