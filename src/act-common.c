/* act-common.c: plan rendering and apply for tune, limit and undo. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "../lib/collect/system.h"
#include "../lib/out/json.h"
#include "../lib/out/table.h"
#include "act-common.h"

void act_proc_path(struct mb_cli *cli, const char *rel, char *buf, size_t len)
{
        snprintf(buf, len, "%s/%s", cli->proc_root ? cli->proc_root : "/proc", rel);
}

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

int act_plan_show(struct mb_cli *cli, const struct mb_plan *p, bool apply)
{
        return act_plan_show_hint(cli, p, apply, "add --apply as root");
}

int act_plan_show_hint(struct mb_cli *cli, const struct mb_plan *p, bool apply, const char *hint)
{
        struct mb_table t;
        char now[512], nw[512];

        if (cli->json) {
                json_t *j = act_plan_json(p);
                json_object_set_new(j, "applied", json_boolean(apply));
                mb_json_print(j, cli->out);
                return MB_EXIT_OK;
        }
        if (p->n == 0) {
                fprintf(cli->out, "nothing to change\n");
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
                mb_table_print(&t, cli->out, true);
                mb_table_release(&t);
        }
        for (size_t i = 0; i < p->n; i++)
                if (p->c[i].refused) {
                        fprintf(cli->out, "refused: ");
                        mb_print_clean(cli->out, p->c[i].reason);
                        fputc('\n', cli->out);
                        break;
                }
        for (size_t i = 0; i < p->nnotes; i++) {
                fprintf(cli->out, "note: ");
                mb_print_clean(cli->out, p->notes[i]);
                fputc('\n', cli->out);
        }
        if (!apply && mb_plan_todo(p) > 0 && !mb_plan_refused(p))
                fprintf(cli->out, "\n%zu change%s planned; nothing changed (%s)\n", mb_plan_todo(p),
                        mb_plan_todo(p) == 1 ? "" : "s", hint);
        else if (!apply && p->n > 0 && mb_plan_todo(p) == 0 && !mb_plan_refused(p))
                fprintf(cli->out, "\nalready in place: nothing to change\n");
        return MB_EXIT_OK;
}

static json_t *jstr(const char *s)
{
        return s ? mb_json_str(s) : json_null();
}

json_t *act_plan_json(const struct mb_plan *p)
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

static void on_progress(void *arg, const char *msg)
{
        struct mb_cli *cli = arg;

        fprintf(stderr, "membudget %s: ", cli->cmd);
        mb_print_clean(stderr, msg);
        fputc('\n', stderr);
}

/* OOM kills so far (/proc/vmstat oom_kill: every kill, memory cgroups'
 * included); -1 when unknown. */
static int64_t oom_kills(struct mb_cli *cli)
{
        struct mb_vmstat vs;

        if (!cli->root_open && mb_cli_root(cli) != 0)
                return -1;
        if (mb_vmstat_read(&cli->root, &vs, NULL) < 0)
                return -1;
        return (int64_t)vs.oom_kill;
}

int act_apply(struct mb_cli *cli, struct mb_plan *p, bool rollback)
{
        int64_t oom0, oom1;
        struct mb_apply_ctx ctx = {0};
        struct mb_journal j;
        const char *state;
        char msg[4096];
        int r;

        r = mb_plan_check(p, geteuid() == 0, msg, sizeof(msg));
        if (r < 0)
                return mb_runtime_error(cli, "%s; nothing changed", msg);
        if (mb_plan_todo(p) == 0 && !rollback) {
                /* undo of records that need no action: still mark them */
        } else if (mb_plan_todo(p) == 0) {
                if (!cli->json)
                        fprintf(cli->out, "already in place: nothing changed\n");
                return MB_EXIT_OK;
        }
        if ((r = mb_cli_state_dir(cli, true, &state)))
                return r;
        r = mb_journal_open(&j, state);
        if (r < 0)
                return mb_runtime_error(cli, "cannot open the journal '%s': %s; nothing changed",
                                        j.path, j.why[0] ? j.why : mb_strerror(r));
        if (j.repaired)
                mb_warn("%s: its last record was torn (crash or full disk): cut off", j.path);
        oom0 = oom_kills(cli);
        ctx.journal = &j;
        ctx.proc_root = cli->proc_root;
        ctx.rollback = rollback;
        ctx.progress = on_progress;
        ctx.arg = cli;
        r = mb_plan_apply(p, &ctx);
        mb_journal_close(&j);
        if (r < 0) {
                if (rollback)
                        return mb_runtime_error(cli, "%s; changes made so far were rolled back",
                                                ctx.msg);
                return mb_runtime_error(cli, "%s (%zu change%s done before)", ctx.msg, ctx.applied,
                                        ctx.applied == 1 ? "" : "s");
        }
        if (!cli->json)
                fprintf(cli->out, "%s %zu change%s (run %s, journal %s/%s)\n",
                        rollback ? "applied" : "reverted", ctx.applied, ctx.applied == 1 ? "" : "s",
                        j.run, state, MB_JOURNAL_FILE);
        oom1 = oom_kills(cli);
        if (oom0 >= 0 && oom1 > oom0)
                return mb_runtime_error(cli,
                                        "the kernel OOM-killed %lld process%s while the changes "
                                        "were made (/proc/vmstat oom_kill; see dmesg)",
                                        (long long)(oom1 - oom0), oom1 - oom0 == 1 ? "" : "es");
        return MB_EXIT_OK;
}
