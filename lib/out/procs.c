/* procs.c: see procs.h. */
#include "procs.h"

#include "../collect/container.h"

#include <string.h>

#include "../util/users.h"
#include "csv.h"
#include "json.h"
#include "table.h"

/* Text of a non-size column. */
static const char *text_cell(const struct mb_proctab *t, const struct mb_proc *p, enum mb_col c,
                             char *buf, size_t len)
{
        const char *cl;

        switch (c) {
        case MB_COL_PID:
        case MB_COL_PPID:
                if (len < 24)
                        return "";
                mb_fmt_u64((uint64_t)(c == MB_COL_PID ? p->pid : p->ppid), buf);
                return buf;
        case MB_COL_USER:
                return mb_user_name(p->uid);
        case MB_COL_NAME:
                return p->name;
        case MB_COL_CMDLINE:
                cl = mb_proc_cmdline(t, p);
                if (*cl)
                        return cl;
                snprintf(buf, len, "[%s]", p->name);
                return buf;
        default:
                return "";
        }
}

static void csv_i64(FILE *f, bool sep, int64_t v)
{
        if (sep)
                fputc(',', f);
        if (v != MB_UNKNOWN)
                fprintf(f, "%lld", (long long)v);
}

static int procs_json(FILE *f, const struct mb_out_procs *o, const struct mb_proctab *t, size_t n)
{
        json_t *j = json_object(), *arr = json_array(), *tot = json_object();

        for (size_t i = 0; i < n; i++)
                json_array_append_new(arr, mb_json_proc(t, &t->p[i]));
        json_object_set_new(j, "processes", arr);
        json_object_set_new(tot, "count", json_integer((json_int_t)n));
        for (int c = 0; c < MB_COL_COUNT; c++) {
                int64_t s = 0;
                size_t known = 0;
                if (!mb_cols[c].size)
                        continue;
                for (size_t i = 0; i < n; i++) {
                        int64_t v = mb_col_value(&t->p[i], (enum mb_col)c);
                        if (v != MB_UNKNOWN)
                                s += v, known++;
                }
                json_object_set_new(tot, mb_cols[c].json, known ? json_integer(s) : json_null());
        }
        json_object_set_new(j, "totals", tot);
        json_object_set_new(j, "scan", mb_json_scan(t));
        json_object_set_new(j, "collector", json_string(o->collector ? o->collector : "proc"));
        return mb_json_print(j, f);
}

int mb_out_procs(FILE *f, const struct mb_out_procs *o, const struct mb_proctab *t, size_t n)
{
        struct mb_table tab;
        char buf[96];
        int r;

        if (o->fmt == MB_OUT_JSON)
                return procs_json(f, o, t, n);
        if (o->fmt == MB_OUT_CSV) {
                for (int c = 0; c < o->ncols; c++)
                        fprintf(f, "%s%s", c ? "," : "", mb_cols[o->cols[c]].name);
                fputc('\n', f);
                for (size_t i = 0; i < n; i++) {
                        for (int c = 0; c < o->ncols; c++) {
                                enum mb_col col = o->cols[c];
                                if (mb_cols[col].size) {
                                        csv_i64(f, c, mb_col_value(&t->p[i], col));
                                        continue;
                                }
                                if (c)
                                        fputc(',', f);
                                mb_csv_field(f, text_cell(t, &t->p[i], col, buf, sizeof(buf)));
                        }
                        fputc('\n', f);
                }
                return 0;
        }
        mb_table_init(&tab);
        for (int c = 0; c < o->ncols; c++) {
                enum mb_col col = o->cols[c];
                mb_table_col(&tab, mb_cols[col].header, mb_cols[col].size || col <= MB_COL_PPID,
                             col == MB_COL_CMDLINE ? 120
                             : col == MB_COL_USER  ? 12
                                                   : 0);
        }
        for (size_t i = 0; i < n; i++)
                for (int c = 0; c < o->ncols; c++) {
                        enum mb_col col = o->cols[c];
                        if (mb_cols[col].size)
                                mb_table_size(&tab, mb_col_value(&t->p[i], col));
                        else
                                mb_table_cell(&tab, text_cell(t, &t->p[i], col, buf, sizeof(buf)));
                }
        r = mb_table_print(&tab, f, true);
        mb_table_release(&tab);
        return r;
}

