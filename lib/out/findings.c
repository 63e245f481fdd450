/* findings.c: see findings.h. */
#include "findings.h"

#include "json.h"
#include "table.h"

void mb_out_findings(FILE *f, const struct mb_findings *fs)
{
        if (fs->n == 0) {
                fputs("Problems: none found\n", f);
                return;
        }
        fprintf(f, "Problems (%zu)\n", fs->n);
        for (size_t i = 0; i < fs->n; i++) {
                const struct mb_finding *x = &fs->f[i];
                fprintf(f, "  [%s] %s: ", mb_severity_names[x->severity], x->title);
                mb_print_clean(f, x->value);
                fputc('\n', f);
                if (x->cause[0]) {
                        fputs("      cause:    ", f);
                        mb_print_clean(f, x->cause);
                        fputc('\n', f);
                }
                if (x->evidence[0]) {
                        fputs("      evidence: ", f);
                        mb_print_clean(f, x->evidence);
                        fputc('\n', f);
                }
                if (x->action[0]) {
                        fputs("      action:   ", f);
                        mb_print_clean(f, x->action);
                        fputc('\n', f);
                }
        }
}

json_t *mb_json_findings(const struct mb_findings *fs)
{
        json_t *a = json_array();

        for (size_t i = 0; i < fs->n; i++) {
                const struct mb_finding *x = &fs->f[i];
                json_t *o = json_object();
                json_object_set_new(o, "id", json_string(x->id));
                json_object_set_new(o, "title", mb_json_str(x->title));
                json_object_set_new(o, "severity", json_string(mb_severity_names[x->severity]));
                json_object_set_new(o, "value", mb_json_str(x->value));
                json_object_set_new(o, "cause", mb_json_str(x->cause));
                json_object_set_new(o, "evidence", mb_json_str(x->evidence));
                json_object_set_new(o, "action", mb_json_str(x->action));
                json_object_set_new(o, "pid", x->pid ? json_integer(x->pid) : json_null());
                json_array_append_new(a, o);
        }
        return a;
}
