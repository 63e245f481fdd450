/* plan.c: see plan.h. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "../util/size.h"
#include "../util/util.h"
#include "json.h"
#include "plan.h"
#include "table.h"

/* One line that stands for a value in the table. */
static void show_value(const struct mb_change *c, const char *v, char *buf, size_t len)
{
        size_t k = 0;

        if (!v) {
                snprintf(buf, len, "%s",
                         c->action == MB_ACT_FILE ? "(absent)"
                         : c->action == MB_ACT_CGROUP_CREATE || c->action == MB_ACT_CGROUP_REMOVE
                             ? "(absent)"
                             : "-");
                return;
        }
        if (c->action != MB_ACT_FILE && c->action != MB_ACT_EXEC &&
            c->action != MB_ACT_UNIT_PROPS) {
                snprintf(buf, len, "%s", v);
                return;
        }
        /* files: the setting lines, "; "-joined; argv: space-joined */
        buf[0] = '\0';
        for (const char *p = v; *p && k + 1 < len;) {
                const char *nl = strchr(p, '\n');
                size_t l = nl ? (size_t)(nl - p) : strlen(p);
                if (c->action == MB_ACT_EXEC || (l > 0 && p[0] != '#' && p[0] != '[')) {
                        int w =
                            snprintf(buf + k, len - k, "%s%.*s",
                                     k ? (c->action == MB_ACT_EXEC ? " " : "; ") : "", (int)l, p);
                        if (w < 0 || (size_t)w >= len - k)
                                break;
                        k += (size_t)w;
                }
                p = nl ? nl + 1 : p + l;
        }
}

void mb_out_plan(FILE *f, const struct mb_plan *p, bool apply, const char *hint)
{
        struct mb_table t;
        char now[512], nw[512];

        if (p->n == 0) {
                fprintf(f, "nothing to change\n");
        } else {
                mb_table_init(&t);
                mb_table_col(&t, "ACTION", false, 0);
                mb_table_col(&t, "TARGET", false, 70);
                mb_table_col(&t, "NOW", false, 40);
                mb_table_col(&t, "NEW", false, 50);
                mb_table_col(&t, "HOW", false, 80);
                for (size_t i = 0; i < p->n; i++) {
                        const struct mb_change *c = &p->c[i];
                        show_value(c, c->current, now, sizeof(now));
                        show_value(c, c->new_value, nw, sizeof(nw));
                        mb_table_cell(&t, mb_action_name(c->action));
                        mb_table_cell(&t, c->target);
                        mb_table_cell(&t, now);
                        mb_table_cell(&t, c->refused ? "REFUSED" : c->noop ? "(unchanged)" : nw);
                        mb_table_cell(&t, c->how);
                }
                mb_table_print(&t, f, true);
                mb_table_release(&t);
        }
        for (size_t i = 0; i < p->n; i++)
                if (p->c[i].refused) {
                        fprintf(f, "refused: ");
                        mb_print_clean(f, p->c[i].reason);
                        fputc('\n', f);
                        break;
                }
        for (size_t i = 0; i < p->nnotes; i++) {
                fprintf(f, "note: ");
                mb_print_clean(f, p->notes[i]);
                fputc('\n', f);
        }
        if (!apply && mb_plan_todo(p) > 0 && !mb_plan_refused(p))
                fprintf(f, "\n%zu change%s planned; nothing changed (%s)\n", mb_plan_todo(p),
                        mb_plan_todo(p) == 1 ? "" : "s", hint);
        else if (!apply && p->n > 0 && mb_plan_todo(p) == 0 && !mb_plan_refused(p))
                fprintf(f, "\nalready in place: nothing to change\n");
}

