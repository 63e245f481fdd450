/* size.c: see size.h. */
#include "size.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static const struct {
        const char *name;
        unsigned shift;
} units[] = {
    {"", 0},     {"b", 0},  {"k", 10},  {"kb", 10},  {"kib", 10}, {"m", 20},  {"mb", 20},
    {"mib", 20}, {"g", 30}, {"gb", 30}, {"gib", 30}, {"t", 40},   {"tb", 40}, {"tib", 40},
};

int mb_size_parse(const char *s, uint64_t *ret)
{
        unsigned __int128 ip = 0, frac = 0, fdiv = 1, v;
        const char *p = s;
        bool digits = false;
        unsigned shift = 0;
        size_t i;

        if (!s)
                return -EINVAL;
        while (isspace((unsigned char)*p))
                p++;
        while (isdigit((unsigned char)*p)) {
                ip = ip * 10 + (unsigned)(*p - '0');
                if (ip > ((unsigned __int128)1 << 64))
                        return -ERANGE;
                p++;
                digits = true;
        }
        if (*p == '.') {
                p++;
                while (isdigit((unsigned char)*p)) {
                        if (fdiv < 1000000000000ULL) {
                                frac = frac * 10 + (unsigned)(*p - '0');
                                fdiv *= 10;
                        }
                        p++;
                        digits = true;
                }
        }
        if (!digits)
                return -EINVAL;
        while (*p == ' ')
                p++;
        for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
                if (strcasecmp(p, units[i].name) == 0) {
                        shift = units[i].shift;
                        break;
                }
        }
        if (i == sizeof(units) / sizeof(units[0]))
                return -EINVAL;
        if (shift == 0 && frac != 0)
                return -EINVAL; /* a fraction of a byte */
        v = (ip << shift) + ((frac << shift) / fdiv);
        if (v > (unsigned __int128)INT64_MAX)
                return -ERANGE;
        *ret = (uint64_t)v;
        return 0;
}

/*
 * x / 2^shift rounded to the nearest integer, ties to even: what printf's
 * "%.0f" does with the exact double x / 2^shift (x < 2^60).
 */
static uint64_t div_round_even(uint64_t x, unsigned shift)
{
        uint64_t q, rem, half;

        if (shift == 0)
                return x;
        q = x >> shift;
        rem = x & ((1ull << shift) - 1);
        half = 1ull << (shift - 1);
        if (rem > half || (rem == half && (q & 1)))
                q++;
        return q;
}

/*
 * The same text as the printf("%.0f"/"%.1f") of bytes / 1024^u below, in
 * integer arithmetic (listing 2000 processes formats 10000 sizes): exact for
 * |bytes| < 2^53, where the double division by a power of two is exact too.
 */
static bool size_format_fast(int64_t bytes, char *buf, size_t len)
{
        static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        uint64_t v = bytes < 0 ? (uint64_t)0 - (uint64_t)bytes : (uint64_t)bytes, r;
        unsigned u = 0, shift;
        size_t n = 0;

        if (v >= (1ull << 53) || len < 32)
                return false;
        while (u + 1 < sizeof(names) / sizeof(names[0]) && v >= (1ull << (10 * (u + 1))))
                u++;
        shift = 10 * u;
        if (bytes < 0)
                buf[n++] = '-';
        if (u == 0 || v >= (100ull << shift) || (v & ((1ull << shift) - 1)) == 0) {
                n += mb_fmt_u64(div_round_even(v, shift), buf + n);
        } else {
                r = div_round_even(v * 10, shift); /* tenths; v * 10 < 2^57 */
                n += mb_fmt_u64(r / 10, buf + n);
                buf[n++] = '.';
                buf[n++] = (char)('0' + r % 10);
        }
        buf[n++] = ' ';
        memcpy(buf + n, names[u], strlen(names[u]) + 1); /* n <= 18: fits in 32 */
        return true;
}

char *mb_size_format(int64_t bytes, char *buf, size_t len)
{
        static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        bool neg = bytes < 0;
        double v;
        unsigned u = 0;

        if (bytes == INT64_MIN) {
                snprintf(buf, len, "-");
                return buf;
        }
        if (size_format_fast(bytes, buf, len))
                return buf;
        v = neg ? -(double)bytes : (double)bytes;
        while (v >= 1024.0 && u + 1 < sizeof(names) / sizeof(names[0])) {
                v /= 1024.0;
                u++;
        }
        if (u == 0)
                snprintf(buf, len, "%s%.0f B", neg ? "-" : "", v);
        else if (v >= 100.0 || v == (double)(long long)v)
                snprintf(buf, len, "%s%.0f %s", neg ? "-" : "", v, names[u]);
        else
                snprintf(buf, len, "%s%.1f %s", neg ? "-" : "", v, names[u]);
        return buf;
}

bool mb_duration_parse(const char *s, double *ret)
{
        char *e;
        double v, mul = 1;

        errno = 0;
        v = strtod(s, &e);
        if (e == s || errno || !isfinite(v))
                return false;
        if (!strcmp(e, "ms"))
                mul = 0.001;
        else if (!strcmp(e, "m") || !strcmp(e, "min"))
                mul = 60;
        else if (!strcmp(e, "h"))
                mul = 3600;
        else if (*e && strcmp(e, "s"))
                return false;
        v *= mul;
        if (v < 0.1 || v > 86400)
                return false;
        *ret = v;
        return true;
}
