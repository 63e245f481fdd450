/* report.c: see report.h. */
#define _GNU_SOURCE
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/size.h"
#include "../util/util.h"
#include "json.h"
#include "svg.h"

static char *fmt_time(double t, char *buf, size_t len)
{
        time_t tt = (time_t)t;
        struct tm tm;

        if (!isfinite(t) || !localtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
                snprintf(buf, len, "-");
        return buf;
}

/* ---- Markdown ---------------------------------------------------------- */

static const char *const budget_label[MB_RB_COUNT] = {
    [MB_RB_RAM_MAX] = "RAM over ram_max_mb",
    [MB_RB_SWAP_MAX] = "swap over swap_max_mb",
    [MB_RB_VRAM_MAX] = "VRAM over vram_max_mb",
    [MB_RB_AVAILABLE_MIN] = "available below available_min_mb",
};

static const char *const budget_id[MB_RB_COUNT] = {
    [MB_RB_RAM_MAX] = "ram_max",
    [MB_RB_SWAP_MAX] = "swap_max",
    [MB_RB_VRAM_MAX] = "vram_max",
    [MB_RB_AVAILABLE_MIN] = "available_min",
};

static void md_size(FILE *f, bool have, double v)
{
        char s[MB_SIZE_STRLEN];

        fprintf(f, " %s |", have ? mb_size_format((int64_t)llround(v), s, sizeof(s)) : "-");
}

static void md_stat_row(FILE *f, const char *label, const struct mb_report_stat *s)
{
        fprintf(f, "| %s |", label);
        md_size(f, s->have, s->min);
        md_size(f, s->have, s->mean);
        md_size(f, s->have, s->p95);
        md_size(f, s->have, s->peak);
        fputc('\n', f);
}

static void md_clean(FILE *f, const char *s, size_t max)
{
        size_t i = 0;

        for (; *s && i < max; s++, i++)
                fputc((unsigned char)*s < 0x20 || *s == '|' ? '?' : *s, f);
        if (*s)
                fputs("…", f);
}

static void md_period(FILE *f, const struct mb_report *r, const struct mb_report_period *p)
{
        char a[32], b[32], d[32], e[32];

        fprintf(f, "- Period: %s to %s (%s)\n", fmt_time(p->since, a, sizeof(a)),
                fmt_time(p->until, b, sizeof(b)),
                mb_report_duration(p->until - p->since, d, sizeof(d)));
        fprintf(f, "- Samples: %zu, every %s, covering %s (first %s, last %s)\n", p->nsamples,
                mb_report_duration(p->interval_s, d, sizeof(d)),
                mb_report_duration(p->covered_s, e, sizeof(e)), fmt_time(p->first, a, sizeof(a)),
                fmt_time(p->last, b, sizeof(b)));
        fprintf(f, "- ram_max_mb is measured on: %s\n",
                p->target_recorded
                    ? "the target's processes (their RAM: PSS, RSS where PSS is unreadable)"
                    : "host RAM used (no target recorded)");
        (void)r;
}

static void md_memory(FILE *f, const struct mb_report_period *p)
{
        fputs("| | min | mean | p95 | peak |\n|---|--:|--:|--:|--:|\n", f);
        md_stat_row(f, "RAM used", &p->ram_used);
        if (p->target_recorded)
                md_stat_row(f, "target RAM (PSS)", &p->target_ram);
        md_stat_row(f, "swap used", &p->swap_used);
        md_stat_row(f, "VRAM used", &p->vram_used);
        md_stat_row(f, "available", &p->available);
}

static void md_budgets(FILE *f, const struct mb_report_period *p)
{
        char s[MB_SIZE_STRLEN], d[32];

        fputs("| budget line | limit | time | share |\n|---|--:|--:|--:|\n", f);
        for (int b = 0; b < MB_RB_COUNT; b++) {
                const struct mb_report_budget *bu = &p->budget[b];
                fprintf(f, "| %s%s | %s |", budget_label[b],
                        b == MB_RB_RAM_MAX ? (p->target_recorded ? " (target)" : " (host)") : "",
                        bu->limit > 0 ? mb_size_format(bu->limit, s, sizeof(s)) : "not set");
                if (bu->limit > 0 && bu->have)
                        fprintf(f, " %s | %.1f%% |\n",
                                mb_report_duration(bu->seconds_over, d, sizeof(d)),
                                100.0 * bu->share);
                else
                        fputs(" - | - |\n", f);
        }
}

static void md_swapin(FILE *f, const struct mb_report *r, const struct mb_report_period *p)
{
        char d[32];

        if (!p->have_swapin) {
                fputs("No swap-in rates recorded.\n", f);
                return;
        }
        fprintf(f, "- peak %.1f pages/s, mean %.1f pages/s, %.0f pages swapped in\n",
                p->swapin_peak_ps, p->swapin_mean_ps, p->swapin_pages);
        fprintf(f, "- heavy swap-in (over %.0f pages/s): %s\n", r->limits.thrash_swapin_ps,
                mb_report_duration(p->swapin_heavy_s, d, sizeof(d)));
}

static void md_offenders(FILE *f, const struct mb_history_ident *a, size_t n)
{
        char t[32];

        if (!n) {
                fputs("No per-process samples in the period.\n", f);
                return;
        }
        fputs("| pid | start | name | peak | mean | samples | first seen | target |\n"
              "|--:|--:|---|--:|--:|--:|---|---|\n",
              f);
        for (size_t i = 0; i < n; i++) {
                fprintf(f, "| %d | %llu | ", a[i].pid, (unsigned long long)a[i].starttime);
                md_clean(f, a[i].cmdline[0] ? a[i].cmdline : a[i].name, 48);
                fputs(" |", f);
                md_size(f, true, (double)a[i].peak);
                md_size(f, true, a[i].mean);
                fprintf(f, " %zu | %s | %s |\n", a[i].nsamples,
                        fmt_time(a[i].first_t, t, sizeof(t)), a[i].target ? "yes" : "");
        }
}

static void md_change(FILE *f, bool have, double before, double after)
{
        char s[MB_SIZE_STRLEN];

        if (!have) {
                fputs(" - |\n", f);
                return;
        }
        fprintf(f, " %s%s |\n", after - before >= 0 ? "+" : "",
                mb_size_format((int64_t)llround(after - before), s, sizeof(s)));
}

static void md_compare_row(FILE *f, const char *label, const struct mb_report_stat *b,
                           const struct mb_report_stat *a, bool mean)
{
        double vb = mean ? b->mean : b->peak, va = mean ? a->mean : a->peak;

        fprintf(f, "| %s %s |", label, mean ? "mean" : "peak");
        md_size(f, b->have, vb);
        md_size(f, a->have, va);
        md_change(f, a->have && b->have, vb, va);
}

static void md_compare(FILE *f, const struct mb_report *r)
{
        const struct mb_report_period *b = &r->before, *a = &r->cur;
        char x[32], y[32];

        fputs("| | before | after | change |\n|---|--:|--:|--:|\n", f);
        fprintf(f, "| period | %s", fmt_time(b->since, x, sizeof(x)));
        fprintf(f, " + %s |", mb_report_duration(b->until - b->since, y, sizeof(y)));
        fprintf(f, " %s", fmt_time(a->since, x, sizeof(x)));
        fprintf(f, " + %s | |\n", mb_report_duration(a->until - a->since, y, sizeof(y)));
        fprintf(f, "| samples | %zu | %zu | |\n", b->nsamples, a->nsamples);
        md_compare_row(f, "RAM used", &b->ram_used, &a->ram_used, true);
        md_compare_row(f, "RAM used", &b->ram_used, &a->ram_used, false);
        if (a->target_recorded || b->target_recorded) {
                md_compare_row(f, "target RAM (PSS)", &b->target_ram, &a->target_ram, true);
                md_compare_row(f, "target RAM (PSS)", &b->target_ram, &a->target_ram, false);
        }
        md_compare_row(f, "swap used", &b->swap_used, &a->swap_used, true);
        md_compare_row(f, "swap used", &b->swap_used, &a->swap_used, false);
        md_compare_row(f, "VRAM used", &b->vram_used, &a->vram_used, true);
        md_compare_row(f, "VRAM used", &b->vram_used, &a->vram_used, false);
        md_compare_row(f, "available", &b->available, &a->available, true);
        fprintf(f, "| available min |");
        md_size(f, b->available.have, b->available.min);
        md_size(f, a->available.have, a->available.min);
        md_change(f, a->available.have && b->available.have, b->available.min, a->available.min);
        for (int i = 0; i < MB_RB_COUNT; i++)
                fprintf(f, "| time %s | %.1f%% | %.1f%% | %+.1f pt |\n", budget_label[i],
                        100 * b->budget[i].share, 100 * a->budget[i].share,
                        100 * (a->budget[i].share - b->budget[i].share));
        fprintf(f, "| swap-in pages | %.0f | %.0f | %+.0f |\n", b->swapin_pages, a->swapin_pages,
                a->swapin_pages - b->swapin_pages);
}

void mb_report_markdown(FILE *f, const struct mb_report *r)
{
        char line[512], d[32], rate[48];

        fputs("# membudget report\n\n", f);
        md_period(f, r, &r->cur);
        fputs("\n## Memory\n\n", f);
        md_memory(f, &r->cur);
        fputs("\n## Budget lines\n\n", f);
        md_budgets(f, &r->cur);
        fputs("\n## Swap-in activity\n\n", f);
        md_swapin(f, r, &r->cur);
        fputs("\n## Top offenders by peak (RSS+swap)\n\n", f);
        md_offenders(f, r->by_peak, r->npeak);
        fputs("\n## Top offenders by mean (RSS+swap)\n\n", f);
        md_offenders(f, r->by_mean, r->nmean);
        fputs("\n## Leak suspects\n\n", f);
        mb_report_rate(r->leak_params.rate, rate, sizeof(rate));
        fprintf(
            f,
            "Window %s, flagged above %s with R² ≥ %.2f and the growth spread over the window.\n\n",
            mb_report_duration(r->leak_params.window_s, d, sizeof(d)), rate, r->leak_params.r2_min);
        if (!r->nleaks)
                fputs("None.\n", f);
        for (size_t i = 0; i < r->nleaks; i++) {
                mb_report_leak_text(&r->leaks[i], line, sizeof(line));
                fprintf(f, "- %s (R² %.2f)\n", line, r->leaks[i].leak.r2);
        }
        if (r->have_before) {
                fputs("\n## Before / after\n\n", f);
                md_compare(f, r);
        }
        if (r->svg_path) {
                fputs("\n## Chart\n\n![RAM, swap and VRAM over the period](", f);
                md_clean(f, r->svg_path, 1000);
                fputs(")\n", f);
        }
}

/* ---- JSON --------------------------------------------------------------- */

static json_t *j_bytes(bool have, double v)
{
        return have ? json_integer((json_int_t)llround(v)) : json_null();
}

static json_t *j_stat(const struct mb_report_stat *s)
{
        json_t *j = json_object();

        json_object_set_new(j, "min_bytes", j_bytes(s->have, s->min));
        json_object_set_new(j, "mean_bytes", j_bytes(s->have, s->mean));
        json_object_set_new(j, "p95_bytes", j_bytes(s->have, s->p95));
        json_object_set_new(j, "peak_bytes", j_bytes(s->have, s->peak));
        return j;
}

static json_t *j_time(double t)
{
        return isfinite(t) ? json_real(t) : json_null();
}

static json_t *j_period(const struct mb_report_period *p)
{
        json_t *j = json_object(), *m = json_object(), *b = json_array(), *s = json_object();

        json_object_set_new(j, "since", j_time(p->since));
        json_object_set_new(j, "until", j_time(p->until));
        json_object_set_new(j, "first_sample", p->nsamples ? j_time(p->first) : json_null());
        json_object_set_new(j, "last_sample", p->nsamples ? j_time(p->last) : json_null());
        json_object_set_new(j, "samples", json_integer((json_int_t)p->nsamples));
        json_object_set_new(j, "interval_s", json_real(p->interval_s));
        json_object_set_new(j, "covered_s", json_real(p->covered_s));
        json_object_set_new(j, "ram_max_measured_on",
                            json_string(p->target_recorded ? "target" : "host"));
        json_object_set_new(m, "ram_used", j_stat(&p->ram_used));
        if (p->target_recorded)
                json_object_set_new(m, "target_ram", j_stat(&p->target_ram));
        json_object_set_new(m, "swap_used", j_stat(&p->swap_used));
        json_object_set_new(m, "vram_used", j_stat(&p->vram_used));
        json_object_set_new(m, "available", j_stat(&p->available));
        json_object_set_new(j, "memory", m);
        for (int i = 0; i < MB_RB_COUNT; i++) {
                const struct mb_report_budget *bu = &p->budget[i];
                json_t *x = json_object();
                bool ok = bu->limit > 0 && bu->have;
                json_object_set_new(x, "id", json_string(budget_id[i]));
                json_object_set_new(x, "limit_bytes",
                                    bu->limit > 0 ? json_integer(bu->limit) : json_null());
                json_object_set_new(x, "direction",
                                    json_string(i == MB_RB_AVAILABLE_MIN ? "below" : "above"));
                json_object_set_new(x, "seconds", ok ? json_real(bu->seconds_over) : json_null());
                json_object_set_new(x, "share", ok ? json_real(bu->share) : json_null());
                json_array_append_new(b, x);
        }
        json_object_set_new(j, "budgets", b);
        if (p->have_swapin) {
                json_object_set_new(s, "peak_pages_per_s", json_real(p->swapin_peak_ps));
                json_object_set_new(s, "mean_pages_per_s", json_real(p->swapin_mean_ps));
                json_object_set_new(s, "pages", json_real(p->swapin_pages));
                json_object_set_new(s, "heavy_s", json_real(p->swapin_heavy_s));
        } else {
                json_decref(s);
                s = json_null();
        }
        json_object_set_new(j, "swap_in", s);
        return j;
}

static json_t *j_idents(const struct mb_history_ident *a, size_t n)
{
        json_t *arr = json_array();

        for (size_t i = 0; i < n; i++) {
                json_t *x = json_object();
                json_object_set_new(x, "pid", json_integer(a[i].pid));
                json_object_set_new(x, "starttime", json_integer((json_int_t)a[i].starttime));
                json_object_set_new(x, "name", mb_json_str(a[i].name));
                json_object_set_new(x, "cmdline", mb_json_str(a[i].cmdline));
                json_object_set_new(x, "target", json_boolean(a[i].target));
                json_object_set_new(x, "peak_bytes", json_integer(a[i].peak));
                json_object_set_new(x, "mean_bytes", json_integer((json_int_t)llround(a[i].mean)));
                json_object_set_new(x, "samples", json_integer((json_int_t)a[i].nsamples));
                json_object_set_new(x, "first_seen", json_real(a[i].first_t));
                json_object_set_new(x, "last_seen", json_real(a[i].last_t));
                json_array_append_new(arr, x);
        }
        return arr;
}

json_t *mb_report_json(const struct mb_report *r)
{
        static const char *const kinds[] = {"process", "target_total", "target_nprocs"};
        json_t *j = json_object(), *o = json_object(), *l = json_array(), *p = json_object();
        char text[512];

        json_object_set_new(j, "version", json_integer(1));
        json_object_set_new(j, "period", j_period(&r->cur));
        json_object_set_new(o, "by_peak", j_idents(r->by_peak, r->npeak));
        json_object_set_new(o, "by_mean", j_idents(r->by_mean, r->nmean));
        json_object_set_new(j, "offenders", o);
        json_object_set_new(p, "window_s", json_real(r->leak_params.window_s));
        json_object_set_new(p, "rate_bytes_per_hour",
                            json_integer((json_int_t)llround(r->leak_params.rate * 3600)));
        json_object_set_new(p, "r2_min", json_real(r->leak_params.r2_min));
        json_object_set_new(p, "min_samples", json_integer((json_int_t)r->leak_params.min_samples));
        json_object_set_new(j, "leak_params", p);
        for (size_t i = 0; i < r->nleaks; i++) {
                const struct mb_report_leak *k = &r->leaks[i];
                json_t *x = json_object();
                mb_report_leak_text(k, text, sizeof(text));
                json_object_set_new(x, "kind", json_string(kinds[k->kind]));
                if (k->kind == MB_RL_PROCESS) {
                        json_object_set_new(x, "pid", json_integer(k->id.pid));
                        json_object_set_new(x, "starttime",
                                            json_integer((json_int_t)k->id.starttime));
                        json_object_set_new(x, "name", mb_json_str(k->id.name));
                }
                if (k->kind == MB_RL_TARGET_NPROCS)
                        json_object_set_new(x, "rate_per_hour", json_real(k->leak.slope * 3600));
                else
                        json_object_set_new(
                            x, "rate_bytes_per_hour",
                            json_integer((json_int_t)llround(k->leak.slope * 3600)));
                json_object_set_new(x, "r2", json_real(k->leak.r2));
                json_object_set_new(x, "from", json_real(k->leak.t_start));
                json_object_set_new(x, "to", json_real(k->leak.t_end));
                json_object_set_new(x, "samples", json_integer((json_int_t)k->leak.nsamples));
                json_object_set_new(x, "eta_ram_max_s",
                                    isnan(k->eta_s) ? json_null() : json_real(k->eta_s));
                json_object_set_new(x, "text", mb_json_str(text));
                json_array_append_new(l, x);
        }
        json_object_set_new(j, "leaks", l);
        json_object_set_new(j, "before", r->have_before ? j_period(&r->before) : json_null());
        json_object_set_new(j, "svg", r->svg_path ? mb_json_str(r->svg_path) : json_null());
        return j;
}

int mb_report_svg(FILE *f, const struct mb_history_host *rows, size_t n,
                  const struct mb_report *rep)
{
        double *t = calloc(n ? n : 1, sizeof(double)), *v = calloc(4 * (n ? n : 1), sizeof(double));
        struct mb_svg_series series[4];
        struct mb_svg_line lines[3];
        size_t ns = 0;
        char title[128], a[32], b[32];
        int r = -ENOMEM;

        if (!t || !v)
                goto out;
        for (size_t i = 0; i < n; i++) {
                t[i] = rows[i].t;
                v[i] = rows[i].ram_used == MB_UNKNOWN ? NAN : (double)rows[i].ram_used;
                v[n + i] = rows[i].swap_used == MB_UNKNOWN ? NAN : (double)rows[i].swap_used;
                v[2 * n + i] = rows[i].vram_used == MB_UNKNOWN ? NAN : (double)rows[i].vram_used;
                v[3 * n + i] = rows[i].target_nprocs < 0 || rows[i].target_ram == MB_UNKNOWN
                                   ? NAN
                                   : (double)rows[i].target_ram;
        }
        series[ns++] = (struct mb_svg_series){"RAM used", "#1f77b4", v};
        series[ns++] = (struct mb_svg_series){"swap used", "#d62728", v + n};
        series[ns++] = (struct mb_svg_series){"VRAM used", "#2ca02c", v + 2 * n};
        if (rep->cur.target_recorded)
                series[ns++] = (struct mb_svg_series){"target RAM", "#9467bd", v + 3 * n};
        lines[0] = (struct mb_svg_line){rep->cur.target_recorded ? "ram_max (target)" : "ram_max",
                                        rep->cur.target_recorded ? "#9467bd" : "#1f77b4",
                                        (double)rep->limits.ram_max};
        lines[1] = (struct mb_svg_line){"swap_max", "#d62728", (double)rep->limits.swap_max};
        lines[2] = (struct mb_svg_line){"vram_max", "#2ca02c", (double)rep->limits.vram_max};
        {
                time_t x = (time_t)rep->cur.since, y = (time_t)rep->cur.until;
                struct tm tx, ty;
                if (!localtime_r(&x, &tx) || !localtime_r(&y, &ty) ||
                    !strftime(a, sizeof(a), "%Y-%m-%d %H:%M", &tx) ||
                    !strftime(b, sizeof(b), "%Y-%m-%d %H:%M", &ty))
                        a[0] = b[0] = '\0';
        }
        snprintf(title, sizeof(title), "membudget: memory from %s to %s", a, b);
        r = mb_svg_chart(f, title, t, n, series, ns, lines, 3) < 0 ? -ENOMEM : 0;
out:
        free(t);
        free(v);
        return r;
}

int mb_report_svg_file(const char *path, const struct mb_history_host *rows, size_t n,
                       const struct mb_report *rep)
{
        char *data = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&data, &len);
        int r;

        if (!f)
                return -ENOMEM;
        r = mb_report_svg(f, rows, n, rep);
        if (fclose(f) != 0 && r == 0)
                r = -ENOMEM;
        if (r == 0)
                r = mb_write_file_atomic(path, data, len, 0644);
        free(data);
        return r;
}