json_t *mb_out_plan_json(const struct mb_plan *p)
{
        json_t *j = json_object(), *arr = json_array(), *notes = json_array();

        for (size_t i = 0; i < p->n; i++) {
                const struct mb_change *c = &p->c[i];
                json_t *o = json_object();
                json_object_set_new(o, "action", json_string(mb_action_name(c->action)));
                json_object_set_new(o, "target", mb_json_str(c->target));
                json_object_set_new(o, "current", mb_json_str(c->current));
                json_object_set_new(o, "new", mb_json_str(c->new_value));
                json_object_set_new(o, "how", mb_json_str(c->how));
                json_object_set_new(o, "unchanged", json_boolean(c->noop));
                json_object_set_new(o, "refused", json_boolean(c->refused));
                json_object_set_new(o, "reason", c->refused ? mb_json_str(c->reason) : json_null());
                if (c->action == MB_ACT_CGROUP_MOVE)
                        json_object_set_new(o, "pid", json_integer(c->pid));
                json_array_append_new(arr, o);
        }
        for (size_t i = 0; i < p->nnotes; i++)
                json_array_append_new(notes, mb_json_str(p->notes[i]));
        json_object_set_new(j, "changes", arr);
        json_object_set_new(j, "notes", notes);
        json_object_set_new(j, "to_do", json_integer((json_int_t)mb_plan_todo(p)));
        json_object_set_new(j, "refused", json_integer((json_int_t)mb_plan_refused(p)));
        return j;
}

static void fmt_limit(const char *s, char *buf, size_t len)
{
        char *e;
        long long v;

        if (!s[0]) {
                snprintf(buf, len, "-");
                return;
        }
        v = strtoll(s, &e, 10);
        if (!strcmp(s, "max") || (*e == '\0' && (v < 0 || v >= (1LL << 62))))
                snprintf(buf, len, "unlimited");
        else if (*e == '\0')
                mb_size_format(v, buf, len);
        else
                snprintf(buf, len, "%s", s);
}

/* Text with every line through the escaping printer, newlines kept. */
static void print_lines(FILE *f, const char *indent, const char *t)
{
        char line[1024];

        for (const char *p = t; *p;) {
                size_t l = strcspn(p, "\n");
                snprintf(line, sizeof(line), "%.*s", (int)l, p);
                fputs(indent, f);
                mb_print_clean(f, line);
                fputc('\n', f);
                p += l + (p[l] ? 1 : 0);
        }
}

void mb_out_limit_unit(FILE *f, const struct mb_limit_unit *u)
{
        fprintf(f, "unit %s: drop-in %s: %s\n", u->unit, u->path, u->dropin ? "present" : "absent");
        if (u->dropin)
                print_lines(f, "  ", u->dropin);
        if (u->have_props) {
                fprintf(f, "enforced by systemd now (systemctl show):\n");
                print_lines(f, "  ", u->props);
        } else if (!u->pid1) {
                fprintf(f, "systemd is not PID 1 here: unit properties cannot be read\n");
        }
}

void mb_out_limit_unit_json(json_t *j, const struct mb_limit_unit *u)
{
        json_t *sd = json_object();

        json_object_set_new(j, "unit", json_string(u->unit));
        json_object_set_new(j, "dropin_path", mb_json_str(u->path));
        json_object_set_new(j, "dropin", mb_json_str(u->dropin));
        for (const char *p = u->have_props ? u->props : ""; *p;) {
                size_t l = strcspn(p, "\n");
                const char *eq = memchr(p, '=', l);
                if (eq) {
                        char k[64], v[128];
                        snprintf(k, sizeof(k), "%.*s", (int)(eq - p), p);
                        snprintf(v, sizeof(v), "%.*s", (int)(p + l - eq - 1), eq + 1);
                        json_object_set_new(sd, k, mb_json_str(v));
                }
                p += l + (p[l] ? 1 : 0);
        }
        json_object_set_new(j, "systemd", u->have_props ? sd : (json_decref(sd), json_null()));
}

static void fmt_as(int64_t as, char *d, size_t len)
{
        if (as == MB_UNKNOWN)
                snprintf(d, len, "?");
        else if (as < 0)
                snprintf(d, len, "unlimited");
        else
                mb_size_format(as, d, len);
}

