/* test-prom.c: the Prometheus text writer (lib/out/prom.c). */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../lib/diag/take.h"
#include "../../lib/out/json.h"
#include "../../lib/out/prom.h"
#include "fixture-path.h"

static void test_escape_label(void **state)
{
        struct mb_buf b = MB_BUF_INIT;

        (void)state;
        assert_int_equal(mb_prom_escape_label(&b, "C:\\dir \"quoted\"\nnext"), 0);
        assert_string_equal(b.data, "C:\\\\dir \\\"quoted\\\"\\nnext");
        mb_buf_reset(&b);
        /* valid UTF-8 kept, invalid bytes replaced by U+FFFD */
        assert_int_equal(mb_prom_escape_label(&b, "caf\xc3\xa9 \xff\xc3("), 0);
        assert_string_equal(b.data, "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd(");
        mb_buf_reset(&b);
        /* overlong encoding and a surrogate are invalid */
        assert_int_equal(mb_prom_escape_label(&b, "\xc0\xaf\xed\xa0\x80"), 0);
        assert_null(strstr(b.data, "\xc0"));
        assert_null(strstr(b.data, "\xed\xa0"));
        mb_buf_reset(&b);
        assert_int_equal(mb_prom_escape_help(&b, "a\\b\nc\"d"), 0);
        assert_string_equal(b.data, "a\\\\b\\nc\"d"); /* quotes are not escaped in HELP */
        mb_buf_release(&b);
}

static void test_format_value(void **state)
{
        char buf[64];

        (void)state;
        mb_prom_format_value(8589934592.0, buf, sizeof(buf));
        assert_string_equal(buf, "8589934592");
        mb_prom_format_value(0, buf, sizeof(buf));
        assert_string_equal(buf, "0");
        mb_prom_format_value(0.25, buf, sizeof(buf));
        assert_string_equal(buf, "0.25");
        mb_prom_format_value(NAN, buf, sizeof(buf));
        assert_string_equal(buf, "NaN");
        mb_prom_format_value(INFINITY, buf, sizeof(buf));
        assert_string_equal(buf, "+Inf");
        mb_prom_format_value(-INFINITY, buf, sizeof(buf));
        assert_string_equal(buf, "-Inf");
        mb_prom_format_value(0.1, buf, sizeof(buf));
        assert_true(strtod(buf, NULL) == 0.1);
}

/* Issue 15 item 25: no float noise in Prometheus samples or JSON reals. */
static void test_no_float_noise(void **state)
{
        static const struct {
                double v;
                const char *want;
        } cases[] = {
            {0.58354049000000074, "0.58354049"}, {0.1 + 0.2, "0.3"}, {1.0 / 3.0, "0.333333333333"},
            {1764825726.126, "1764825726.13"},   {2.5, "2.5"},
        };
        char buf[64];

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                json_t *j = json_real(cases[i].v);
                char *s = json_dumps(j, JSON_ENCODE_ANY | MB_JSON_DEFAULT);
                mb_prom_format_value(cases[i].v, buf, sizeof(buf));
                if (strcmp(buf, cases[i].want) || strcmp(s, cases[i].want))
                        fail_msg("case %zu: prom '%s', json '%s', want '%s'", i, buf, s,
                                 cases[i].want);
                free(s);
                json_decref(j);
        }
}

static void test_descriptor_table(void **state)
{
        regex_t re;

        (void)state;
        assert_int_equal(regcomp(&re, "^membudget_[a-z0-9_]+$", REG_EXTENDED | REG_NOSUB), 0);
        for (int i = 0; i < MB_PM_COUNT; i++) {
                const struct mb_prom_desc *d = &mb_prom_descs[i];
                size_t n;
                assert_non_null(d->name);
                assert_non_null(d->help);
                assert_true(d->help[0] != '\0');
                if (regexec(&re, d->name, 0, NULL, 0) != 0)
                        fail_msg("metric name '%s' is not membudget_[a-z0-9_]+", d->name);
                n = strlen(d->name);
                bool total = n > 6 && !strcmp(d->name + n - 6, "_total");
                if ((d->type == MB_PROM_COUNTER) != total)
                        fail_msg("%s: counters (and only counters) end in _total", d->name);
                for (int j = 0; j < i; j++)
                        if (!strcmp(mb_prom_descs[j].name, d->name))
                                fail_msg("metric name '%s' twice in the table", d->name);
        }
        regfree(&re);
}

