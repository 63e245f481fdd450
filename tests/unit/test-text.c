/* test-text.c: the text rule for every output (lib/util/text.c), the CSV
 * field writer (lib/out/csv.c) and the table renderer's safety
 * (lib/out/table.c): table-driven. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../lib/out/csv.h"
#include "../../lib/out/prom.h"
#include "../../lib/out/svg.h"
#include "../../lib/out/table.h"
#include "../../lib/util/text.h"

struct text_case {
        const char *in, *want;
};

/* Input -> what every text output shows. */
static const struct text_case clean_cases[] = {
    {"plain ascii", "plain ascii"},
    {"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac"}, /* UTF-8 */
    {"\x1b[31mred\x07", "?[31mred?"},                                                 /* C0 */
    {"tab\there\nnl\rcr", "tab?here?nl?cr"},
    {"del\x7f", "del?"},
    {"csi\xc2\x9b"
     "2J",
     "csi?2J"},                     /* U+009B as UTF-8 */
    {"c1\xc2\x80\xc2\x9f", "c1??"}, /* U+0080, U+009F */
    {"raw\x9b"
     "2J",
     "raw?2J"}, /* raw 8-bit CSI: invalid UTF-8 */
    {"rlo\xe2\x80\xae"
     "txt.exe",
     "rlo?txt.exe"}, /* U+202E */
    {"lre\xe2\x80\xaa pdf\xe2\x80\xac", "lre? pdf?"},
    {"iso\xe2\x81\xa6x\xe2\x81\xa9", "iso?x?"}, /* U+2066, U+2069 */
    {"ls\xe2\x80\xa8", "ls?"},                  /* U+2028 */
    {"bad\xff\xfe", "bad??"},
    {"over\xc0\xaf", "over??"},           /* overlong '/' */
    {"sur\xed\xa0\x80", "sur???"},        /* surrogate */
    {"cut\xe6\x97", "cut??"},             /* truncated sequence */
    {"big\xf4\x90\x80\x80", "big????"},   /* above U+10FFFF */
    {"ok\xe2\x80\x94", "ok\xe2\x80\x94"}, /* em dash stays */
    {"", ""},
};

static void test_clean_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(clean_cases) / sizeof(clean_cases[0]); i++) {
                const struct text_case *c = &clean_cases[i];
                char buf[128], in[128];
                struct mb_buf b = MB_BUF_INIT;

                mb_text_clean(buf, sizeof(buf), c->in);
                if (strcmp(buf, c->want))
                        fail_msg("case %zu: mb_text_clean gave '%s', want '%s'", i, buf, c->want);
                snprintf(in, sizeof(in), "%s", c->in);
                mb_text_clean_inplace(in);
                assert_string_equal(in, c->want);
                assert_int_equal(mb_text_clean_append(&b, c->in, strlen(c->in)), 0);
                assert_string_equal(b.data, c->want);
                mb_buf_release(&b);
                assert_int_equal(mb_text_is_clean(c->in, strlen(c->in)),
                                 strcmp(c->in, c->want) == 0);
        }
}

static void test_clean_cut_at_boundary(void **state)
{
        char buf[6];

        (void)state;
        /* "ab" + two 3-byte characters: the second does not fit whole */
        assert_int_equal(mb_text_clean(buf, sizeof(buf), "ab\xe6\x97\xa5\xe6\x9c\xac"), 5);
        assert_string_equal(buf, "ab\xe6\x97\xa5");
        assert_int_equal(mb_text_clean(buf, 3, "\x1b\x1b\x1b\x1b"), 2);
        assert_string_equal(buf, "??");
}

/* CSV field: RFC 4180 quoting, text rule, formula prefixes (OWASP). */
static const struct text_case csv_cases[] = {
    {"python3 app.py", "python3 app.py"},
    {"a,b", "\"a,b\""},
    {"say \"hi\"", "\"say \"\"hi\"\"\""},
    {"=cmd|' /C calc'!A0", "\"'=cmd|' /C calc'!A0\""},
    {"+1+2", "\"'+1+2\""},
    {"-2+3", "\"'-2+3\""},
    {"@SUM(A1)", "\"'@SUM(A1)\""},
    {"\t=1", "\"'?=1\""},
    {"\r=1", "\"'?=1\""},
    {"-", "-"},
    {"-5", "-5"},
    {"1.5", "1.5"},
    {"x\x1b]0;pwned\x07y", "x?]0;pwned?y"},
    {"nl\nx", "nl?x"},
    {"rlo\xe2\x80\xae", "rlo?"},
    {" lead", "\" lead\""},
    {"", ""},
};

