/* swap.c: see swap.h. */
#include "swap.h"

#include "../util/size.h"
#include "../util/users.h"
#include "json.h"
#include "table.h"

static void table(FILE *f, const struct mb_snapshot *s)
{
        struct mb_table t;

        mb_table_init(&t);
        mb_table_col(&t, "PID", true, 0);
        mb_table_col(&t, "USER", false, 12);
        mb_table_col(&t, "SWAP", true, 0);
        mb_table_col(&t, "SWAPPSS", true, 0);
        mb_table_col(&t, "RSS", true, 0);
        mb_table_col(&t, "COMMAND", false, 100);
        for (size_t i = 0; i < s->procs.n; i++) {
                const struct mb_proc *p = &s->procs.p[i];
                const char *cl = mb_proc_cmdline(&s->procs, p);
                mb_table_cellf(&t, "%d", p->pid);
                mb_table_cell(&t, mb_user_name(p->uid));
                mb_table_size(&t, p->swap);
                mb_table_size(&t, p->swappss);
                mb_table_size(&t, p->rss);
                mb_table_cell(&t, *cl ? cl : p->name);
        }
        mb_table_print(&t, f, true);
        mb_table_release(&t);
}

void mb_out_swap_text(FILE *f, const struct mb_snapshot *s, int64_t sum,
                      const struct mb_swap_reconcile *rc, int64_t min)
{
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN], c3[MB_SIZE_STRLEN];
        size_t n = s->procs.n;

        if (s->mem.swap_total == 0 && s->swaps.n == 0) {
                fprintf(f, "no swap configured\n");
                return;
        }
        if (n == 0) {
                fprintf(f, "no process has %s%s in swap\n", min > 0 ? "at least " : "any memory",
                        min > 0 ? mb_size_format(min, a, sizeof(a)) : "");
        } else {
                table(f, s);
        }
        fprintf(f, "\n%zu process%s shown, %s in swap\n", n, n == 1 ? "" : "es",
                mb_size_format(sum, a, sizeof(a)));
        fprintf(f, "swap used %s (/proc/swaps) = all processes %s + swap cache %s",
                mb_size_format(rc->used, a, sizeof(a)), mb_size_format(rc->procs, b, sizeof(b)),
                mb_size_format(rc->cached, c3, sizeof(c3)));
        fprintf(f, " + rest %s\n", mb_size_format(rc->rest, a, sizeof(a)));
        fprintf(f,
                "  rest: swapped shmem/tmpfs pages (/dev/shm, tmpfs files, SysV shm), "
                "which no process's VmSwap counts%s\n",
                rc->rest < 0 ? "; negative: swap cache pages also counted in VmSwap" : "");
        for (size_t i = 0; i < s->swaps.n; i++)
                if (s->swaps.dev[i].kind == MB_SWAP_ZRAM)
                        fprintf(f,
                                "note: %s is zram: swapped pages still take RAM, "
                                "compressed\n",
                                s->swaps.dev[i].path);
        if (mb_mi_has(&s->mi, MB_MI_ZSWAPPED) && s->mi.v[MB_MI_ZSWAPPED])
                fprintf(f, "note: zswap holds %s of swapped pages compressed in %s of RAM\n",
                        mb_size_format((int64_t)s->mi.v[MB_MI_ZSWAPPED], a, sizeof(a)),
                        mb_size_format((int64_t)s->mi.v[MB_MI_ZSWAP], b, sizeof(b)));
}

void mb_out_swap_json(FILE *f, const struct mb_snapshot *s, int64_t sum,
                      const struct mb_swap_reconcile *rc)
{
        size_t n = s->procs.n;
        json_t *j = json_object(), *arr = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(arr, mb_json_proc(&s->procs, &s->procs.p[i]));
        json_object_set_new(j, "processes", arr);
        json_object_set_new(
            j, "totals",
            json_pack("{s:I,s:I}", "count", (json_int_t)n, "swap_bytes", (json_int_t)sum));
        json_object_set_new(j, "swap", mb_json_swap(s));
        json_object_set_new(j, "reconciliation",
                            json_pack("{s:I,s:I,s:I,s:I,s:s}", "swap_used_bytes",
                                      (json_int_t)rc->used, "process_swap_bytes",
                                      (json_int_t)rc->procs, "swap_cached_bytes",
                                      (json_int_t)rc->cached, "unattributed_bytes",
                                      (json_int_t)rc->rest, "unattributed_is",
                                      "swapped shmem/tmpfs pages (not in any VmSwap) and counter "
                                      "skew"));
        mb_json_print(j, f);
}