/* Every sample's metric has exactly one HELP and one TYPE, before it, and
 * the family is contiguous; no series twice. */
static void check_exposition(const char *text)
{
        char *copy = strdup(text), *save = NULL, *line;
        char names[256][96], series[1024][256];
        int nnames = 0, nseries = 0;
        char cur[96] = "", help_for[96] = "", type_for[96] = "";

        assert_non_null(copy);
        assert_true(text[0] && text[strlen(text) - 1] == '\n');
        for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char name[96];
                if (!strncmp(line, "# HELP ", 7)) {
                        sscanf(line + 7, "%95s", help_for);
                        for (int i = 0; i < nnames; i++)
                                if (!strcmp(names[i], help_for))
                                        fail_msg("second HELP for %s", help_for);
                        continue;
                }
                if (!strncmp(line, "# TYPE ", 7)) {
                        sscanf(line + 7, "%95s", type_for);
                        if (strcmp(type_for, help_for) != 0)
                                fail_msg("TYPE %s does not follow its HELP", type_for);
                        assert_true(nnames < 256);
                        strcpy(names[nnames++], type_for);
                        strcpy(cur, type_for);
                        continue;
                }
                size_t n = strcspn(line, "{ ");
                assert_true(n < sizeof(name));
                memcpy(name, line, n);
                name[n] = '\0';
                if (strcmp(name, cur) != 0)
                        fail_msg("sample of %s outside its family (current %s)", name, cur);
                char *sp = strrchr(line, ' ');
                assert_non_null(sp);
                *sp = '\0';
                for (int i = 0; i < nseries; i++)
                        if (!strcmp(series[i], line))
                                fail_msg("series %s twice", line);
                assert_true(nseries < 1024 && strlen(line) < 256);
                strcpy(series[nseries++], line);
        }
        free(copy);
}

static void test_writer_pairs_and_contiguity(void **state)
{
        struct mb_buf b = MB_BUF_INIT;
        struct mb_prom p;
        const char *l1[] = {"pid", "1", "name", "a\"b", NULL};
        const char *l2[] = {"pid", "2", "name", "x\\y\nz", NULL};

        (void)state;
        mb_prom_begin(&p, &b);
        mb_prom_sample(&p, MB_PM_PROC_RSS, l1, 100);
        mb_prom_sample(&p, MB_PM_PROC_RSS, l2, 200);
        mb_prom_sample(&p, MB_PM_SWAP_IN, NULL, 7);
        assert_int_equal(mb_prom_end(&p), 0);
        assert_non_null(strstr(b.data, "# HELP membudget_top_process_resident_bytes "));
        assert_non_null(strstr(b.data, "# TYPE membudget_top_process_resident_bytes gauge\n"));
        assert_non_null(strstr(b.data, "# TYPE membudget_swap_in_pages_total counter\n"));
        assert_non_null(strstr(
            b.data, "membudget_top_process_resident_bytes{pid=\"1\",name=\"a\\\"b\"} 100\n"));
        assert_non_null(
            strstr(b.data, "membudget_top_process_resident_bytes{pid=\"2\",name=\"x\\\\y\\nz\"} "
                           "200\n"));
        check_exposition(b.data);
        /* reopening a family after another one is refused */
        mb_prom_sample(&p, MB_PM_PROC_RSS, l1, 1);
        assert_int_equal(mb_prom_end(&p), -EINVAL);
        mb_buf_release(&b);
}

