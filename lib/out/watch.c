/* watch.c: see watch.h. */
#define _GNU_SOURCE
#include "watch.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "../util/size.h"
#include "csv.h"
#include "json.h"
#include "table.h"

void mb_watch_tick_fill(const struct mb_snapshot *s, const struct mb_target *tg,
                        struct mb_watch_tick *k)
{
        memset(k, 0, sizeof(*k));
        k->wall = s->wall;
        k->ram_used = (int64_t)s->mem.used;
        k->ram_avail = (int64_t)s->mem.available;
        k->swap_used = (int64_t)s->mem.swap_used;
        k->vram_used = MB_UNKNOWN;
        k->vram_total = MB_UNKNOWN;
        /* as the history records it: devices whose total and use are known */
        for (size_t i = 0; s->have_gpus && i < s->gpus.n; i++) {
                const struct mb_gpu *g = &s->gpus.dev[i];
                if (g->total == MB_UNKNOWN || g->used == MB_UNKNOWN)
                        continue;
                k->vram_used = (k->vram_used == MB_UNKNOWN ? 0 : k->vram_used) + g->used;
                k->vram_total = (k->vram_total == MB_UNKNOWN ? 0 : k->vram_total) + g->total;
        }
        k->rates = s->rates;
        k->psi_some10 = s->have_psi ? s->psi.some.avg10 : NAN;
        k->psi_full10 = s->have_psi && s->psi.have_full ? s->psi.full.avg10 : NAN;
        for (size_t i = 0; i < s->procs.n; i++) {
                const struct mb_proc *p = &s->procs.p[i];
                if (p->flags & MB_P_KTHREAD)
                        continue;
                if (!k->top || mb_proc_rss_swap(p) > mb_proc_rss_swap(k->top))
                        k->top = p;
        }
        k->tg = *tg;
}

void mb_out_watch_text(FILE *f, const struct mb_watch_tick *k)
{
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN], c[MB_SIZE_STRLEN], d[MB_SIZE_STRLEN];
        char ts[32];
        time_t tt = (time_t)k->wall;
        struct tm tm;

        if (!localtime_r(&tt, &tm) || !strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm))
                snprintf(ts, sizeof(ts), "%.0f", k->wall);
        fprintf(
            f, "%s  ram %s used %s avail  swap %s", ts, mb_size_format(k->ram_used, a, sizeof(a)),
            mb_size_format(k->ram_avail, b, sizeof(b)), mb_size_format(k->swap_used, c, sizeof(c)));
        if (k->rates.valid)
                fprintf(f, "  in %.1f/s out %.1f/s", k->rates.swapin_pages_per_s,
                        k->rates.swapout_pages_per_s);
        else
                fputs("  in -/s out -/s", f);
        fprintf(f, "  vram %s", mb_size_format(k->vram_used, d, sizeof(d)));
        if (!isnan(k->psi_some10))
                fprintf(f, "  psi %.2f", k->psi_some10);
        else
                fputs("  psi -", f);
        if (k->tg.configured)
                fprintf(f, "  target %u procs %s %s", k->tg.nprocs,
                        mb_size_format(k->tg.ram, a, sizeof(a)), mb_target_ram_kind(&k->tg));
        if (k->top) {
                fprintf(f, "  top %d ", k->top->pid);
                mb_print_clean(f, k->top->name);
                fprintf(f, " %s", mb_size_format(mb_proc_rss_swap(k->top), a, sizeof(a)));
        }
        fputc('\n', f);
}

static void csv_i64(FILE *f, int64_t v)
{
        if (v != MB_UNKNOWN)
                fprintf(f, "%lld", (long long)v);
        fputc(',', f);
}