/* A cgroup group named by container runtime, id and pod (container.h). */
static json_t *ctr_json(const struct mb_ctr_name *n)
{
        if (n->runtime == MB_CTR_NONE)
                return json_null();
        return json_pack("{s:s,s:o,s:o,s:o}", "runtime", mb_ctr_runtime_name(n->runtime), "id",
                         n->id[0] ? mb_json_str(n->id) : json_null(), "pod",
                         n->pod[0] ? mb_json_str(n->pod) : json_null(), "qos",
                         n->qos[0] ? json_string(n->qos) : json_null());
}

int mb_out_groups(FILE *f, const struct mb_out_procs *o, enum mb_group_by by,
                  const struct mb_groups *g, size_t n)
{
        const char *keyname = by == MB_GROUP_NAME ? "name" : "cgroup";
        struct mb_table tab;
        struct mb_ctr_name cn;
        char cbuf[256];
        bool any_ctr = false;
        int r;

        for (size_t i = 0; by == MB_GROUP_CGROUP && i < n; i++)
                any_ctr = any_ctr || mb_ctr_name_of(g->g[i].key, &cn);

        if (o->fmt == MB_OUT_JSON) {
                json_t *j = json_object(), *arr = json_array();
                for (size_t i = 0; i < n; i++) {
                        json_t *go = json_object();
                        json_object_set_new(go, keyname, mb_json_str(g->g[i].key));
                        if (by == MB_GROUP_CGROUP) {
                                mb_ctr_name_of(g->g[i].key, &cn);
                                json_object_set_new(go, "container", ctr_json(&cn));
                        }
                        json_object_set_new(go, "count", json_integer(g->g[i].count));
                        for (int c = 0; c < MB_COL_COUNT; c++)
                                if (mb_cols[c].size)
                                        json_object_set_new(go, mb_cols[c].json,
                                                            mb_json_size(g->g[i].sum[c]));
                        json_array_append_new(arr, go);
                }
                json_object_set_new(j, "groups", arr);
                return mb_json_print(j, f);
        }
        if (o->fmt == MB_OUT_CSV) {
                fprintf(f, "%s,%scount", keyname, any_ctr ? "container," : "");
                for (int c = 0; c < o->ncols; c++)
                        if (mb_cols[o->cols[c]].size)
                                fprintf(f, ",%s", mb_cols[o->cols[c]].name);
                fputc('\n', f);
                for (size_t i = 0; i < n; i++) {
                        mb_csv_field(f, g->g[i].key);
                        if (any_ctr) {
                                mb_ctr_name_of(g->g[i].key, &cn);
                                mb_ctr_name_format(&cn, cbuf, sizeof(cbuf));
                                fputc(',', f);
                                mb_csv_field(f, cbuf);
                        }
                        fprintf(f, ",%u", g->g[i].count);
                        for (int c = 0; c < o->ncols; c++)
                                if (mb_cols[o->cols[c]].size)
                                        csv_i64(f, true, g->g[i].sum[o->cols[c]]);
                        fputc('\n', f);
                }
                return 0;
        }
        mb_table_init(&tab);
        mb_table_col(&tab, by == MB_GROUP_NAME ? "NAME" : "CGROUP", false, 80);
        if (any_ctr)
                mb_table_col(&tab, "CONTAINER", false, 80);
        mb_table_col(&tab, "PROCS", true, 0);
        for (int c = 0; c < o->ncols; c++)
                if (mb_cols[o->cols[c]].size)
                        mb_table_col(&tab, mb_cols[o->cols[c]].header, true, 0);
        for (size_t i = 0; i < n; i++) {
                mb_table_cell(&tab, g->g[i].key);
                if (any_ctr) {
                        mb_ctr_name_of(g->g[i].key, &cn);
                        mb_ctr_name_format(&cn, cbuf, sizeof(cbuf));
                        mb_table_cell(&tab, cbuf[0] ? cbuf : "-");
                }
                mb_table_cellf(&tab, "%u", g->g[i].count);
                for (int c = 0; c < o->ncols; c++)
                        if (mb_cols[o->cols[c]].size)
                                mb_table_size(&tab, g->g[i].sum[o->cols[c]]);
        }
        r = mb_table_print(&tab, f, true);
        mb_table_release(&tab);
        return r;
}
