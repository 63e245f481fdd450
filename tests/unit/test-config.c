/* test-config.c: the configuration loader (lib/config/config.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../lib/config/config.h"
#include "fixture-path.h"

/* Load `text`; expect an error at line:col whose message contains `msg`. */
static void bad_at(const char *text, int line, int col, const char *msg)
{
        struct mb_config c;
        struct mb_config_warnings w = {0};
        struct mb_error err = {0};
        int r = mb_config_load_buffer("t.json", text, strlen(text), false, &c, &w, &err);

        if (r != -EINVAL || err.line != line || err.col != col || !strstr(err.msg, msg))
                fail_msg("for %s\n got %d %s:%d:%d: %s\nwant -EINVAL t.json:%d:%d: ...%s...", text,
                         r, err.where, err.line, err.col, err.msg, line, col, msg);
        assert_string_equal(err.where, "t.json");
        assert_int_equal(w.n, 0); /* an error comes alone */
        mb_config_warnings_release(&w);
        mb_config_release(&c);
}

static void good(const char *text, bool strict, struct mb_config *c, struct mb_config_warnings *w)
{
        struct mb_error err = {0};
        int r = mb_config_load_buffer("t.json", text, strlen(text), strict, c, w, &err);

        if (r != 0)
                fail_msg("for %s\n got %d %s:%d:%d: %s", text, r, err.where, err.line, err.col,
                         err.msg);
}

static void test_syntax(void **state)
{
        (void)state;
        bad_at("{\"memory\": tru}", 1, 12, "invalid token near 'tru'");
        bad_at("{\n  \"memory\": {\n    \"ram_max_mb\": 3500\n    \"vram_max_mb\": 4000\n  }\n}", 4,
               5, "missing ','");
        bad_at("{\"a\": [1 2]}", 1, 10, "missing ',' between elements");
        bad_at("{\"a\": 1} x", 1, 10, "end of file expected");
        bad_at("{\"a\": \"x\ny\"}", 1, 7, "unexpected newline");
        bad_at("{\"a\": 1", 1, 8, "end of file");
        bad_at("{'a': 1}", 1, 2, "double quotes");
        bad_at("{a: 1}", 1, 2, "keys must be strings");
        bad_at("{\"a\": True}", 1, 7, "JSON literals are true, false and null");
        bad_at("{\"a\": 1, \"a\": 2}", 1, 10, "duplicate object key");
        bad_at("{\"a\": 1}\n// done\n", 2, 1, "'//' comments are not allowed");
}

static void test_hash_comment(void **state)
{
        (void)state;
        bad_at("# config\n{}", 1, 1, "'#' comments are not allowed in JSON");
        bad_at("{\n  \"memory\": {}, # the budget\n  \"gpu\": {}\n}", 2, 17,
               "'#' comments are not allowed in JSON");
}

static void test_trailing_comma(void **state)
{
        (void)state;
        /* Points at the comma, not at the brace after it. */
        bad_at("{\n  \"memory\": {\n    \"ram_max_mb\": 3500,\n  }\n}", 3, 23,
               "trailing comma: JSON does not allow ',' before '}'");
        bad_at("{\"guard\": {\"hook\": [\"a\", \"b\", ]}}", 1, 29,
               "trailing comma: JSON does not allow ',' before ']'");
}

static void test_wrong_type(void **state)
{
        (void)state;
        bad_at("{\n  \"memory\": {\n    \"ram_max_mb\": \"3500\"\n  }\n}", 3, 19,
               "memory.ram_max_mb must be an integer (MiB), not a string (\"3500\")");
        bad_at("{\"memory\": {\"ram_max_mb\": 3500.5}}", 1, 27,
               "memory.ram_max_mb must be an integer (MiB), not 3500.5");
        bad_at("{\"system\": {\"drop_caches\": \"yes\"}}", 1, 28, "must be true or false");
        bad_at("{\"gpu\": {\"memory_fraction\": null}}", 1, 29, "must be a number, not null");
        bad_at("{\"target\": {\"match\": 5}}", 1, 22, "target.match must be a string, not 5");
        bad_at("{\"guard\": {\"hook\": \"/bin/true\"}}", 1, 20, "must be an array of strings");
        /* a user who does not exist would match nothing: refused where named */
        bad_at("{\"target\": {\"match\": \"x\", \"user\": \"mbtest-no-such-user\"}}", 1, 35,
               "target.user: no user 'mbtest-no-such-user' on this host");
        bad_at("{\"guard\": {\"kill_user\": \"mbtest-no-such-user\"}}", 1, 25,
               "guard.kill_user: no user 'mbtest-no-such-user' on this host");
        bad_at("{\"guard\": {\"hook\": [\"/bin/x\",\n  7]}}", 2, 3,
               "guard.hook[1] must be a string, not an integer");
        bad_at("{\"guard\": {\"hook\": [\"\"]}}", 1, 21, "cannot be empty");
}