void mb_out_watch_csv(FILE *f, const struct mb_watch_tick *k)
{
        fprintf(f, "%.3f,", k->wall);
        csv_i64(f, k->ram_used);
        csv_i64(f, k->ram_avail);
        csv_i64(f, k->swap_used);
        if (k->rates.valid)
                fprintf(f, "%.2f,%.2f,", k->rates.swapin_pages_per_s, k->rates.swapout_pages_per_s);
        else
                fputs(",,", f);
        csv_i64(f, k->vram_used);
        if (!isnan(k->psi_some10))
                fprintf(f, "%.2f", k->psi_some10);
        fputc(',', f);
        if (k->top) {
                fprintf(f, "%d,", k->top->pid);
                mb_csv_field(f, k->top->name);
                fprintf(f, ",%lld\n", (long long)mb_proc_rss_swap(k->top));
        } else {
                fputs(",,\n", f);
        }
}

static json_t *j_real(double v)
{
        return isnan(v) ? json_null() : json_real(v);
}

void mb_out_watch_json(FILE *f, const struct mb_watch_tick *k, const struct mb_proctab *t)
{
        json_t *j = json_object();

        json_object_set_new(j, "time", json_real(k->wall));
        json_object_set_new(j, "ram_used_bytes", mb_json_size(k->ram_used));
        json_object_set_new(j, "ram_available_bytes", mb_json_size(k->ram_avail));
        json_object_set_new(j, "swap_used_bytes", mb_json_size(k->swap_used));
        json_object_set_new(j, "swapin_pages_per_s",
                            k->rates.valid ? json_real(k->rates.swapin_pages_per_s) : json_null());
        json_object_set_new(j, "swapout_pages_per_s",
                            k->rates.valid ? json_real(k->rates.swapout_pages_per_s) : json_null());
        json_object_set_new(j, "vram_used_bytes", mb_json_size(k->vram_used));
        json_object_set_new(j, "psi_some_avg10", j_real(k->psi_some10));
        if (k->tg.configured) {
                json_t *x = json_object();
                json_object_set_new(x, "processes", json_integer(k->tg.nprocs));
                json_object_set_new(x, "ram_bytes", json_integer(k->tg.ram));
                json_object_set_new(x, "ram_is_rss_fallback", json_boolean(k->tg.rss_fallback > 0));
                json_object_set_new(x, "ram_measure", json_string(mb_target_ram_kind(&k->tg)));
                json_object_set_new(x, "swap_bytes", json_integer(k->tg.swap));
                json_object_set_new(x, "vram_bytes", mb_json_size(k->tg.vram));
                json_object_set_new(j, "target", x);
        }
        if (k->top) {
                json_t *x = json_object();
                json_object_set_new(x, "pid", json_integer(k->top->pid));
                json_object_set_new(x, "name", mb_json_str(k->top->name));
                json_object_set_new(x, "cmdline", mb_json_str(mb_proc_cmdline(t, k->top)));
                json_object_set_new(x, "rss_swap_bytes", json_integer(mb_proc_rss_swap(k->top)));
                json_object_set_new(j, "top", x);
        } else {
                json_object_set_new(j, "top", json_null());
        }
        json_dumpf(j, f, JSON_COMPACT | MB_JSON_REALS);
        fputc('\n', f);
        json_decref(j);
}

void mb_out_watch_csv_header(FILE *f)
{
        fputs("time,ram_used_bytes,ram_available_bytes,swap_used_bytes,"
              "swapin_pages_per_s,swapout_pages_per_s,vram_used_bytes,psi_some_avg10,"
              "top_pid,top_name,top_rss_swap_bytes\n",
              f);
}

void mb_out_watch_line(FILE *f, enum mb_watch_fmt fmt, const struct mb_watch_tick *k,
                       const struct mb_proctab *t)
{
        if (fmt == MB_WATCH_TEXT)
                mb_out_watch_text(f, k);
        else if (fmt == MB_WATCH_CSV)
                mb_out_watch_csv(f, k);
        else if (fmt == MB_WATCH_JSON)
                mb_out_watch_json(f, k, t);
}
