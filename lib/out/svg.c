/* svg.c: see svg.h. */
#define _GNU_SOURCE
#include "svg.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "../util/size.h"
#include "../util/text.h"
#include "../util/util.h"

#define W  960
#define H  440
#define ML 84 /* margins of the plot area */
#define MR 24
#define MT 44
#define MB 104
#define PW (W - ML - MR)
#define PH (H - MT - MB)

/* Text in an SVG (XML) document: markup escaped, and what the text rule
 * (lib/util/text.h) replaces shown as '?', so invalid UTF-8 never makes the
 * document invalid. */
static void xml_text(FILE *f, const char *s)
{
        size_t n = strlen(s), adv;

        for (size_t i = 0; i < n; i += adv) {
                size_t k = mb_text_next(s + i, n - i, &adv);
                if (k == 0)
                        fputc('?', f);
                else if (s[i] == '&')
                        fputs("&amp;", f);
                else if (s[i] == '<')
                        fputs("&lt;", f);
                else if (s[i] == '>')
                        fputs("&gt;", f);
                else if (s[i] == '"')
                        fputs("&quot;", f);
                else
                        fwrite(s + i, 1, k, f);
        }
}

/* Seconds east of UTC at time t (local time zone). */
static long tz_offset(double t)
{
        time_t tt = (time_t)t;
        struct tm tm;

        if (!localtime_r(&tt, &tm))
                return 0;
        return tm.tm_gmtoff;
}

static void fmt_time(double t, double step, double span, char *buf, size_t len)
{
        time_t tt = (time_t)t;
        struct tm tm;
        size_t r;

        if (!localtime_r(&tt, &tm)) {
                snprintf(buf, len, "%.0f", t);
                return;
        }
        if (step >= 86400)
                r = strftime(buf, len, "%Y-%m-%d", &tm);
        else if (span > 86400)
                r = strftime(buf, len, "%m-%d %H:%M", &tm);
        else if (step < 60)
                r = strftime(buf, len, "%H:%M:%S", &tm);
        else
                r = strftime(buf, len, "%H:%M", &tm);
        if (!r)
                snprintf(buf, len, "%.0f", t);
}