void mb_out_limit_procs(FILE *f, const struct mb_limit_show *s)
{
        struct mb_table t;

        if (!s->n) {
                fprintf(f, "no process matches\n");
                return;
        }
        mb_table_init(&t);
        mb_table_col(&t, "PID", true, 0);
        mb_table_col(&t, "COMMAND", false, 40);
        mb_table_col(&t, "CGROUP", false, 60);
        mb_table_col(&t, "MAX", true, 0);
        mb_table_col(&t, "HIGH/SOFT", true, 0);
        mb_table_col(&t, "SWAP/MEMSW", true, 0);
        mb_table_col(&t, "RLIMIT_AS", true, 0);
        mb_table_col(&t, "CUDA", false, 0);
        for (size_t i = 0; i < s->n; i++) {
                const struct mb_limit_shown *p = &s->p[i];
                char a[40], b[40], c[40], d[40];
                fmt_limit(p->v.max, a, sizeof(a));
                fmt_limit(p->v.high, b, sizeof(b));
                fmt_limit(p->v.swap, c, sizeof(c));
                fmt_as(p->rlimit_as, d, sizeof(d));
                mb_table_cellf(&t, "%d", p->pid);
                mb_table_cell(&t, p->comm);
                mb_table_cell(&t, p->from[0] ? p->from : "-");
                mb_table_cell(&t, a);
                mb_table_cell(&t, b);
                mb_table_cell(&t, c);
                mb_table_cell(&t, d);
                mb_table_cell(&t, p->cuda < 0 ? "?" : p->cuda ? "yes" : "no");
        }
        mb_table_print(&t, f, true);
        mb_table_release(&t);
}

json_t *mb_out_limit_procs_json(const struct mb_limit_show *s)
{
        json_t *arr = json_array();

        for (size_t i = 0; i < s->n; i++) {
                const struct mb_limit_shown *p = &s->p[i];
                int64_t as = p->rlimit_as;
                json_t *x = json_object();
                json_object_set_new(x, "pid", json_integer(p->pid));
                json_object_set_new(x, "name", mb_json_str(p->comm));
                json_object_set_new(x, "cgroup", mb_json_str(p->from));
                json_object_set_new(x, "memory_max", mb_json_str(p->v.max));
                json_object_set_new(x, "memory_high", mb_json_str(p->v.high));
                json_object_set_new(x, "memory_swap", mb_json_str(p->v.swap));
                json_object_set_new(x, "rlimit_as_bytes",
                                    as == MB_UNKNOWN || as < 0 ? json_null() : json_integer(as));
                json_object_set_new(x, "rlimit_as_unlimited", json_boolean(as == -1));
                json_object_set_new(x, "cuda_mapped",
                                    p->cuda < 0 ? json_null() : json_boolean(p->cuda == 1));
                json_array_append_new(arr, x);
        }
        return arr;
}

void mb_out_limit_show(FILE *f, bool json, const struct mb_limit_unit *u,
                       const struct mb_limit_show *s)
{
        static const struct mb_limit_show none;

        if (json) {
                json_t *j = json_object();
                if (u)
                        mb_out_limit_unit_json(j, u);
                json_object_set_new(j, "processes", mb_out_limit_procs_json(s ? s : &none));
                mb_json_print(j, f);
                return;
        }
        if (u)
                mb_out_limit_unit(f, u);
        if (s)
                mb_out_limit_procs(f, s);
}

void mb_out_limit_way(FILE *f, const struct mb_limit_match *m, const char *name)
{
        if (m->scope_way && m->started)
                fprintf(f, "the systemd way: in transient scope %s (via %s)\n", m->scope.unit,
                        mb_scope_way_name(m->way));
        else if (m->scope_way)
                fprintf(f, "the systemd way: in transient scope %s (it existed)\n", m->scope.unit);
        else
                fprintf(f, "a raw cgroup: in cgroup %s\n", m->dir);
        fprintf(f, "release with: membudget limit --release %s --apply\n", name);
}
