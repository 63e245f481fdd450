/* test-procsel.c: columns, sorting and grouping (lib/analyze/procsel.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../lib/analyze/procsel.h"
#include "fixture-path.h"

#define U MB_UNKNOWN

/* ---------------------------------------------------------------- columns */

static void test_column_table(void **state)
{
        (void)state;
        for (int i = 0; i < MB_COL_COUNT; i++) {
                size_t jl = strlen(mb_cols[i].json);
                assert_int_equal(mb_col_lookup(mb_cols[i].name), i);
                /* Sizes are "_bytes" JSON keys, other columns never are. */
                assert_int_equal(mb_cols[i].size,
                                 jl > 6 && strcmp(mb_cols[i].json + jl - 6, "_bytes") == 0);
                assert_true(mb_cols[i].header[0] != '\0');
        }
        assert_int_equal(mb_col_lookup("bogus"), -1);
        assert_int_equal(mb_col_lookup(""), -1);
        assert_int_equal(mb_col_lookup("RSS"), -1); /* names are lower case */
        assert_int_equal(mb_col_lookup("rss "), -1);
        /* Columns that need smaps_rollup or cmdline say so. */
        assert_int_equal(mb_cols[MB_COL_PSS].scan, MB_SCAN_ROLLUP);
        assert_int_equal(mb_cols[MB_COL_USS].scan, MB_SCAN_ROLLUP);
        assert_int_equal(mb_cols[MB_COL_SWAPPSS].scan, MB_SCAN_ROLLUP);
        assert_int_equal(mb_cols[MB_COL_CMDLINE].scan, MB_SCAN_CMDLINE);
        assert_int_equal(mb_cols[MB_COL_RSS].scan, 0);
        assert_int_equal(mb_cols[MB_COL_SWAP].scan, 0);
}