int mb_svg_chart(FILE *f, const char *title, const double *t, size_t n,
                 const struct mb_svg_series *series, size_t nseries,
                 const struct mb_svg_line *lines, size_t nlines)
{
        static const double tsteps[] = {
            1,    2,    5,     10,    15,    30,    60,     120,    300,    600,     900,    1800,
            3600, 7200, 10800, 21600, 43200, 86400, 172800, 345600, 604800, 1209600, 2419200};
        double ymax = 0, ystep, t0, t1, span, tstep = 0;
        int nticks;
        char buf[64];

        if (!n)
                return -EINVAL;
        for (size_t s = 0; s < nseries; s++)
                for (size_t i = 0; i < n; i++)
                        if (isfinite(series[s].v[i]) && series[s].v[i] > ymax)
                                ymax = series[s].v[i];
        for (size_t l = 0; l < nlines; l++)
                if (lines[l].value > ymax)
                        ymax = lines[l].value;
        ymax *= 1.05;
        if (ymax < 1024.0 * 1024)
                ymax = 1024.0 * 1024;
        /* Binary-unit steps: a power of two with at most 8 steps. */
        ystep = 1024;
        while (ymax / ystep > 8)
                ystep *= 2;
        nticks = (int)ceil(ymax / ystep);
        ymax = nticks * ystep;

        t0 = t[0];
        t1 = t[n - 1] > t0 ? t[n - 1] : t0 + 1;
        span = t1 - t0;
        for (size_t i = 0; i < MB_ARRAY_SIZE(tsteps); i++) {
                tstep = tsteps[i];
                if (span / tstep <= 8)
                        break;
        }

#define X(tt) (ML + ((tt)-t0) / span * PW)
#define Y(vv) (MT + PH - (vv) / ymax * PH)

        fprintf(f,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
                W, H, W, H);
        fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", W, H);
        fprintf(f, "<text x=\"%d\" y=\"24\" font-size=\"16\" font-weight=\"bold\">", ML);
        xml_text(f, title ? title : "");
        fputs("</text>\n", f);

        /* Value axis: grid and binary-unit labels. */
        fputs("<g stroke=\"#dddddd\" stroke-width=\"1\">\n", f);
        for (int i = 0; i <= nticks; i++)
                fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n", ML,
                        Y(i * ystep), ML + PW, Y(i * ystep));
        fputs("</g>\n<g text-anchor=\"end\" fill=\"#333333\">\n", f);
        for (int i = 0; i <= nticks; i++)
                fprintf(f, "<text x=\"%d\" y=\"%.1f\">%s</text>\n", ML - 6, Y(i * ystep) + 4,
                        mb_size_format((int64_t)(i * ystep), buf, sizeof(buf)));
        fputs("</g>\n", f);

        /* Time axis: ticks on multiples of the step in local time. */
        {
                long off = tz_offset(t0);
                double first = ceil((t0 + (double)off) / tstep) * tstep - (double)off;

                fputs("<g text-anchor=\"middle\" fill=\"#333333\">\n", f);
                for (double tt = first; tt <= t1 + 1e-6; tt += tstep) {
                        fmt_time(tt, tstep, span, buf, sizeof(buf));
                        fprintf(f,
                                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                                "stroke=\"#999999\"/>\n",
                                X(tt), MT + PH, X(tt), MT + PH + 5);
                        fprintf(f, "<text x=\"%.1f\" y=\"%d\">", X(tt), MT + PH + 18);
                        xml_text(f, buf);
                        fputs("</text>\n", f);
                }
                fputs("</g>\n", f);
        }
        fprintf(f,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                "stroke=\"#666666\"/>\n",
                ML, MT, PW, PH);

        /* Budget lines, dashed. */
        for (size_t l = 0; l < nlines; l++) {
                if (lines[l].value <= 0)
                        continue;
                fprintf(f,
                        "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" "
                        "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n",
                        ML, Y(lines[l].value), ML + PW, Y(lines[l].value), lines[l].color);
        }

        /* Series: one path each; a min/max pair per pixel column when dense. */
        for (size_t s = 0; s < nseries; s++) {
                const double *v = series[s].v;
                bool any = false, pen = false;

                for (size_t i = 0; i < n && !any; i++)
                        any = isfinite(v[i]);
                if (!any)
                        continue;
                fprintf(f, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" d=\"",
                        series[s].color);
                if (n <= 2 * PW) {
                        for (size_t i = 0; i < n; i++) {
                                if (!isfinite(v[i])) {
                                        pen = false;
                                        continue;
                                }
                                fprintf(f, "%s%.1f %.1f ", pen ? "L" : "M", X(t[i]), Y(v[i]));
                                pen = true;
                        }
                } else {
                        size_t i = 0;
                        while (i < n) {
                                int col = (int)((t[i] - t0) / span * PW);
                                double lo = INFINITY, hi = -INFINITY, x = X(t[i]);
                                size_t j = i;
                                for (; j < n && (int)((t[j] - t0) / span * PW) == col; j++)
                                        if (isfinite(v[j])) {
                                                lo = fmin(lo, v[j]);
                                                hi = fmax(hi, v[j]);
                                        }
                                if (!isfinite(hi)) {
                                        pen = false;
                                } else {
                                        fprintf(f, "%s%.1f %.1f ", pen ? "L" : "M", x, Y(hi));
                                        if (lo < hi)
                                                fprintf(f, "L%.1f %.1f ", x, Y(lo));
                                        pen = true;
                                }
                                i = j;
                        }
                }
                fputs("\"/>\n", f);
        }

        /* Legend. */
        {
                int x = ML, y = H - MB + 50;
                for (size_t s = 0; s < nseries; s++) {
                        bool any = false;
                        for (size_t i = 0; i < n && !any; i++)
                                any = isfinite(series[s].v[i]);
                        fprintf(f,
                                "<rect x=\"%d\" y=\"%d\" width=\"18\" height=\"4\" "
                                "fill=\"%s\"/>\n<text x=\"%d\" y=\"%d\">",
                                x, y - 4, series[s].color, x + 24, y);
                        xml_text(f, series[s].label);
                        if (!any)
                                fputs(" (no data)", f);
                        fputs("</text>\n", f);
                        x += 190;
                }
                x = ML;
                y += 22;
                for (size_t l = 0; l < nlines; l++) {
                        if (lines[l].value <= 0)
                                continue;
                        fprintf(f,
                                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                                "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n"
                                "<text x=\"%d\" y=\"%d\">",
                                x, y - 2, x + 18, y - 2, lines[l].color, x + 24, y);
                        xml_text(f, lines[l].label);
                        fprintf(f, " %s</text>\n",
                                mb_size_format((int64_t)lines[l].value, buf, sizeof(buf)));
                        x += 190;
                }
        }
        fputs("</svg>\n", f);
#undef X
#undef Y
        return ferror(f) ? -EIO : 0;
}
