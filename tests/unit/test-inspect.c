/*
 * test-inspect.c: the pure analysis of lib/analyze/inspect.c: kinds,
 * groups, top mappings, growth, the dominant-growth hook and the
 * multi-process summary, on tests/fixtures/smaps/odd.smaps (sizes in kB
 * below), the captured maptest tree and hand-built smaps text.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../lib/analyze/inspect.h"
#include "fixture-path.h"

#define KB(x)  ((int64_t)(x)*1024)
#define MIB(x) ((int64_t)(x) << 20)

static void load_odd(struct mb_smaps *s)
{
        struct mb_buf b = MB_BUF_INIT;
        ssize_t n = mb_read_file_at(AT_FDCWD, fixture("smaps/odd.smaps"), &b, 0);

        if (n < 0)
                fail_msg("cannot read odd.smaps: %s", mb_strerror((int)n));
        mb_smaps_init(s);
        assert_int_equal(mb_smaps_parse(s, b.data, (size_t)n), 0);
        mb_smaps_mark_exe(s, NULL);
        mb_buf_release(&b);
}

static const struct mb_inspect_group *group(const struct mb_inspect *in, enum mb_map_kind k,
                                            const char *label)
{
        for (size_t i = 0; i < in->ngroups; i++)
                if (in->groups[i].kind == k &&
                    !strcmp(mb_inspect_label(in, in->groups[i].label), label))
                        return &in->groups[i];
        fail_msg("no group %s '%s'", mb_map_kinds[k].id, label);
        return NULL;
}

static void test_kinds_odd(void **state)
{
        struct mb_smaps s;
        struct mb_inspect in;
        int64_t sum = 0;

        (void)state;
        load_odd(&s);
        mb_inspect_init(&in);
        assert_int_equal(mb_inspect_analyze(&s, 5, &in), 0);

        assert_int_equal(in.kinds[MB_MK_EXE].rss, KB(8 + 2048));
        assert_int_equal(in.kinds[MB_MK_EXE].count, 2);
        assert_int_equal(in.kinds[MB_MK_HEAP].rss, KB(16384));
        /* [anon:python arena] + unnamed + private /dev/zero */
        assert_int_equal(in.kinds[MB_MK_ANON].rss, KB(40960 + 10240 + 1024));
        assert_int_equal(in.kinds[MB_MK_ANON].swap, KB(8192 + 1024));
        assert_int_equal(in.kinds[MB_MK_ANON].anon_huge, KB(20480));
        assert_int_equal(in.kinds[MB_MK_ANON].count, 3);
        /* shared anonymous + /dev/shm + SysV + memfd */
        assert_int_equal(in.kinds[MB_MK_SHM].rss, KB(65536 + 8192 + 4096 + 2048));
        assert_int_equal(in.kinds[MB_MK_SHM].pss, KB(32768 + 4096 + 4096 + 2048));
        assert_int_equal(in.kinds[MB_MK_SHM].uss, KB(4096 + 2048));
        assert_int_equal(in.kinds[MB_MK_SHM].count, 4);
        /* deleted weights (spaces in the path) + the 4695-byte path */
        assert_int_equal(in.kinds[MB_MK_FILE].rss, KB(12288 + 3072));
        assert_int_equal(in.kinds[MB_MK_LIB].rss, KB(20480 + 1024 + 6144 + 900));
        assert_int_equal(in.kinds[MB_MK_LIB].count, 4);
        assert_int_equal(in.kinds[MB_MK_GPU].rss, KB(4 + 8 + 16));
        assert_int_equal(in.kinds[MB_MK_GPU].count, 3);
        /* no mountinfo: /run/ is taken as tmpfs */
        assert_int_equal(in.kinds[MB_MK_TMPFS].rss, KB(2048));
        assert_int_equal(in.kinds[MB_MK_STACK].rss, KB(132));
        assert_int_equal(in.kinds[MB_MK_OTHER].rss, KB(4));
        assert_int_equal(in.kinds[MB_MK_OTHER].count, 3);

        for (int k = 0; k < MB_MK_COUNT; k++)
                sum += in.kinds[k].rss;
        assert_int_equal(in.total.rss, sum);
        assert_int_equal(in.total.rss, KB(196656));
        assert_int_equal(in.total.count, 24);

        /* groups: libraries by basename, named anonymous regions apart */
        assert_int_equal(group(&in, MB_MK_LIB, "libtorch_cpu.so")->sum.rss, KB(21504));
        assert_int_equal(group(&in, MB_MK_LIB, "libtorch_cpu.so")->sum.count, 2);
        assert_int_equal(group(&in, MB_MK_LIB, "libcudnn.so.8.9.2")->sum.rss, KB(6144));
        assert_int_equal(group(&in, MB_MK_LIB, "libpython3.11.so.1.0")->sum.pss, KB(300));
        assert_int_equal(group(&in, MB_MK_ANON, "[anon:python arena]")->sum.rss, KB(40960));
        assert_int_equal(group(&in, MB_MK_ANON, "anonymous")->sum.rss, KB(10240 + 1024));
        assert_int_equal(group(&in, MB_MK_SHM, "shared anonymous")->sum.rss, KB(65536));
        assert_int_equal(group(&in, MB_MK_SHM, "/dev/shm/torch_123_456")->sum.rss, KB(8192));
        assert_int_equal(group(&in, MB_MK_EXE, "python3.11")->sum.rss, KB(2056));
        assert_int_equal(group(&in, MB_MK_FILE, "weights v2.bin")->sum.rss, KB(12288));
        assert_int_equal(group(&in, MB_MK_FILE, "model.bin")->sum.rss, KB(3072));
        assert_int_equal(group(&in, MB_MK_GPU, "/dev/nvidia0")->sum.rss, KB(8));
        assert_int_equal(group(&in, MB_MK_OTHER, "[vsyscall]")->sum.rss, 0);
        /* largest first */
        for (size_t i = 1; i < in.ngroups; i++)
                assert_true(mb_memsum_charge(&in.groups[i - 1].sum) >=
                            mb_memsum_charge(&in.groups[i].sum));

        /* top mappings by RSS+swap: shared anon 64 MiB, arena 40+8 MiB, torch 20 MiB, heap */
        assert_int_equal(in.ntop, 5);
        assert_string_equal(mb_mapping_path(&s, &s.m[in.top[0]]), "/dev/zero");
        assert_string_equal(mb_mapping_path(&s, &s.m[in.top[1]]), "[anon:python arena]");
        assert_string_equal(mb_mapping_path(&s, &s.m[in.top[2]]),
                            "/usr/lib/python3/torch/lib/libtorch_cpu.so");
        assert_string_equal(mb_mapping_path(&s, &s.m[in.top[3]]), "[heap]");

        /* analysing again replaces the result */
        assert_int_equal(mb_inspect_analyze(&s, 100, &in), 0);
        assert_int_equal(in.ntop, 24);
        assert_int_equal(in.total.rss, KB(196656));

        mb_inspect_release(&in);
        mb_inspect_release(&in);
        mb_smaps_release(&s);
}