static void test_ranges(void **state)
{
        (void)state;
        bad_at("{\"memory\": {\"ram_max_mb\": -1}}", 1, 27,
               "memory.ram_max_mb must not be negative (a size in MiB), not -1");
        bad_at("{\"memory\": {\"swap_max_mb\": -500}}", 1, 28, "must not be negative");
        bad_at("{\"system\": {\"vm_swappiness\": 300}}", 1, 30,
               "system.vm_swappiness must be between 0 and 200, not 300");
        bad_at("{\"system\": {\"vm_swappiness\": -1}}", 1, 30, "between 0 and 200, not -1");
        bad_at("{\"gpu\": {\"memory_fraction\": 0}}", 1, 29,
               "gpu.memory_fraction must be greater than 0 and at most 1, not 0");
        bad_at("{\"gpu\": {\"memory_fraction\": 1.5}}", 1, 29,
               "gpu.memory_fraction must be greater than 0 and at most 1, not 1.5");
        bad_at("{\"monitor\": {\"interval_s\": 0}}", 1, 28, "greater than 0");
        bad_at("{\"monitor\": {\"retention_days\": 0}}", 1, 32, "between 1 and");
        bad_at("{\"memory\": {\"ram_max_mb\": 9223372036854775807}}", 1, 27,
               "between 0 and 8796093022207");
        bad_at("{\"serve\": {\"listen\": \"9587\"}}", 1, 22, "is not ADDR:PORT");
        bad_at("{\"serve\": {\"listen\": \"127.0.0.1:99999\"}}", 1, 22, "is not ADDR:PORT");
        bad_at("{\"target\": {\"unit\": \"my unit\"}}", 1, 21, "not a systemd unit name");
}

static void test_bad_regex(void **state)
{
        (void)state;
        bad_at("{\n  \"target\": {\"match\": \"python.*(omnimind\"}\n}", 2, 23,
               "target.match: invalid regex 'python.*(omnimind'");
        bad_at("{\"guard\": {\"kill_match\": \"[\"}}", 1, 26, "guard.kill_match: invalid regex");
}

static void test_structure(void **state)
{
        (void)state;
        bad_at("{\n  \"memory\": [7500]\n}", 2, 13,
               "section memory must be an object {...}, not an array");
        bad_at("{\"gpu\": 4}", 1, 9, "section gpu must be an object {...}, not 4");
        bad_at("  [1, 2]", 1, 3, "must be a JSON object {...}, not an array");
        bad_at("42", 1, 1, "must be a JSON object");
}

/* jansson keeps no positions: the scanner must get past escapes, strings
 * with brackets and quotes, multi-byte characters and nested values. */
static void test_positions(void **state)
{
        (void)state;
        bad_at("{\"app\": {\"s\": \"a\\\"}]{[b\", \"n\": [[{}], {\"x\": [1, {\"y\": \"}\"}]}]},\n"
               " \"memory\": {\"ram_max_mb\": \"x\"}}",
               2, 27, "must be an integer");
        bad_at("{\"memory\": {\"ram\\u005fmax_mb\": -1}}", 1, 32, "must not be negative");
        bad_at("{\"app\": \"\xc3\xa9\xe2\x82\xac\", \"memory\": {\"vram_max_mb\": true}}", 1, 41,
               "not true");
        bad_at("{\"\\ud83d\\ude00\": 1, \"memory\": {\"ram_max_mb\": -1}}", 1, 46,
               "must not be negative");
        bad_at("{\r\n\t\"system\" :\r\n\t\t{ \"vm_swappiness\" :\t201 } }", 3, 23, "not 201");
}

/* The position scanner against jansson's own output, in every layout:
 * decoys (a "memory" key nested in the application's section, strings
 * holding JSON-like text, non-ASCII escaped or not) must not fool it. */