static void render_fixture(const char *name, const char *target_match, struct mb_buf *b)
{
        struct mb_root root;
        struct mb_snapshot s;
        struct mb_target tg;
        struct mb_config c;
        struct mb_error err = {0};
        struct mb_diag_opts o = {.gpu = true};
        struct mb_findings fs = {0};
        struct mb_metrics m;
        struct mb_problem_input in = {0};
        struct mb_prom_input pi = {0};
        struct mb_prom_guard pg = {.enabled = true, .events = {1, 0, 0, 2}, .actions = {3, 0, 1}};
        struct mb_prom_leak lk = {.pid = 42, .name = "leaky\"one", .slope = 1234.5};
        char proc[1024], sys[1024];
        regex_t re;

        snprintf(proc, sizeof(proc), "%s/proc", fixture(name));
        snprintf(sys, sizeof(sys), "%s/sys", fixture(name));
        assert_int_equal(mb_root_open(&root, proc, sys), 0);
        mb_config_defaults(&c);
        if (target_match) {
                assert_int_equal(regcomp(&re, target_match, REG_EXTENDED | REG_NOSUB), 0);
                o.target_match = &re;
        }
        mb_snapshot_init(&s);
        assert_int_equal(mb_diag_take(&root, &o, &s, &tg, &err), 0);
        in.snap = &s;
        in.cfg = &c;
        in.target = &tg;
        in.persisted_swappiness = -1;
        assert_true(mb_problems_run(&in, &fs) >= 0);
        mb_metrics_compute(&s, &tg, &c, &m);
        pi.snap = &s;
        pi.target = &tg;
        pi.cfg = &c;
        pi.budget = &m;
        pi.findings = &fs;
        pi.leaks = &lk;
        pi.nleaks = 1;
        pi.guard = &pg;
        pi.top_n = 3;
        pi.version = "test";
        pi.sample_duration_s = 0.01;
        assert_int_equal(mb_prom_render(b, &pi), 0);
        assert_int_equal(mb_prom_render_age(b, 1.5), 0);
        mb_findings_release(&fs);
        mb_snapshot_release(&s);
        mb_config_release(&c);
        mb_root_close(&root);
        if (target_match)
                regfree(&re);
}

static void test_render_thrashing_fixture(void **state)
{
        struct mb_buf b = MB_BUF_INIT;

        (void)state;
        render_fixture("scenario-thrashing", NULL, &b);
        check_exposition(b.data);
        assert_non_null(strstr(b.data, "\nmembudget_up 1\n"));
        assert_non_null(strstr(b.data, "\nmembudget_swap_used_bytes 3221225472\n"));
        assert_non_null(strstr(b.data, "\nmembudget_memory_total_bytes 17179869184\n"));
        assert_non_null(
            strstr(b.data, "membudget_pressure_memory_full_ratio{window=\"10s\"} 0.25\n"));
        assert_non_null(
            strstr(b.data, "membudget_problem{id=\"swap-thrashing\",severity=\"critical\"} 1\n"));
        assert_non_null(strstr(
            b.data, "membudget_top_process_swap_bytes{pid=\"4242\",name=\"python\"} 2147483648\n"));
        assert_non_null(strstr(
            b.data,
            "membudget_leak_slope_bytes_per_second{pid=\"42\",name=\"leaky\\\"one\"} 1234.5\n"));
        assert_non_null(strstr(b.data, "membudget_guard_events_total{condition=\"psi_full\"} 2\n"));
        assert_non_null(strstr(b.data, "membudget_guard_actions_total{action=\"signal\"} 1\n"));
        assert_non_null(strstr(b.data, "\nmembudget_sample_age_seconds 1.5\n"));
        assert_non_null(strstr(b.data, "\nmembudget_budget_swap_max_bytes 524288000\n"));
        /* no target configured: no target series */
        assert_null(strstr(b.data, "membudget_target_ram_bytes"));
        mb_buf_release(&b);
}

static void test_render_target_fixture(void **state)
{
        struct mb_buf b = MB_BUF_INIT;

        (void)state;
        render_fixture("scenario-target-over", "omnimind", &b);
        check_exposition(b.data);
        assert_non_null(strstr(b.data, "\nmembudget_target_processes "));
        assert_non_null(strstr(b.data, "\nmembudget_target_ram_bytes "));
        assert_non_null(strstr(b.data, "\nmembudget_target_swap_bytes "));
        mb_buf_release(&b);
}

static void test_render_failed_sample(void **state)
{
        struct mb_buf b = MB_BUF_INIT;
        struct mb_prom_input pi = {0};

        (void)state;
        pi.version = "v\"1";
        assert_int_equal(mb_prom_render(&b, &pi), 0);
        check_exposition(b.data);
        assert_non_null(strstr(b.data, "\nmembudget_up 0\n"));
        assert_non_null(strstr(b.data, "membudget_build_info{version=\"v\\\"1\"} 1\n"));
        assert_null(strstr(b.data, "membudget_memory_total_bytes"));
        mb_buf_release(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_escape_label),
            cmocka_unit_test(test_no_float_noise),
            cmocka_unit_test(test_format_value),
            cmocka_unit_test(test_descriptor_table),
            cmocka_unit_test(test_writer_pairs_and_contiguity),
            cmocka_unit_test(test_render_thrashing_fixture),
            cmocka_unit_test(test_render_target_fixture),
            cmocka_unit_test(test_render_failed_sample),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