static void test_classify(void **state)
{
        static const struct {
                const char *line;
                enum mb_map_kind kind;
                const char *label;
        } cases[] = {
            {"1000-2000 rw-p 0 0:0 0", MB_MK_ANON, "anonymous"},
            {"1000-2000 rw-s 0 0:0 0", MB_MK_SHM, "shared anonymous"},
            {"1000-2000 rw-p 0 0:0 0 [heap]", MB_MK_HEAP, "[heap]"},
            {"1000-2000 rw-p 0 0:0 0 [stack]", MB_MK_STACK, "[stack]"},
            {"1000-2000 rw-p 0 0:0 0 [stack:1234]", MB_MK_STACK, "[stack]"},
            {"1000-2000 rw-p 0 0:0 0 [anon:jemalloc]", MB_MK_ANON, "[anon:jemalloc]"},
            {"1000-2000 rw-s 0 0:1 9 [anon_shmem:ring]", MB_MK_SHM, "[anon_shmem:ring]"},
            {"1000-2000 r-xp 0 0:0 0 [vdso]", MB_MK_OTHER, "[vdso]"},
            {"1000-2000 rw-p 0 0:e 9 anon_inode:dmabuf", MB_MK_OTHER, "anon_inode:dmabuf"},
            {"1000-2000 rw-s 0 0:5 9 /dev/nvidia-uvm", MB_MK_GPU, "/dev/nvidia-uvm"},
            {"1000-2000 rw-s 0 0:5 9 /dev/kfd", MB_MK_GPU, "/dev/kfd"},
            {"1000-2000 rw-s 0 0:5 9 /dev/dri/card0", MB_MK_GPU, "/dev/dri/card0"},
            {"1000-2000 rw-s 0 0:5 9 /dev/shm/a b", MB_MK_SHM, "/dev/shm/a b"},
            {"1000-2000 rw-s 0 0:1 9 /SYSV00000000 (deleted)", MB_MK_SHM, "/SYSV00000000"},
            {"1000-2000 rw-s 0 0:1 9 /memfd:x (deleted)", MB_MK_SHM, "/memfd:x"},
            {"1000-2000 r--p 0 8:1 9 /usr/lib/libc.so.6", MB_MK_LIB, "libc.so.6"},
            {"1000-2000 r--p 0 8:1 9 /x/_C.cpython-311-x86_64-linux-gnu.so", MB_MK_LIB,
             "_C.cpython-311-x86_64-linux-gnu.so"},
            {"1000-2000 r--p 0 8:1 9 /x/libfoo.so.1 (deleted)", MB_MK_LIB, "libfoo.so.1"},
            {"1000-2000 r--p 0 8:1 9 /x/notes.sober", MB_MK_FILE, "notes.sober"},
            {"1000-2000 r--p 0 8:1 9 /run/x.db", MB_MK_TMPFS, "/run/x.db"},
            {"1000-2000 r--p 0 8:1 9 /tmp/x.db", MB_MK_FILE, "x.db"},
        };
        struct mb_smaps s;

        (void)state;
        mb_smaps_init(&s);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                enum mb_map_kind k;
                const char *l;
                size_t len;

                mb_smaps_reset(&s);
                assert_int_equal(mb_smaps_parse(&s, cases[i].line, strlen(cases[i].line)), 0);
                assert_int_equal(s.n, 1);
                k = mb_map_classify(&s, &s.m[0]);
                l = mb_map_label(&s, &s.m[0], k, &len);
                if (k != cases[i].kind || len != strlen(cases[i].label) ||
                    memcmp(l, cases[i].label, len))
                        fail_msg("'%s': got %s '%.*s'", cases[i].line, mb_map_kinds[k].id, (int)len,
                                 l);
        }
        /* with mountinfo read, only the flag decides tmpfs */
        mb_smaps_reset(&s);
        {
                static const char run[] = "1000-2000 r--p 0 8:1 9 /run/x.db";
                assert_int_equal(mb_smaps_parse(&s, run, sizeof(run) - 1), 0);
        }
        s.fs_known = true;
        assert_int_equal(mb_map_classify(&s, &s.m[0]), MB_MK_FILE);
        s.m[0].flags |= MB_MAP_TMPFS;
        assert_int_equal(mb_map_classify(&s, &s.m[0]), MB_MK_TMPFS);
        mb_smaps_release(&s);

        assert_int_equal(mb_map_kind_lookup("anon"), MB_MK_ANON);
        assert_int_equal(mb_map_kind_lookup("nope"), -1);
}