static void test_positions_dumped(void **state)
{
        static const size_t flags[] = {0,
                                       JSON_INDENT(2),
                                       JSON_INDENT(8),
                                       JSON_COMPACT,
                                       JSON_ENSURE_ASCII | JSON_INDENT(1),
                                       JSON_ENSURE_ASCII | JSON_COMPACT};

        (void)state;
        for (size_t f = 0; f < MB_ARRAY_SIZE(flags); f++) {
                json_t *root = json_pack(
                    "{s:{s:{s:{s:i}},s:s,s:[s,{s:s},[]],s:s},s:{s:s,s:i}}", "app", "nested",
                    "memory", "ram_max_mb", 1, "text", "{\"memory\": {\"ram_max_mb\": [}", "list",
                    "\u00e9\u20ac\U0001F600", "k\"]}", "v\\", "memory\u00e9", "\t\n", "memory",
                    "ram_max_mb", "MARKER", "vram_max_mb", 1);
                char *text, *m;
                int line = 1, col = 1;
                struct mb_config c;
                struct mb_error err = {0};

                assert_non_null(root);
                text = json_dumps(root, flags[f] | JSON_PRESERVE_ORDER);
                assert_non_null(text);
                m = strstr(text, "\"MARKER\"");
                assert_non_null(m);
                for (char *p = text; p < m; p++) {
                        if (*p == '\n') {
                                line++;
                                col = 1;
                        } else if (((unsigned char)*p & 0xC0) != 0x80) {
                                col++;
                        }
                }
                assert_int_equal(
                    mb_config_load_buffer("t.json", text, strlen(text), false, &c, NULL, &err),
                    -EINVAL);
                if (err.line != line || err.col != col)
                        fail_msg("layout %zu: got %d:%d, want %d:%d in\n%s", f, err.line, err.col,
                                 line, col, text);
                free(text);
                json_decref(root);
        }
}

static void test_plan_first_snippet(void **state)
{
        struct mb_config c;
        struct mb_error err = {0};
        const char *path = fixture("config/plan-first-snippet.json");
        int r = mb_config_load(path, false, &c, NULL, &err);

        (void)state;
        assert_int_equal(r, -EINVAL);
        assert_string_equal(err.where, path);
        assert_int_equal(err.line, 1);
        assert_int_equal(err.col, 1);
        assert_non_null(strstr(err.msg, "'#' comments are not allowed in JSON"));
        /* Without its first line, the next mistake: the comment after a value. */
        bad_at("{\n  \"worker_processes\": 2,      # ao invés de 4+\n}", 2, 31,
               "'#' comments are not allowed");
        /* Without any comment, the trailing comma. */
        bad_at("{\n  \"worker_processes\": 2,\n  \"gpu_batch_size\": 4,\n}\n", 3, 22,
               "trailing comma");
        mb_config_release(&c);
}

static void check_plan_values(const struct mb_config *c)
{
        assert_int_equal(c->target_total_mb, 7500);
        assert_int_equal(c->ram_max_mb, 3500);
        assert_int_equal(c->vram_max_mb, 4000);
        assert_int_equal(c->worker_processes, 2);
        assert_int_equal(c->batch_size, 8);
        assert_int_equal(c->cache_size_mb, 256);
        assert_int_equal(c->swap_threshold_mb, 100);
        assert_int_equal(c->gpu_batch_size, 4);
        assert_true(c->memory_fraction > 0.79 && c->memory_fraction < 0.81);
        assert_int_equal(c->tf_force_gpu_allow_growth, 1);
        assert_int_equal(c->vm_swappiness, 10);
}

static void test_plan_proposed(void **state)
{
        struct mb_config c, d;
        struct mb_config_warnings w = {0};
        struct mb_error err = {0};
        const char *path = fixture("config/plan-proposed.json");
        int r = mb_config_load(path, false, &c, &w, &err);

        (void)state;
        if (r)
                fail_msg("%s:%d:%d: %s", err.where, err.line, err.col, err.msg);
        assert_int_equal(w.n, 0);
        assert_true(c.from_file);
        assert_string_equal(c.path, path);
        check_plan_values(&c);
        assert_true(c.drop_caches); /* the plan's own file asks for it */
        /* What the plan does not say keeps its default. */
        mb_config_defaults(&d);
        assert_int_equal(c.swap_max_mb, 500);
        assert_int_equal(c.available_min_mb, 2048);
        assert_string_equal(c.target_match, "");
        assert_string_equal(c.serve_listen, d.serve_listen);
        assert_true(c.serve_interval_s == d.serve_interval_s);
        assert_true(mb_config_is_set(&c, "memory", "ram_max_mb"));
        assert_false(mb_config_is_set(&c, "memory", "swap_max_mb"));
        assert_int_equal(c.sections_set, 7u); /* memory, gpu, system */
        mb_config_release(&c);
}

