/* check.c: see check.h. */
#include "check.h"

#include <string.h>
#include <time.h>

#include "../util/size.h"
#include "findings.h"
#include "json.h"
#include "table.h"

static json_t *jnum(const struct mb_metric *m, bool have, double v)
{
        if (!have)
                return json_null();
        return m->bytes ? json_integer((json_int_t)v) : json_real(v);
}

static void fmt_value(const struct mb_metric *m, bool have, double v, char *buf, size_t len)
{
        if (!have)
                snprintf(buf, len, "-");
        else if (m->bytes)
                mb_size_format((int64_t)v, buf, len);
        else
                snprintf(buf, len, "%.0f", v);
}

static bool is_leak(const struct mb_finding *f)
{
        return !strcmp(f->id, mb_finding_defs[MB_FK_MEMORY_LEAK].id) ||
               !strcmp(f->id, mb_finding_defs[MB_FK_TARGET_GROWTH].id);
}

json_t *mb_out_check_json(const struct mb_out_check *c)
{
        json_t *j = json_object(), *ma = json_array(), *ca = json_array(), *la = json_array();
        struct mb_findings leaks = {0};

        for (int i = 0; i < MB_M_COUNT; i++) {
                const struct mb_metric *x = &c->m->m[i];
                json_array_append_new(
                    ma, json_pack("{s:s,s:s,s:o,s:o,s:o,s:s,s:s}", "metric", x->id, "label",
                                  x->label, "before", jnum(x, x->have_before, x->before), "target",
                                  jnum(x, x->has_target, x->target), "now",
                                  jnum(x, x->have, x->now), "target_is", x->at_most ? "max" : "min",
                                  "status", mb_mstatus_names[x->status]));
        }
        for (int i = 0; i < MB_CHECK_COUNT; i++)
                json_array_append_new(ca, json_pack("{s:s,s:b,s:o,s:s}", "item", c->items[i].item,
                                                    "done", c->items[i].done, "detail",
                                                    mb_json_str(c->items[i].detail), "how",
                                                    c->items[i].how));
        /* the leak suspects, as the findings array renders them */
        for (size_t i = 0; i < c->findings->n; i++)
                if (is_leak(&c->findings->f[i])) {
                        leaks.f = &c->findings->f[i];
                        leaks.n = 1;
                        json_t *x = mb_json_findings(&leaks);
                        json_array_extend(la, x);
                        json_decref(x);
                }
        json_object_set_new(j, "metrics", ma);
        json_object_set_new(j, "checklist", ca);
        json_object_set_new(j, "leak_suspects", la);
        json_object_set_new(j, "baseline_time",
                            c->have_base ? json_real(c->base_time) : json_null());
        json_object_set_new(j, "passed", json_boolean(c->passed));
        return j;
}

void mb_out_check(FILE *f, const struct mb_out_check *c)
{
        struct mb_table t;
        char a[MB_SIZE_STRLEN];
        unsigned nleaks = 0;

        mb_table_init(&t);
        mb_table_col(&t, "METRIC", false, 0);
        mb_table_col(&t, "BEFORE", true, 0);
        mb_table_col(&t, "TARGET", true, 0);
        mb_table_col(&t, "NOW", true, 0);
        mb_table_col(&t, "STATUS", false, 0);
        for (int i = 0; i < MB_M_COUNT; i++) {
                const struct mb_metric *x = &c->m->m[i];
                if (!x->has_target && !x->have)
                        continue;
                mb_table_cell(&t, x->label);
                fmt_value(x, x->have_before, x->before, a, sizeof(a));
                mb_table_cell(&t, a);
                fmt_value(x, x->has_target, x->target, a, sizeof(a));
                mb_table_cellf(&t, "%s %s", x->has_target ? (x->at_most ? "<=" : ">=") : "", a);
                fmt_value(x, x->have, x->now, a, sizeof(a));
                mb_table_cell(&t, a);
                mb_table_cell(&t, mb_mstatus_names[x->status]);
        }
        mb_table_print(&t, f, true);
        mb_table_release(&t);
        if (!c->have_base)
                fputs("(no baseline: 'membudget baseline save' records the \"before\" column)\n",
                      f);
        fputs("\nChecklist\n", f);
        for (int i = 0; i < MB_CHECK_COUNT; i++) {
                fprintf(f, "  [%s] %s: ", c->items[i].done ? "x" : " ", c->items[i].item);
                mb_print_clean(f, c->items[i].detail);
                if (!c->items[i].done)
                        fprintf(f, "\n      how: %s", c->items[i].how);
                fputc('\n', f);
        }
        for (size_t i = 0; i < c->findings->n; i++) {
                const struct mb_finding *x = &c->findings->f[i];
                if (!is_leak(x))
                        continue;
                if (!nleaks++)
                        fputs("\nLeak suspects (from the history)\n", f);
                fprintf(f, "  [%s] %s: ", mb_severity_names[x->severity], x->title);
                mb_print_clean(f, x->value);
                fputs("\n      ", f);
                mb_print_clean(f, x->evidence);
                fputc('\n', f);
        }
        fprintf(f, "\n%s\n", c->passed ? "every target met" : "some targets missed");
}

void mb_out_baseline(FILE *f, bool json, const struct mb_metrics *m)
{
        char when[64], a[MB_SIZE_STRLEN];
        time_t t = (time_t)m->time;
        struct tm tm;

        if (json) {
                json_t *j = json_object(), *o = json_object();
                for (int i = 0; i < MB_M_COUNT; i++)
                        json_object_set_new(o, m->m[i].id,
                                            m->m[i].have ? json_real(m->m[i].now) : json_null());
                json_object_set_new(j, "time", json_real(m->time));
                json_object_set_new(j, "metrics", o);
                mb_json_print(j, f);
                return;
        }
        localtime_r(&t, &tm);
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
        fprintf(f, "baseline of %s\n", when);
        for (int i = 0; i < MB_M_COUNT; i++) {
                const struct mb_metric *x = &m->m[i];
                if (!x->have)
                        continue;
                if (x->bytes)
                        fprintf(f, "  %-20s %s\n", x->label,
                                mb_size_format((int64_t)x->now, a, sizeof(a)));
                else
                        fprintf(f, "  %-20s %.0f\n", x->label, x->now);
        }
}