/* The captured maptest process: each region in its kind, within 5 %. */
static void test_maptest_capture(void **state)
{
        struct mb_root root;
        struct mb_smaps s;
        struct mb_inspect in;
        static const struct {
                enum mb_map_kind k;
                int64_t want;
        } want[] = {
            {MB_MK_ANON, MIB(48)}, {MB_MK_HEAP, MIB(32)}, {MB_MK_SHM, MIB(24)},
            {MB_MK_FILE, MIB(16)}, {MB_MK_TMPFS, MIB(8)},
        };

        (void)state;
        assert_int_equal(mb_root_open(&root, fixture("inspect/proc"), NULL), 0);
        mb_smaps_init(&s);
        mb_inspect_init(&in);
        assert_int_equal(mb_smaps_read(&root, 4242, &s), 0);
        assert_int_equal(mb_inspect_analyze(&s, 10, &in), 0);
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                int64_t got = in.kinds[want[i].k].rss;
                if (got < want[i].want * 95 / 100 || got > want[i].want * 105 / 100)
                        fail_msg("%s: %lld, expected %lld", mb_map_kinds[want[i].k].id,
                                 (long long)got, (long long)want[i].want);
        }
        assert_int_equal(group(&in, MB_MK_EXE, "maptest")->sum.count, 5);
        mb_inspect_release(&in);
        mb_smaps_release(&s);
        mb_root_close(&root);
}