/* What `config init` writes: loads with no warning, the plan's values,
 * every optional section at its default. */
static void test_init_file(void **state)
{
        struct mb_config c, d;
        struct mb_config_warnings w = {0};

        (void)state;
        good(mb_config_proposed, true, &c, &w);
        assert_int_equal(w.n, 0);
        check_plan_values(&c);
        assert_false(c.drop_caches); /* opt-in: tune drops caches only when asked */
        mb_config_defaults(&d);
#define SAME(f) assert_true(c.f == d.f)
        SAME(swap_max_mb);
        SAME(available_min_mb);
        SAME(thrash_swapin_pages_per_s);
        SAME(thrash_psi_full_avg10);
        SAME(thrash_psi_some_avg10);
        SAME(swap_cycle_factor);
        SAME(swap_cycle_margin_mb);
        SAME(monitor_interval_s);
        SAME(retention_days);
        SAME(monitor_record);
        SAME(monitor_top_n);
        SAME(serve_top_n);
        SAME(serve_interval_s);
        SAME(guard_enabled);
        SAME(guard_dry_run);
        SAME(guard_for_s);
        SAME(guard_swap_used_mb);
        SAME(guard_target_over_ram);
        SAME(guard_available_min_mb);
        SAME(guard_psi_full_avg10);
        SAME(guard_action_log);
        SAME(guard_grace_s);
        SAME(guard_rate_limit_s);
#undef SAME
        assert_null(c.guard_hook[0]);
        assert_string_equal(c.serve_listen, d.serve_listen);
        assert_string_equal(c.target_match, "");
        assert_string_equal(c.guard_kill_match, "");
        assert_int_equal(c.sections_set, (1u << 9) - 1);
        mb_config_release(&c);
}

static void test_full(void **state)
{
        struct mb_config c;
        struct mb_config_warnings w = {0};
        struct mb_error err = {0};
        int r = mb_config_load(fixture("config/full.json"), true, &c, &w, &err);

        (void)state;
        if (r)
                fail_msg("%s:%d:%d: %s", err.where, err.line, err.col, err.msg);
        assert_int_equal(w.n, 0);
        assert_string_equal(c.target_match, "python.*omnimind");
        assert_string_equal(c.target_unit, "omnimind.service");
        assert_int_equal(c.swap_max_mb, 400);
        assert_int_equal(c.available_min_mb, 3072);
        assert_true(c.monitor_interval_s == 5);
        assert_true(c.serve_interval_s == 5); /* follows monitor.interval_s */
        assert_string_equal(c.history_path, "/var/lib/membudget/h.db");
        assert_int_equal(c.retention_days, 7);
        assert_true(c.monitor_record);
        assert_string_equal(c.serve_listen, "[::1]:9100");
        assert_true(c.guard_enabled);
        assert_false(c.guard_dry_run);
        assert_int_equal(c.guard_swap_used_mb, 1024);
        assert_int_equal(c.guard_available_min_mb, -1); /* null = off */
        assert_true(c.guard_psi_full_avg10 == 20);
        assert_string_equal(c.guard_hook[0], "/usr/local/bin/notify");
        assert_string_equal(c.guard_hook[1], "--level");
        assert_string_equal(c.guard_hook[2], "high");
        assert_null(c.guard_hook[3]);
        assert_string_equal(c.guard_kill_match, "^/usr/lib/firefox/");
        assert_true(c.thrash_swapin_pages_per_s == 250);
        assert_true(c.swap_cycle_factor == 1.5);

        /* The JSON rendering: sizes in bytes under *_bytes, unset = null. */
        json_t *j = mb_config_json(&c);
        assert_non_null(j);
        assert_int_equal(
            json_integer_value(json_object_get(json_object_get(j, "memory"), "ram_max_bytes")),
            3500LL << 20);
        assert_int_equal(json_integer_value(
                             json_object_get(json_object_get(j, "memory"), "swap_threshold_bytes")),
                         100LL << 20);
        assert_true(
            json_is_null(json_object_get(json_object_get(j, "guard"), "available_min_bytes")));
        assert_int_equal(json_array_size(json_object_get(json_object_get(j, "guard"), "hook")), 3);
        json_decref(j);
        mb_config_release(&c);
        assert_null(c.guard_hook[0]);
}

