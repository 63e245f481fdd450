/* text.c: see text.h. */
#include "text.h"

#include <stdint.h>
#include <string.h>

/* A decoded code point that a terminal could act on (see text.h). */
static bool unsafe_cp(uint32_t cp)
{
        return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
               cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t mb_text_next(const char *str, size_t n, size_t *adv)
{
        const unsigned char *s = (const unsigned char *)str;
        unsigned c = s[0];
        size_t len;
        uint32_t cp;

        *adv = 1;
        if (c < 0x80)
                return unsafe_cp(c) ? 0 : 1;
        if (c >= 0xc2 && c <= 0xdf)
                len = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
                len = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
                len = 4, cp = c & 0x07;
        else
                return 0; /* continuation byte, C0/C1 lead of an overlong form, F5-FF */
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        *adv = len;
        return unsafe_cp(cp) ? 0 : len;
}

bool mb_text_is_clean(const char *s, size_t n)
{
        for (size_t i = 0, adv; i < n; i += adv)
                if (!mb_text_next(s + i, n - i, &adv))
                        return false;
        return true;
}

size_t mb_text_clean_inplace(char *s)
{
        size_t n = strlen(s), i = 0, o = 0, adv;

        while (i < n) {
                size_t k = mb_text_next(s + i, n - i, &adv);
                if (k == 0) {
                        s[o++] = '?';
                } else {
                        memmove(s + o, s + i, k);
                        o += k;
                }
                i += adv;
        }
        s[o] = '\0';
        return o;
}

size_t mb_text_clean(char *dst, size_t cap, const char *src)
{
        size_t n = strlen(src), i = 0, o = 0, adv;

        while (i < n) {
                size_t k = mb_text_next(src + i, n - i, &adv);
                size_t w = k ? k : 1;
                if (o + w >= cap)
                        break;
                if (k == 0)
                        dst[o] = '?';
                else
                        memcpy(dst + o, src + i, k);
                o += w;
                i += adv;
        }
        dst[o] = '\0';
        return o;
}

int mb_text_clean_append(struct mb_buf *b, const char *s, size_t n)
{
        size_t i = 0, adv;
        int r;

        if ((r = mb_buf_reserve(b, n)) < 0)
                return r;
        while (i < n) {
                size_t k = mb_text_next(s + i, n - i, &adv);
                if (k == 0)
                        b->data[b->len++] = '?';
                else {
                        memcpy(b->data + b->len, s + i, k);
                        b->len += k;
                }
                i += adv;
        }
        b->data[b->len] = '\0';
        return 0;
}