static void set_kind(struct mb_inspect *in, enum mb_map_kind k, int64_t rss, int64_t swap)
{
        in->total.rss += rss - in->kinds[k].rss;
        in->total.swap += swap - in->kinds[k].swap;
        in->kinds[k].rss = rss;
        in->kinds[k].swap = swap;
}

static void test_growth(void **state)
{
        struct mb_inspect a, b;
        struct mb_kind_growth g;
        struct mb_inspect_finding f;

        (void)state;
        mb_inspect_init(&a);
        mb_inspect_init(&b);
        set_kind(&a, MB_MK_ANON, MIB(100), 0);
        set_kind(&a, MB_MK_HEAP, MIB(10), 0);
        set_kind(&a, MB_MK_LIB, MIB(50), 0);
        b = a;
        /* anon +30 MiB (10 of it pushed to swap still counts), heap +2 MiB, libs -5 MiB */
        set_kind(&b, MB_MK_ANON, MIB(120), MIB(10));
        set_kind(&b, MB_MK_HEAP, MIB(12), 0);
        set_kind(&b, MB_MK_LIB, MIB(45), 0);

        assert_int_equal(mb_inspect_growth(&a, &b, 0, &g), -EINVAL);
        assert_int_equal(mb_inspect_growth(&a, &b, 30, &g), 0);
        assert_int_equal(g.delta[MB_MK_ANON], MIB(30));
        assert_int_equal(g.delta[MB_MK_HEAP], MIB(2));
        assert_int_equal(g.delta[MB_MK_LIB], -MIB(5));
        assert_int_equal(g.delta[MB_MK_SHM], 0);
        assert_true(g.rate_per_min[MB_MK_ANON] == (double)MIB(60));
        assert_int_equal(g.total_delta, MIB(27));

        assert_int_equal(mb_inspect_dominant_growth(&a, &b, 30, MIB(1), &f), 1);
        assert_int_equal(f.kind, MB_MK_ANON);
        assert_int_equal(f.delta_bytes, MIB(30));
        assert_true(f.rate_bytes_per_min == (double)MIB(60));
        assert_int_equal(f.total_growth_bytes, MIB(32));
        assert_true(f.share > 0.93 && f.share < 0.94);

        /* below the threshold: none */
        assert_int_equal(mb_inspect_dominant_growth(&a, &b, 30, MIB(31), &f), 0);
        assert_int_equal(mb_inspect_dominant_growth(&a, &b, -1, 0, &f), -EINVAL);
        /* nothing grew: none */
        assert_int_equal(mb_inspect_dominant_growth(&a, &a, 30, 0, &f), 0);
        /* three kinds grow about equally: none dominates */
        b = a;
        set_kind(&b, MB_MK_ANON, MIB(110), 0);
        set_kind(&b, MB_MK_HEAP, MIB(19), 0);
        set_kind(&b, MB_MK_SHM, MIB(9), 0);
        assert_int_equal(mb_inspect_dominant_growth(&a, &b, 30, MIB(1), &f), 0);
        /* a growing /dev/shm file dominates while the rest shrinks */
        b = a;
        set_kind(&b, MB_MK_SHM, MIB(64), 0);
        set_kind(&b, MB_MK_ANON, MIB(90), 0);
        assert_int_equal(mb_inspect_dominant_growth(&a, &b, 60, MIB(1), &f), 1);
        assert_int_equal(f.kind, MB_MK_SHM);
        assert_true(f.share == 1.0);
}