static void test_empty(void **state)
{
        (void)state;
        bad_at("", 1, 1, "empty file");
        bad_at(" \n\t\n", 1, 1, "empty file");
        bad_at("\xEF\xBB\xBF{}", 1, 1, "byte-order mark");
        {
                struct mb_config c;
                struct mb_config_warnings w = {0};
                good("{}", false, &c, &w);
                assert_int_equal(w.n, 0);
                assert_int_equal(c.ram_max_mb, 3500);
                assert_int_equal(c.sections_set, 0);
                mb_config_release(&c);
        }
}

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A 10 MB file (the application's own big section): loads, quickly. */
static void test_big_file(void **state)
{
        size_t cap = 11u << 20, n = 0;
        char *buf = malloc(cap);
        struct mb_config c;
        struct mb_config_warnings w = {0};
        double t0;

        (void)state;
        assert_non_null(buf);
        n += (size_t)sprintf(buf + n, "{\"app\": {\"items\": [");
        for (int i = 0; n < (10u << 20); i++)
                n += (size_t)sprintf(buf + n, "%s{\"id\": %d, \"name\": \"item \\\"%d\\\" [x]\"}",
                                     i ? ", " : "", i, i);
        n += (size_t)sprintf(buf + n, "]},\n\"memory\": {\"ram_max\": 1, \"ram_max_mb\": 3000}}");
        t0 = now();
        good(buf, false, &c, &w);
        assert_true(now() - t0 < 5.0);
        assert_int_equal(c.ram_max_mb, 3000);
        assert_int_equal(w.n, 2); /* app, memory.ram_max */
        assert_string_equal(w.w[0].msg, "unknown key app (not used by membudget)");
        assert_int_equal(w.w[0].line, 1);
        assert_int_equal(w.w[0].col, 2);
        assert_string_equal(w.w[1].msg, "unknown key memory.ram_max: did you mean ram_max_mb?");
        assert_int_equal(w.w[1].line, 2);
        assert_int_equal(w.w[1].col, 12);
        mb_config_warnings_release(&w);
        mb_config_release(&c);

        /* Past the cap: refused before parsing. */
        {
                struct mb_error err = {0};
                char *big = calloc(1, MB_CONFIG_MAX_BYTES + 2);
                assert_non_null(big);
                memset(big, ' ', MB_CONFIG_MAX_BYTES + 1);
                assert_int_equal(mb_config_load_buffer("t.json", big, MB_CONFIG_MAX_BYTES + 1,
                                                       false, &c, NULL, &err),
                                 -EINVAL);
                assert_non_null(strstr(err.msg, "16 MiB"));
                free(big);
        }
        free(buf);
}

static void test_big_file_on_disk(void **state)
{
        char path[] = "/tmp/config-test-big-XXXXXX";
        int fd = mkstemp(path);
        struct mb_config c;
        struct mb_error err = {0};
        char *blk = malloc(1 << 20);

        (void)state;
        assert_true(fd >= 0);
        assert_non_null(blk);
        memset(blk, ' ', 1 << 20);
        blk[0] = '{';
        for (int i = 0; i < 17; i++)
                assert_int_equal(write(fd, blk, 1 << 20), 1 << 20);
        assert_int_equal(write(fd, "}", 1), 1);
        close(fd);
        assert_int_equal(mb_config_load(path, false, &c, NULL, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "16 MiB"));
        assert_int_equal(mb_config_load("/nonexistent/config-test.json", false, &c, NULL, &err),
                         -ENOENT);
        assert_non_null(strstr(err.msg, "cannot read"));
        assert_int_equal(mb_config_load("/tmp", false, &c, NULL, &err), -EISDIR);
        unlink(path);
        free(blk);
}

static void test_deep_nesting(void **state)
{
        size_t n = 100000;
        char *buf = malloc(2 * n + 64);
        struct mb_config c;
        struct mb_config_warnings w = {0};
        size_t len;

        (void)state;
        assert_non_null(buf);
        memset(buf, '[', n);
        buf[n] = '\0';
        bad_at(buf, 1, 2049, "nesting too deep");
        /* As deep as allowed, inside an application section: fine. */
        len = (size_t)sprintf(buf, "{\"app\": ");
        memset(buf + len, '[', 2000);
        memset(buf + len + 2000, ']', 2000);
        len += 4000;
        sprintf(buf + len, ", \"system\": {\"vm_swappiness\": 7}}");
        good(buf, false, &c, &w);
        assert_int_equal(c.vm_swappiness, 7);
        assert_int_equal(w.n, 1);
        mb_config_warnings_release(&w);
        /* ... and a position is still found after it. */
        sprintf(buf + len, ", \"system\": {\"vm_swappiness\": 700}}");
        bad_at(buf, 1, 4039, "not 700");
        free(buf);
}

static void test_unknown_keys(void **state)
{
        struct mb_config c;
        struct mb_config_warnings w = {0};
        const char *text = "{\n"
                           "  \"memory\": {\"ram_max\": 3000, \"swap_treshold\": 1},\n"
                           "  \"gpu\": {\"vm_swappiness\": 5, \"frobnicate\": 1},\n"
                           "  \"worker_processes\": 2,\n"
                           "  \"Memory\": {},\n"
                           "  \"max_connections\": 20\n"
                           "}";

        (void)state;
        good(text, false, &c, &w);
        assert_int_equal(w.n, 7);
        assert_string_equal(w.w[0].msg, "unknown key memory.ram_max: did you mean ram_max_mb?");
        assert_int_equal(w.w[0].line, 2);
        assert_int_equal(w.w[0].col, 14);
        assert_string_equal(w.w[1].msg,
                            "unknown key memory.swap_treshold: did you mean swap_threshold?");
        assert_string_equal(w.w[2].msg,
                            "unknown key gpu.vm_swappiness: did you mean system.vm_swappiness?");
        assert_int_equal(w.w[2].line, 3);
        assert_int_equal(w.w[2].col, 11);
        assert_string_equal(w.w[3].msg, "unknown key gpu.frobnicate (not used by membudget)");
        assert_string_equal(w.w[4].msg,
                            "unknown key worker_processes: did you mean memory.worker_processes?");
        assert_int_equal(w.w[4].line, 4);
        assert_int_equal(w.w[4].col, 3);
        assert_string_equal(w.w[5].msg, "unknown key Memory: did you mean memory?");
        /* The application's own keys: warned about, nothing suggested. */
        assert_string_equal(w.w[6].msg, "unknown key max_connections (not used by membudget)");
        assert_int_equal(w.w[6].line, 6);
        assert_int_equal(w.w[6].col, 3);
        mb_config_warnings_release(&w);
        mb_config_release(&c);
}

static void test_strict(void **state)
{
        struct mb_config c;
        struct mb_config_warnings w = {0};
        struct mb_error err = {0};
        const char *text = "{\"memory\": {\"ram_max_mb\": 3000,\n \"ram_max\": 1}}";

        (void)state;
        assert_int_equal(mb_config_load_buffer("t.json", text, strlen(text), true, &c, &w, &err),
                         -EINVAL);
        assert_int_equal(err.line, 2);
        assert_int_equal(err.col, 2);
        assert_string_equal(err.msg, "unknown key memory.ram_max: did you mean ram_max_mb?");
        /* The failed load leaves the defaults. */
        assert_int_equal(c.ram_max_mb, 3500);
        assert_false(c.from_file);
        mb_config_release(&c);
        /* Without strict it loads. */
        good(text, false, &c, &w);
        assert_int_equal(c.ram_max_mb, 3000);
        assert_int_equal(w.n, 1);
        mb_config_warnings_release(&w);
        mb_config_release(&c);
}

static void test_budget_warning(void **state)
{
        struct mb_config c;
        struct mb_config_warnings w = {0};
        const char *text = "{\"memory\": {\"target_total_mb\": 7000, \"ram_max_mb\": 3500,\n"
                           "  \"vram_max_mb\": 4000}}";

        (void)state;
        good(text, true, &c, &w); /* a warning even with strict */
        assert_int_equal(w.n, 1);
        assert_string_equal(w.w[0].msg, "memory.ram_max_mb + memory.vram_max_mb = 7500 MiB is "
                                        "above memory.target_total_mb = 7000 MiB");
        assert_int_equal(w.w[0].line, 1);
        assert_int_equal(w.w[0].col, 32);
        mb_config_warnings_release(&w);
        mb_config_release(&c);
        good("{\"guard\": {\"enabled\": true}}", false, &c, &w);
        assert_int_equal(w.n, 1);
        assert_non_null(strstr(w.w[0].msg, "no condition is set"));
        mb_config_warnings_release(&w);
        mb_config_release(&c);
}

static void test_many_warnings(void **state)
{
        struct mb_config c;
        struct mb_config_warnings w = {0};
        char *buf = malloc(1 << 20);
        size_t n = 0;

        (void)state;
        assert_non_null(buf);
        n += (size_t)sprintf(buf, "{\"memory\": {");
        for (int i = 0; i < 10000; i++)
                n += (size_t)sprintf(buf + n, "%s\"k%d\": %d", i ? ", " : "", i, i);
        sprintf(buf + n, "}}");
        good(buf, false, &c, &w);
        assert_int_equal(w.n, 51);
        assert_string_equal(w.w[50].msg, "9950 more warnings from here on not shown");
        mb_config_warnings_release(&w);
        mb_config_release(&c);
        free(buf);
}

/* Issue 15.7 and 15.13: a FIFO as configuration fails at once (never
 * blocks); as root, a configuration others can write (or own) is refused. */
static void test_untrusted(void **state)
{
        char dir[] = "/tmp/mbtest-config-trust.XXXXXX", path[128];
        struct mb_config c;
        struct mb_config_warnings w = {0};
        struct mb_error err = {0};
        const char *body = "{\"memory\": {\"ram_max_mb\": 100}}";
        int fd;

        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/membudget.json", dir);
        assert_int_equal(mkfifo(path, 0600), 0);
        assert_int_equal(mb_config_load(path, false, &c, &w, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "not a regular file"));
        unlink(path);
        fd = open(path, O_WRONLY | O_CREAT, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
        close(fd);
        assert_int_equal(mb_config_load(path, false, &c, &w, &err), 0);
        mb_config_release(&c);
        mb_config_warnings_release(&w);
        chmod(path, 0666);
        if (geteuid() == 0) {
                assert_int_equal(mb_config_load(path, false, &c, &w, &err), -EPERM);
                assert_non_null(strstr(err.msg, "writable by group or others (mode 0666)"));
                chmod(path, 0644);
                assert_int_equal(chown(path, 65534, 65534), 0);
                assert_int_equal(mb_config_load(path, false, &c, &w, &err), -EPERM);
                assert_non_null(strstr(err.msg, "owned by uid 65534, not root"));
        } else { /* a user's own configuration is theirs to trust */
                assert_int_equal(mb_config_load(path, false, &c, &w, &err), 0);
                mb_config_release(&c);
                mb_config_warnings_release(&w);
        }
        unlink(path);
        rmdir(dir);
}

static void test_find(void **state)
{
        char p[256];

        (void)state;
        assert_int_equal(mb_config_find("/x/y.json", p, sizeof(p)), 0);
        assert_string_equal(p, "/x/y.json");
        setenv("MEMBUDGET_CONFIG", "/from/env.json", 1);
        assert_int_equal(mb_config_find(NULL, p, sizeof(p)), 0);
        assert_string_equal(p, "/from/env.json");
        assert_int_equal(mb_config_find("/x/y.json", p, sizeof(p)), 0);
        assert_string_equal(p, "/x/y.json");
        unsetenv("MEMBUDGET_CONFIG");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_syntax),
            cmocka_unit_test(test_hash_comment),
            cmocka_unit_test(test_trailing_comma),
            cmocka_unit_test(test_wrong_type),
            cmocka_unit_test(test_ranges),
            cmocka_unit_test(test_bad_regex),
            cmocka_unit_test(test_structure),
            cmocka_unit_test(test_positions),
            cmocka_unit_test(test_positions_dumped),
            cmocka_unit_test(test_plan_first_snippet),
            cmocka_unit_test(test_plan_proposed),
            cmocka_unit_test(test_init_file),
            cmocka_unit_test(test_full),
            cmocka_unit_test(test_empty),
            cmocka_unit_test(test_big_file),
            cmocka_unit_test(test_big_file_on_disk),
            cmocka_unit_test(test_deep_nesting),
            cmocka_unit_test(test_unknown_keys),
            cmocka_unit_test(test_strict),
            cmocka_unit_test(test_budget_warning),
            cmocka_unit_test(test_many_warnings),
            cmocka_unit_test(test_find),
            cmocka_unit_test(test_untrusted),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