static void test_columns_parse(void **state)
{
        enum mb_col cols[MB_COL_COUNT];
        const char *bad = NULL;
        char many[1024] = "";

        (void)state;
        assert_int_equal(mb_cols_parse("pid,rss,swap", cols, &bad), 3);
        assert_int_equal(cols[0], MB_COL_PID);
        assert_int_equal(cols[1], MB_COL_RSS);
        assert_int_equal(cols[2], MB_COL_SWAP);
        assert_int_equal(mb_cols_parse("cmdline", cols, &bad), 1);
        assert_int_equal(cols[0], MB_COL_CMDLINE);
        assert_int_equal(mb_cols_parse("pid,pid", cols, &bad), 2);
        assert_int_equal(mb_cols_parse("pid,ppid,user,name,cmdline,rss,pss,uss,swap,swappss,vsz,"
                                       "rss_anon,rss_file,rss_shmem",
                                       cols, &bad),
                         14);
        assert_int_equal(cols[13], MB_COL_RSS_SHMEM);

        assert_int_equal(mb_cols_parse("pid,nope", cols, &bad), -EINVAL);
        assert_string_equal(bad, "nope");
        assert_int_equal(mb_cols_parse("nope,pid", cols, &bad), -EINVAL);
        assert_string_equal(bad, "nope");
        /* Regression (fuzz/ASan): a trailing comma once read past the list. */
        assert_int_equal(mb_cols_parse("pid,", cols, &bad), -EINVAL);
        assert_string_equal(bad, "");
        assert_int_equal(mb_cols_parse(",pid", cols, &bad), -EINVAL);
        assert_string_equal(bad, "");
        assert_int_equal(mb_cols_parse("pid,,rss", cols, &bad), -EINVAL);
        assert_string_equal(bad, "");
        assert_int_equal(mb_cols_parse("", cols, &bad), -EINVAL);
        assert_string_equal(bad, "");
        assert_int_equal(mb_cols_parse("PID", cols, &bad), -EINVAL);
        assert_string_equal(bad, "PID");
        assert_int_equal(mb_cols_parse("pid rss", cols, &bad), -EINVAL);
        /* A name longer than any column: reported (cut), no overflow. */
        assert_int_equal(mb_cols_parse("pid,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                       cols, &bad),
                         -EINVAL);
        assert_true(strlen(bad) > 0 && strlen(bad) < 64);
        assert_int_equal(bad[0], 'a');
        /* More entries than columns: refused, never written past cols[]. */
        for (int i = 0; i < MB_COL_COUNT + 3; i++)
                strcat(many, i ? ",rss" : "rss");
        assert_int_equal(mb_cols_parse(many, cols, &bad), -EINVAL);
}

static void test_col_value(void **state)
{
        struct mb_proc p;

        (void)state;
        memset(&p, 0, sizeof(p));
        p.pid = 7, p.ppid = 3;
        p.rss = 1, p.pss = 2, p.uss = 3, p.swap = 4, p.swappss = 5, p.vsz = 6;
        p.rss_anon = 7, p.rss_file = 8, p.rss_shmem = 9, p.gpu = 10;
        assert_int_equal(mb_col_value(&p, MB_COL_PID), 7);
        assert_int_equal(mb_col_value(&p, MB_COL_PPID), 3);
        assert_int_equal(mb_col_value(&p, MB_COL_RSS), 1);
        assert_int_equal(mb_col_value(&p, MB_COL_PSS), 2);
        assert_int_equal(mb_col_value(&p, MB_COL_USS), 3);
        assert_int_equal(mb_col_value(&p, MB_COL_SWAP), 4);
        assert_int_equal(mb_col_value(&p, MB_COL_SWAPPSS), 5);
        assert_int_equal(mb_col_value(&p, MB_COL_VSZ), 6);
        assert_int_equal(mb_col_value(&p, MB_COL_RSS_ANON), 7);
        assert_int_equal(mb_col_value(&p, MB_COL_RSS_FILE), 8);
        assert_int_equal(mb_col_value(&p, MB_COL_RSS_SHMEM), 9);
        assert_int_equal(mb_col_value(&p, MB_COL_GPU), 10);
        assert_true(mb_col_value(&p, MB_COL_NAME) == MB_UNKNOWN);
        assert_true(mb_col_value(&p, MB_COL_USER) == MB_UNKNOWN);
}

/* ---------------------------------------------------------- synthetic table */

struct spec {
        int pid, ppid;
        uint32_t uid;
        const char *name, *cmdline;
        int64_t rss, swap, pss;
};

static void build(struct mb_proctab *t, const struct spec *s, size_t n)
{
        mb_proctab_init(t);
        t->p = calloc(n ? n : 1, sizeof(*t->p));
        assert_non_null(t->p);
        t->n = t->cap = n;
        assert_int_equal(mb_buf_append(&t->strings, "", 1), 0);
        for (size_t i = 0; i < n; i++) {
                struct mb_proc *p = &t->p[i];
                p->pid = s[i].pid;
                p->ppid = s[i].ppid;
                p->uid = s[i].uid;
                mb_strlcpy(p->name, s[i].name, sizeof(p->name));
                p->rss = s[i].rss;
                p->swap = s[i].swap;
                p->pss = s[i].pss;
                p->vsz = p->hwm = p->rss_anon = p->rss_file = p->rss_shmem = U;
                p->uss = p->swappss = p->rollup_swap = p->anon_huge = p->gpu = U;
                if (s[i].cmdline) {
                        p->cmdline = (uint32_t)t->strings.len;
                        assert_int_equal(
                            mb_buf_append(&t->strings, s[i].cmdline, strlen(s[i].cmdline) + 1), 0);
                }
        }
}

static void expect_order(const struct mb_proctab *t, const int *pids, size_t n)
{
        assert_int_equal(t->n, n);
        for (size_t i = 0; i < n; i++)
                if (t->p[i].pid != pids[i])
                        fail_msg("position %zu: pid %d, want %d", i, t->p[i].pid, pids[i]);
}

static const struct spec table1[] = {
    {5, 1, 0, "bash", "bash -l", 100, 0, U},
    {4, 1, 65534, "kworker", NULL, U, U, U},
    {3, 2, 0, "postgres", "/usr/bin/postgres -D x", 300, 50, 250},
    {2, 2, 65534, "zsh", "zsh", 100, U, 90},
    {1, 0, 0, "init", "/sbin/init", 0, 0, 0},
    {6, 1, 0, "bash", "bash", 100, 100, 300},
};

static void test_sort_sizes_unknown_last(void **state)
{
        struct mb_proctab t;
        static const int by_rss[] = {3, 2, 5, 6, 1, 4};
        static const int by_swap[] = {6, 3, 1, 5, 2, 4};
        static const int by_pss[] = {6, 3, 2, 1, 4, 5};
        static const int by_vsz[] = {1, 2, 3, 4, 5, 6}; /* all unknown: by pid */

        (void)state;
        build(&t, table1, MB_ARRAY_SIZE(table1));
        mb_procs_sort(&t, MB_COL_RSS);
        expect_order(&t, by_rss, 6);
        mb_procs_sort(&t, MB_COL_SWAP);
        expect_order(&t, by_swap, 6);
        mb_procs_sort(&t, MB_COL_PSS);
        expect_order(&t, by_pss, 6);
        mb_procs_sort(&t, MB_COL_VSZ);
        expect_order(&t, by_vsz, 6);
        /* Sorting is deterministic: again from another order, same result. */
        mb_procs_sort(&t, MB_COL_SWAP);
        mb_procs_sort(&t, MB_COL_RSS);
        expect_order(&t, by_rss, 6);
        mb_proctab_release(&t);
}

/* The in-place permutation keeps every process whole, for any order. */
static void test_sort_many_rows_intact(void **state)
{
        struct mb_proctab t;
        uint64_t x = 0x9e3779b97f4a7c15ull;

        (void)state;
        mb_proctab_init(&t);
        for (int i = 0; i < 5000; i++) {
                struct mb_proc *p = mb_proctab_slot(&t, 100000 - i * 7);
                assert_non_null(p);
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                p->rss = (int64_t)(x % 64) << 20; /* many ties */
                p->swap = p->pid * 3;
                p->ppid = (int)(x % 50);
                snprintf(p->name, sizeof(p->name), "p%d", p->pid);
                t.n++;
        }
        for (int by = 0; by < 3; by++) {
                enum mb_col col = by == 0 ? MB_COL_RSS : by == 1 ? MB_COL_PPID : MB_COL_PID;
                mb_procs_sort(&t, col);
                for (size_t i = 0; i < t.n; i++) {
                        char want[32];
                        const struct mb_proc *p = &t.p[i];
                        snprintf(want, sizeof(want), "p%d", p->pid);
                        assert_string_equal(p->name, want);
                        assert_int_equal(p->swap, p->pid * 3);
                        if (i == 0)
                                continue;
                        const struct mb_proc *q = &t.p[i - 1];
                        if (col == MB_COL_RSS)
                                assert_true(q->rss > p->rss ||
                                            (q->rss == p->rss && q->pid < p->pid));
                        else if (col == MB_COL_PPID)
                                assert_true(q->ppid < p->ppid ||
                                            (q->ppid == p->ppid && q->pid < p->pid));
                        else
                                assert_true(q->pid < p->pid);
                }
        }
        mb_proctab_release(&t);
}

static void test_sort_text_and_ids(void **state)
{
        struct mb_proctab t;
        static const int by_pid[] = {1, 2, 3, 4, 5, 6};
        static const int by_ppid[] = {1, 4, 5, 6, 2, 3};
        static const int by_name[] = {5, 6, 1, 4, 3, 2};
        /* "" (no cmdline) < "/sbin..." < "/usr..." < "bash" < "bash -l" < "zsh" */
        static const int by_cmd[] = {4, 1, 3, 6, 5, 2};
        /* "nobody" < "root" */
        static const int by_user[] = {2, 4, 1, 3, 5, 6};

        (void)state;
        build(&t, table1, MB_ARRAY_SIZE(table1));
        mb_procs_sort(&t, MB_COL_PID);
        expect_order(&t, by_pid, 6);
        mb_procs_sort(&t, MB_COL_PPID);
        expect_order(&t, by_ppid, 6);
        mb_procs_sort(&t, MB_COL_NAME);
        expect_order(&t, by_name, 6);
        mb_procs_sort(&t, MB_COL_CMDLINE);
        expect_order(&t, by_cmd, 6);
        mb_procs_sort(&t, MB_COL_USER);
        expect_order(&t, by_user, 6);
        mb_proctab_release(&t);
}

static void test_sort_consumers(void **state)
{
        struct mb_proctab t;
        /* RSS + swap: 6: 200, 3: 350, 5: 100, 2: 100 (swap unknown = 0),
         * 1: 0, 4: unknown (last). */
        static const int want[] = {3, 6, 2, 5, 1, 4};

        (void)state;
        build(&t, table1, MB_ARRAY_SIZE(table1));
        mb_procs_sort_consumers(&t);
        expect_order(&t, want, 6);
        mb_proctab_release(&t);

        /* Empty and single-row tables. */
        build(&t, table1, 0);
        mb_procs_sort_consumers(&t);
        assert_int_equal(t.n, 0);
        mb_proctab_release(&t);
        build(&t, table1, 1);
        mb_procs_sort(&t, MB_COL_RSS);
        assert_int_equal(t.p[0].pid, 5);
        mb_proctab_release(&t);
}

static void test_procs_sum(void **state)
{
        struct mb_proctab t;
        size_t known = 99;

        (void)state;
        build(&t, table1, MB_ARRAY_SIZE(table1));
        assert_int_equal(mb_procs_sum(&t, MB_COL_RSS, &known), 600);
        assert_int_equal(known, 5);
        assert_int_equal(mb_procs_sum(&t, MB_COL_SWAP, &known), 150);
        assert_int_equal(known, 4);
        assert_int_equal(mb_procs_sum(&t, MB_COL_VSZ, &known), 0);
        assert_int_equal(known, 0);
        assert_int_equal(mb_procs_sum(&t, MB_COL_PSS, NULL), 640);
        mb_proctab_release(&t);
}

/* --------------------------------------------------------------- grouping */

static const struct mb_group *gfind(const struct mb_groups *g, const char *key)
{
        for (size_t i = 0; i < g->n; i++)
                if (!strcmp(g->g[i].key, key))
                        return &g->g[i];
        return NULL;
}

static void test_group_by_name(void **state)
{
        struct mb_proctab t;
        struct mb_groups g;
        const struct mb_group *x;

        (void)state;
        build(&t, table1, MB_ARRAY_SIZE(table1));
        assert_int_equal(mb_procs_group(&t, MB_GROUP_NAME, &g), 0);
        assert_int_equal(g.n, 5);
        x = gfind(&g, "bash");
        assert_non_null(x);
        assert_int_equal(x->count, 2);
        assert_int_equal(x->sum[MB_COL_RSS], 200);
        assert_int_equal(x->sum[MB_COL_SWAP], 100);
        assert_int_equal(x->sum[MB_COL_PSS], 300); /* one member knew */
        assert_true(x->sum[MB_COL_VSZ] == MB_UNKNOWN);
        x = gfind(&g, "kworker");
        assert_non_null(x);
        assert_true(x->sum[MB_COL_RSS] == MB_UNKNOWN); /* no member knew: unknown, not 0 */

        /* Sorted by RSS: postgres 300, bash 200, zsh 100, init 0, kworker -. */
        mb_groups_sort(&g, MB_COL_RSS);
        assert_string_equal(g.g[0].key, "postgres");
        assert_string_equal(g.g[1].key, "bash");
        assert_string_equal(g.g[2].key, "zsh");
        assert_string_equal(g.g[3].key, "init");
        assert_string_equal(g.g[4].key, "kworker");
        /* By PSS: bash 300, postgres 250, zsh 90, init 0, kworker -. */
        mb_groups_sort(&g, MB_COL_PSS);
        assert_string_equal(g.g[0].key, "bash");
        assert_string_equal(g.g[1].key, "postgres");
        assert_string_equal(g.g[4].key, "kworker");
        /* A text column: by RSS, then by key. */
        mb_groups_sort(&g, MB_COL_NAME);
        assert_string_equal(g.g[0].key, "postgres");
        mb_groups_release(&g);
        assert_null(g.g);
        mb_groups_release(NULL);
        mb_proctab_release(&t);
}

static void test_group_many_keys(void **state)
{
        struct mb_proctab t;
        struct mb_groups g;
        struct spec *s = calloc(3000, sizeof(*s));
        char(*names)[16] = calloc(3000, sizeof(*names));

        (void)state;
        assert_non_null(s);
        assert_non_null(names);
        for (int i = 0; i < 3000; i++) {
                snprintf(names[i], sizeof(names[i]), "prog%d", i % 1000);
                s[i] = (struct spec){i + 1, 1, 0, names[i], NULL, 4096, 0, U};
        }
        build(&t, s, 3000);
        assert_int_equal(mb_procs_group(&t, MB_GROUP_NAME, &g), 0);
        assert_int_equal(g.n, 1000);
        for (size_t i = 0; i < g.n; i++) {
                assert_int_equal(g.g[i].count, 3);
                assert_int_equal(g.g[i].sum[MB_COL_RSS], 3 * 4096);
        }
        mb_groups_sort(&g, MB_COL_RSS);
        for (size_t i = 1; i < g.n; i++)
                assert_true(strcmp(g.g[i - 1].key, g.g[i].key) < 0); /* ties by key */
        mb_groups_release(&g);
        mb_proctab_release(&t);

        build(&t, s, 0);
        assert_int_equal(mb_procs_group(&t, MB_GROUP_CGROUP, &g), 0);
        assert_int_equal(g.n, 0);
        mb_groups_release(&g);
        mb_proctab_release(&t);
        free(s);
        free(names);
}

static void test_cgroup_key_priority(void **state)
{
        struct mb_proctab t;
        struct mb_proc p;
        uint32_t v2, mem, sd;

        (void)state;
        mb_proctab_init(&t);
        assert_int_equal(mb_buf_append(&t.strings, "", 1), 0);
        v2 = (uint32_t)t.strings.len;
        assert_int_equal(mb_buf_append(&t.strings, "/v2", 4), 0);
        mem = (uint32_t)t.strings.len;
        assert_int_equal(mb_buf_append(&t.strings, "/mem", 5), 0);
        sd = (uint32_t)t.strings.len;
        assert_int_equal(mb_buf_append(&t.strings, "/sd", 4), 0);
        memset(&p, 0, sizeof(p));
        assert_string_equal(mb_proc_cgroup_key(&t, &p), "?");
        p.cg_sd = sd;
        assert_string_equal(mb_proc_cgroup_key(&t, &p), "/sd");
        p.cg_v2 = v2;
        assert_string_equal(mb_proc_cgroup_key(&t, &p), "/v2");
        p.cg_mem = mem; /* the v1 memory controller is where memory is accounted */
        assert_string_equal(mb_proc_cgroup_key(&t, &p), "/mem");
        mb_proctab_release(&t);
}

static void test_group_by_cgroup_fixture(void **state)
{
        struct mb_root root;
        struct mb_proctab t;
        struct mb_groups g;
        const struct mb_group *x;

        (void)state;
        assert_int_equal(mb_root_open(&root, fixture("normal/proc"), NULL), 0);
        mb_proctab_init(&t);
        assert_int_equal(mb_proc_scan(&root, MB_SCAN_CGROUP, NULL, &t), 9);
        assert_int_equal(mb_procs_group(&t, MB_GROUP_CGROUP, &g), 0);
        assert_int_equal(g.n, 7);
        x = gfind(&g, "/system.slice/postgresql.service"); /* postgres + its zombie */
        assert_non_null(x);
        assert_int_equal(x->count, 2);
        assert_int_equal(x->sum[MB_COL_RSS], 1048576ll * 1024);
        assert_int_equal(x->sum[MB_COL_SWAP], 262144ll * 1024);
        x = gfind(&g, "/"); /* the two kernel threads */
        assert_non_null(x);
        assert_int_equal(x->count, 2);
        assert_true(x->sum[MB_COL_RSS] == MB_UNKNOWN);
        x = gfind(&g, "?"); /* garbage cgroup file */
        assert_non_null(x);
        assert_int_equal(x->count, 1);
        assert_non_null(gfind(&g, "/user.slice/user-1000.slice/session-3.scope"));
        mb_groups_sort(&g, MB_COL_RSS);
        assert_string_equal(g.g[0].key, "/system.slice/postgresql.service");
        assert_string_equal(g.g[1].key, "/system.slice/app.service");
        mb_groups_release(&g);

        /* By name on the same scan: the weird comm is its own group. */
        assert_int_equal(mb_procs_group(&t, MB_GROUP_NAME, &g), 0);
        assert_int_equal(g.n, 9);
        assert_non_null(gfind(&g, "evil) Z (x y"));
        mb_groups_release(&g);
        mb_proctab_release(&t);
        mb_root_close(&root);
}

/* The scan a listing needs: only what its columns, sort and grouping read. */
static void test_listing_scan(void **state)
{
        static const enum mb_col dflt[] = {MB_COL_PID,  MB_COL_USER, MB_COL_RSS,
                                           MB_COL_SWAP, MB_COL_VSZ,  MB_COL_CMDLINE};
        static const enum mb_col pss[] = {MB_COL_PID, MB_COL_PSS};
        static const enum mb_col pid[] = {MB_COL_PID};
        static const struct {
                struct mb_listing l;
                unsigned want;
        } cases[] = {
            /* the default table: command lines for the shown rows only */
            {{.cols = dflt, .ncols = 6, .sort = MB_COL_RSS}, MB_SCAN_CMDLINE_LATER},
            /* a match reads every command line */
            {{.cols = dflt, .ncols = 6, .sort = MB_COL_RSS, .has_match = true}, MB_SCAN_CMDLINE},
            /* PSS asks for smaps_rollup; no user/ppid shown: no ids */
            {{.cols = pss, .ncols = 2, .cols_given = true, .sort = MB_COL_RSS},
             MB_SCAN_ROLLUP | MB_SCAN_NO_IDS},
            /* sorting on PSS reads it too; a user filter needs the uids */
            {{.cols = pid, .ncols = 1, .cols_given = true, .sort = MB_COL_PSS, .by_user = true},
             MB_SCAN_ROLLUP},
            /* JSON without --columns carries every field */
            {{.cols = dflt, .ncols = 6, .sort = MB_COL_RSS, .json = true},
             MB_SCAN_CMDLINE_LATER | MB_SCAN_ROLLUP | MB_SCAN_GPU},
            /* grouping by cgroup reads the cgroups and every command line */
            {{.cols = dflt, .ncols = 6, .sort = MB_COL_RSS, .group = MB_GROUP_CGROUP},
             MB_SCAN_CGROUP | MB_SCAN_CMDLINE},
        };

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                assert_int_equal(mb_listing_scan(&cases[i].l), cases[i].want);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_column_table),
            cmocka_unit_test(test_columns_parse),
            cmocka_unit_test(test_col_value),
            cmocka_unit_test(test_sort_sizes_unknown_last),
            cmocka_unit_test(test_sort_many_rows_intact),
            cmocka_unit_test(test_sort_text_and_ids),
            cmocka_unit_test(test_sort_consumers),
            cmocka_unit_test(test_procs_sum),
            cmocka_unit_test(test_group_by_name),
            cmocka_unit_test(test_group_many_keys),
            cmocka_unit_test(test_cgroup_key_priority),
            cmocka_unit_test(test_group_by_cgroup_fixture),
            cmocka_unit_test(test_listing_scan),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
