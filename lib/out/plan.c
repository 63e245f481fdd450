/* plan.c: see plan.h. */
#define _GNU_SOURCE
#include <string.h>

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

static json_t *jstr(const char *s)
{
        return s ? mb_json_str(s) : json_null();
}

json_t *mb_out_plan_json(const struct mb_plan *p)
{
        json_t *j = json_object(), *arr = json_array(), *notes = json_array();

        for (size_t i = 0; i < p->n; i++) {
                const struct mb_change *c = &p->c[i];
                json_t *o = json_object();
                json_object_set_new(o, "action", json_string(mb_action_name(c->action)));
                json_object_set_new(o, "target", jstr(c->target));
                json_object_set_new(o, "current", jstr(c->current));
                json_object_set_new(o, "new", jstr(c->new_value));
                json_object_set_new(o, "how", jstr(c->how));
                json_object_set_new(o, "unchanged", json_boolean(c->noop));
                json_object_set_new(o, "refused", json_boolean(c->refused));
                json_object_set_new(o, "reason", c->refused ? jstr(c->reason) : json_null());
                if (c->action == MB_ACT_CGROUP_MOVE)
                        json_object_set_new(o, "pid", json_integer(c->pid));
                json_array_append_new(arr, o);
        }
        for (size_t i = 0; i < p->nnotes; i++)
                json_array_append_new(notes, jstr(p->notes[i]));
        json_object_set_new(j, "changes", arr);
        json_object_set_new(j, "notes", notes);
        json_object_set_new(j, "to_do", json_integer((json_int_t)mb_plan_todo(p)));
        json_object_set_new(j, "refused", json_integer((json_int_t)mb_plan_refused(p)));
        return j;
}