/* Two forked workers sharing 64 MiB, with their own 8 MiB each. */
static const char worker_smaps[] =
    "7f0010000000-7f0014000000 rw-s 00000000 00:01 4711   /dev/zero (deleted)\n"
    "Rss: 65536 kB\nPss: 32768 kB\nShared_Dirty: 65536 kB\nPrivate_Dirty: 0 kB\n"
    "7f0020000000-7f0020800000 rw-p 00000000 00:00 0\n"
    "Rss: 8192 kB\nPss: 8192 kB\nPrivate_Dirty: 8192 kB\n"
    "7f0030000000-7f0030100000 r-xp 00000000 08:01 77   /usr/lib/libc.so.6\n"
    "Rss: 1024 kB\nPss: 512 kB\nShared_Clean: 1024 kB\n";

static void test_summary(void **state)
{
        struct mb_smaps s[2];
        struct mb_inspect in[2];
        const struct mb_inspect *ins[2] = {&in[0], &in[1]};
        struct mb_inspect_summary sum;

        (void)state;
        for (int i = 0; i < 2; i++) {
                mb_smaps_init(&s[i]);
                mb_inspect_init(&in[i]);
                assert_int_equal(mb_smaps_parse(&s[i], worker_smaps, sizeof(worker_smaps) - 1), 0);
                assert_int_equal(mb_inspect_analyze(&s[i], 10, &in[i]), 0);
                /* PSS splits the shared region, USS excludes it */
                assert_int_equal(in[i].kinds[MB_MK_SHM].pss, MIB(32));
                assert_int_equal(in[i].kinds[MB_MK_SHM].uss, 0);
        }
        mb_inspect_summary_init(&sum);
        assert_int_equal(mb_inspect_summarize(ins, 2, &sum), 0);
        assert_int_equal(sum.nprocs, 2);
        assert_int_equal(sum.rss, 2 * MIB(64 + 8 + 1));
        assert_int_equal(sum.pss, MIB(64 + 16 + 1));
        assert_int_equal(sum.uss, MIB(16));
        assert_int_equal(sum.kinds[MB_MK_SHM].pss, MIB(64));
        assert_int_equal(sum.nrows, 3);
        /* the shared region once, first */
        assert_int_equal(sum.rows[0].kind, MB_MK_SHM);
        assert_string_equal(sum.labels.data + sum.rows[0].label, "shared anonymous");
        assert_int_equal(sum.rows[0].procs, 2);
        assert_int_equal(sum.rows[0].rss, MIB(128));
        assert_int_equal(sum.rows[0].pss, MIB(64));
        assert_int_equal(sum.rows[0].uss, 0);
        assert_int_equal(sum.rows[1].kind, MB_MK_LIB);
        assert_int_equal(sum.rows[1].pss, MIB(1));
        assert_int_equal(sum.rows[2].kind, MB_MK_ANON);
        assert_int_equal(sum.rows[2].pss - sum.rows[2].uss, 0);

        /* empty input */
        assert_int_equal(mb_inspect_summarize(ins, 0, &sum), 0);
        assert_int_equal(sum.nrows, 0);
        mb_inspect_summary_release(&sum);
        mb_inspect_summary_release(&sum);
        for (int i = 0; i < 2; i++) {
                mb_inspect_release(&in[i]);
                mb_smaps_release(&s[i]);
        }
}

static void test_empty(void **state)
{
        struct mb_smaps s;
        struct mb_inspect in;

        (void)state;
        mb_smaps_init(&s);
        mb_inspect_init(&in);
        assert_int_equal(mb_inspect_analyze(&s, 10, &in), 0);
        assert_int_equal(in.ngroups, 0);
        assert_int_equal(in.ntop, 0);
        assert_int_equal(in.total.rss, 0);
        mb_inspect_release(&in);
        mb_smaps_release(&s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_kinds_odd),       cmocka_unit_test(test_classify),
            cmocka_unit_test(test_maptest_capture), cmocka_unit_test(test_growth),
            cmocka_unit_test(test_summary),         cmocka_unit_test(test_empty),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