static void test_csv_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(csv_cases) / sizeof(csv_cases[0]); i++) {
                struct mb_buf b = MB_BUF_INIT;
                assert_int_equal(mb_csv_field_buf(&b, csv_cases[i].in), 0);
                if (strcmp(b.data ? b.data : "", csv_cases[i].want))
                        fail_msg("csv case %zu: got <%s>, want <%s>", i, b.data ? b.data : "",
                                 csv_cases[i].want);
                mb_buf_release(&b);
        }
}

/* Prometheus label values: escapes, then the text rule. */
static const struct text_case label_cases[] = {
    {"a\"b\\c\nd", "a\\\"b\\\\c\\nd"}, {"esc\x1b[2J", "esc?[2J"},      {"csi\xc2\x9b", "csi?"},
    {"rlo\xe2\x80\xae", "rlo?"},       {"bad\xff", "bad\xef\xbf\xbd"},
};

static void test_prom_label_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(label_cases) / sizeof(label_cases[0]); i++) {
                struct mb_buf b = MB_BUF_INIT;
                assert_int_equal(mb_prom_escape_label(&b, label_cases[i].in), 0);
                if (strcmp(b.data ? b.data : "", label_cases[i].want))
                        fail_msg("label case %zu: got <%s>", i, b.data ? b.data : "");
                mb_buf_release(&b);
        }
}

static char *print_table(struct mb_table *t, int *ret)
{
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        assert_non_null(f);
        *ret = mb_table_print(t, f, false);
        fclose(f);
        return out;
}

static void test_table_cells_cleaned(void **state)
{
        struct mb_table t;
        char *out;
        int r;

        (void)state;
        mb_table_init(&t);
        mb_table_col(&t, "A", false, 0);
        mb_table_col(&t, "B", false, 0);
        mb_table_cell(&t, "x\xc2\x9by\xe2\x80\xae");
        mb_table_cell(&t, "\xff");
        out = print_table(&t, &r);
        assert_int_equal(r, 0);
        assert_string_equal(out, "x?y?  ?\n");
        free(out);
        mb_table_release(&t);
}

/* Out of memory mid-row: the row is dropped whole, no column shifts. */
static void test_table_enomem_drops_row(void **state)
{
        struct mb_table t;
        char *out, big[64];
        int r;

        (void)state;
        mb_table_init(&t);
        t.cells.max = 40; /* room for about two rows */
        mb_table_col(&t, "PID", true, 0);
        mb_table_col(&t, "NAME", false, 0);
        mb_table_col(&t, "RSS", true, 0);
        mb_table_cell(&t, "1");
        mb_table_cell(&t, "init");
        mb_table_cell(&t, "10");
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        mb_table_cell(&t, "2");
        mb_table_cell(&t, big); /* does not fit: row 2 is dropped */
        mb_table_cell(&t, "20");
        mb_table_cell(&t, "3"); /* ignored after the error */
        mb_table_cell(&t, "c");
        mb_table_cell(&t, "30");
        out = print_table(&t, &r);
        assert_int_equal(r, -EFBIG);
        assert_int_equal(t.nrows, 1);
        assert_string_equal(out, "1  init  10\n");
        free(out);
        mb_table_release(&t);
}

/* SVG text (the chart's title, a series label): markup escaped, invalid
 * UTF-8 and controls replaced, so the document stays well-formed XML. */
static void test_svg_text_clean(void **state)
{
        const double t[] = {0, 60}, v[] = {1 << 20, 2 << 20};
        const struct mb_svg_series series[] = {{"py\xff<x>&\xe2\x80\xae\x1b", "#336699", v}};
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        (void)state;
        assert_non_null(f);
        assert_int_equal(mb_svg_chart(f, "title \xc2\x9b\x07", t, 2, series, 1, NULL, 0), 0);
        fclose(f);
        assert_non_null(strstr(out, "py?&lt;x&gt;&amp;??"));
        assert_non_null(strstr(out, "title ??"));
        assert_true(mb_text_is_clean(out, 0));
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)out[i] == 0xff || (unsigned char)out[i] == 0x1b)
                        fail_msg("raw byte 0x%02x at %zu", (unsigned char)out[i], i);
        free(out);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_clean_table),
            cmocka_unit_test(test_clean_cut_at_boundary),
            cmocka_unit_test(test_csv_table),
            cmocka_unit_test(test_prom_label_table),
            cmocka_unit_test(test_table_cells_cleaned),
            cmocka_unit_test(test_table_enomem_drops_row),
            cmocka_unit_test(test_svg_text_clean),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
