/*
 * test-smaps.c: the /proc/PID/smaps parser (lib/collect/smaps.c) on
 * tests/fixtures/smaps/odd.smaps, hostile lines, and mb_smaps_read on the
 * captured tree tests/fixtures/inspect/proc.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../lib/collect/smaps.h"
#include "fixture-path.h"

#define KB(x) ((int64_t)(x)*1024)

static size_t load(const char *rel, struct mb_buf *b)
{
        ssize_t n = mb_read_file_at(AT_FDCWD, fixture(rel), b, 0);

        if (n < 0)
                fail_msg("cannot read %s: %s", fixture(rel), mb_strerror((int)n));
        return (size_t)n;
}

static void parse_str(struct mb_smaps *s, const char *text)
{
        mb_smaps_reset(s);
        assert_int_equal(mb_smaps_parse(s, text, strlen(text)), 0);
}

/* Index of the first mapping whose path is p; fails when absent. */
static size_t find(const struct mb_smaps *s, const char *p)
{
        for (size_t i = 0; i < s->n; i++)
                if (!strcmp(mb_mapping_path(s, &s->m[i]), p))
                        return i;
        fail_msg("no mapping '%s'", p);
        return 0;
}

static void test_odd_fixture(void **state)
{
        struct mb_buf b = MB_BUF_INIT;
        struct mb_smaps s;
        size_t n = load("smaps/odd.smaps", &b), i;
        const struct mb_mapping *m;

        (void)state;
        mb_smaps_init(&s);
        assert_int_equal(mb_smaps_parse(&s, b.data, n), 0);
        assert_int_equal(s.n, 24);
        /* "Garbled: before any header", "this line is garbled", "Rss: lots kB" */
        assert_int_equal(s.n_garbled, 3);
        assert_false(s.truncated);
        assert_false(s.fs_known);

        m = &s.m[0];
        assert_int_equal(m->start, 0x555555554000ULL);
        assert_int_equal(m->end, 0x555555556000ULL);
        assert_string_equal(m->perms, "r--p");
        assert_int_equal(m->dev_major, 8);
        assert_int_equal(m->dev_minor, 1);
        assert_int_equal(m->inode, 1001);
        assert_string_equal(mb_mapping_path(&s, m), "/usr/bin/python3.11");
        assert_int_equal(m->v[MB_SM_SIZE], KB(8));
        assert_int_equal(m->v[MB_SM_RSS], KB(8));
        assert_int_equal(m->v[MB_SM_PSS], KB(2));
        assert_int_equal(m->v[MB_SM_SHARED_CLEAN], KB(8));

        /* [anon:NAME], swap, THP */
        i = find(&s, "[anon:python arena]");
        assert_int_equal(s.m[i].v[MB_SM_RSS], KB(40960));
        assert_int_equal(s.m[i].v[MB_SM_SWAP], KB(8192));
        assert_int_equal(s.m[i].v[MB_SM_SWAP_PSS], KB(8192));
        assert_int_equal(s.m[i].v[MB_SM_ANON_HUGE], KB(20480));
        assert_int_equal(mb_mapping_uss(&s.m[i]), KB(40960));

        /* " (deleted)" is stripped into a flag; spaces stay in the path */
        i = find(&s, "/opt/my models/weights v2.bin");
        assert_true(s.m[i].flags & MB_MAP_DELETED);
        assert_int_equal(s.m[i].v[MB_SM_PRIVATE_CLEAN], KB(12288));
        i = find(&s, "/dev/zero");
        assert_false(s.m[i].flags & MB_MAP_DELETED); /* the private one comes first */
        assert_string_equal(s.m[i].perms, "rw-p");
        i = find(&s, "/SYSV0000abcd");
        assert_true(s.m[i].flags & MB_MAP_DELETED);
        i = find(&s, "/memfd:pool");
        assert_true(s.m[i].flags & MB_MAP_DELETED);

        /* a 4695-byte path */
        for (i = 0; i < s.n; i++)
                if (strlen(mb_mapping_path(&s, &s.m[i])) > 4000)
                        break;
        assert_true(i < s.n);
        assert_int_equal(strlen(mb_mapping_path(&s, &s.m[i])), 4695);
        assert_int_equal(s.m[i].v[MB_SM_RSS], KB(3072));

        /* the stack keeps its Rss: the garbled "Rss: lots kB" after it is skipped */
        i = find(&s, "[stack]");
        assert_int_equal(s.m[i].v[MB_SM_RSS], KB(132));

        /* [vsyscall]: the top of the address space, and the last entry without a newline */
        m = &s.m[s.n - 1];
        assert_string_equal(mb_mapping_path(&s, m), "[vsyscall]");
        assert_int_equal(m->start, 0xffffffffff600000ULL);
        assert_string_equal(m->perms, "--xp");
        assert_int_equal(m->v[MB_SM_SIZE], KB(4));
        assert_true(s.fields_seen & (1u << MB_SM_SWAP_PSS));
        assert_true(s.fields_seen & (1u << MB_SM_LOCKED));

        mb_smaps_release(&s);
        mb_smaps_release(&s); /* twice is fine */
        mb_buf_release(&b);
}

/* Line by line gives the same as the whole buffer (the reader parses in chunks). */
static void test_line_by_line(void **state)
{
        struct mb_buf b = MB_BUF_INIT;
        struct mb_smaps a, c;
        size_t n = load("smaps/odd.smaps", &b);
        const char *p = b.data, *end = b.data + n;

        (void)state;
        mb_smaps_init(&a);
        mb_smaps_init(&c);
        assert_int_equal(mb_smaps_parse(&a, b.data, n), 0);
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *le = nl ? nl : end;
                assert_int_equal(mb_smaps_parse_line(&c, p, (size_t)(le - p)), 0);
                p = nl ? nl + 1 : end;
        }
        assert_int_equal(a.n, c.n);
        assert_int_equal(a.n_garbled, c.n_garbled);
        for (size_t i = 0; i < a.n; i++) {
                assert_memory_equal(a.m[i].v, c.m[i].v, sizeof(a.m[i].v));
                assert_string_equal(mb_mapping_path(&a, &a.m[i]), mb_mapping_path(&c, &c.m[i]));
        }
        mb_smaps_release(&a);
        mb_smaps_release(&c);
        mb_buf_release(&b);
}

static void test_headers(void **state)
{
        struct mb_smaps s;

        (void)state;
        mb_smaps_init(&s);

        /* no path at all (anonymous), no padding */
        parse_str(&s, "7f00-8f00 rw-p 00000000 00:00 0\nRss: 4 kB\n");
        assert_int_equal(s.n, 1);
        assert_int_equal(s.m[0].path, 0);
        assert_string_equal(mb_mapping_path(&s, &s.m[0]), "");
        assert_int_equal(s.m[0].v[MB_SM_RSS], 4096);
        assert_int_equal(s.n_garbled, 0);

        /* a path that is only " (deleted)" is kept as a path */
        parse_str(&s, "1000-2000 r--p 00000000 08:01 5  (deleted)\n");
        assert_int_equal(s.n, 1);
        assert_string_equal(mb_mapping_path(&s, &s.m[0]), "(deleted)");

        /* bad permissions, 17 hex digits, end < start, missing inode: garbled */
        parse_str(&s, "1000-2000 rwzp 00000000 08:01 5 /x\n"
                      "10000000000000000-2000 r--p 00000000 08:01 5 /x\n"
                      "2000-1000 r--p 00000000 08:01 5 /x\n"
                      "1000-2000 r--p 00000000 08:01 /x\n"
                      "1000-2000 r--p 00000000 08:01 5/x\n");
        assert_int_equal(s.n, 0);
        assert_int_equal(s.n_garbled, 5);

        /* fields: a missing "kB", a negative, an overflow; unknown keys are fine */
        parse_str(&s, "1000-2000 r--p 00000000 08:01 5 /x\n"
                      "Rss: 12\n"
                      "Pss: -3 kB\n"
                      "Swap: 99999999999999999999 kB\n"
                      "Locked: 9007199254740993 kB\n"
                      "VmFlags: rd mr\n"
                      "THPeligible:    0\n"
                      "Private_Dirty:\t8 kB\r\n"
                      "\n");
        assert_int_equal(s.n, 1);
        assert_int_equal(s.n_garbled, 4);
        assert_int_equal(s.m[0].v[MB_SM_RSS], 0);
        assert_int_equal(s.m[0].v[MB_SM_PRIVATE_DIRTY], 8192);

        /* Odd but valid: upper-case hex is accepted */
        parse_str(&s, "7F00-8F00 rw-s 0000ABCD FE:0A 42 /dev/shm/x y\n");
        assert_int_equal(s.n, 1);
        assert_int_equal(s.m[0].start, 0x7f00);
        assert_int_equal(s.m[0].offset, 0xabcd);
        assert_int_equal(s.m[0].dev_major, 0xfe);
        assert_int_equal(s.m[0].dev_minor, 0x0a);
        assert_string_equal(mb_mapping_path(&s, &s.m[0]), "/dev/shm/x y");

        mb_smaps_release(&s);
}

static void test_hostile(void **state)
{
        struct mb_smaps s;
        char junk[5000];

        (void)state;
        mb_smaps_init(&s);
        parse_str(&s, "");
        assert_int_equal(s.n, 0);
        memset(junk, 'a', sizeof(junk) - 1);
        junk[sizeof(junk) - 1] = '\0';
        parse_str(&s, junk);
        assert_int_equal(s.n, 0);
        assert_int_equal(s.n_garbled, 1);
        /* NUL bytes and binary junk in the middle of a buffer */
        mb_smaps_reset(&s);
        assert_int_equal(mb_smaps_parse(&s, "1000-2000 r--p 0 0:0 0\n\0\xff\xfe:\n-\n", 30), 0);
        assert_int_equal(s.n, 1);
        mb_smaps_release(&s);
}

static void test_mountinfo(void **state)
{
        struct mb_smaps s;
        static const char mi[] =
            "24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw\n"
            "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
            "42 27 0:39 / /tmp/x rw,relatime shared:5 - tmpfs inspect rw,size=65536k\n"
            "garbage line\n";

        (void)state;
        mb_smaps_init(&s);
        /* smaps prints the device in hex (00:27 = 0:39), mountinfo in decimal */
        parse_str(&s, "1000-2000 rw-s 00000000 00:27 2 /tmp/x/f\n"
                      "2000-3000 r--p 00000000 fe:00 7 /usr/lib/libc.so.6\n"
                      "3000-4000 rw-p 00000000 00:27 0\n");
        mb_smaps_mark_tmpfs(&s, mi, sizeof(mi) - 1);
        assert_true(s.fs_known);
        assert_true(s.m[0].flags & MB_MAP_TMPFS);
        assert_false(s.m[1].flags & MB_MAP_TMPFS);
        assert_false(s.m[2].flags & MB_MAP_TMPFS); /* inode 0: anonymous */
        mb_smaps_release(&s);
}

static void test_mark_exe(void **state)
{
        struct mb_smaps s;

        (void)state;
        mb_smaps_init(&s);
        parse_str(&s, "1000-2000 r--p 0 0:0 0 [heap]\n"
                      "2000-3000 r-xp 0 8:1 7 /usr/bin/python3.11\n"
                      "3000-4000 r-xp 0 8:1 8 /usr/lib/libc.so.6\n"
                      "4000-5000 rw-p 0 8:1 7 /usr/bin/python3.11\n");
        mb_smaps_mark_exe(&s, NULL);
        assert_true(s.m[1].flags & MB_MAP_EXE);
        assert_true(s.m[3].flags & MB_MAP_EXE);
        assert_false(s.m[2].flags & MB_MAP_EXE);
        assert_false(s.m[0].flags & MB_MAP_EXE);
        mb_smaps_release(&s);
}

static void test_read_fixture_tree(void **state)
{
        struct mb_root root;
        struct mb_smaps s;
        size_t i;

        (void)state;
        assert_int_equal(mb_root_open(&root, fixture("inspect/proc"), NULL), 0);
        mb_smaps_init(&s);

        assert_int_equal(mb_smaps_read(&root, 4242, &s), 0);
        assert_int_equal(s.pid, 4242);
        assert_string_equal(s.name, "maptest");
        assert_string_equal(s.cmdline, "maptest basic /tmp/inspect-dev /tmp/inspect-dev/tm");
        assert_int_equal(s.uid, 0);
        assert_true(s.starttime > 0);
        assert_int_equal(s.n, 29);
        assert_int_equal(s.n_garbled, 0);
        assert_true(s.fs_known);
        i = find(&s, "/tmp/inspect-dev/tm/inspect-maptest-tmpfs");
        assert_true(s.m[i].flags & MB_MAP_TMPFS);
        i = find(&s, "/tmp/inspect-dev/inspect-maptest-data");
        assert_false(s.m[i].flags & MB_MAP_TMPFS);
        assert_int_equal(s.m[i].v[MB_SM_RSS], 16 << 20);
        /* no exe link in the tree: the first file mapping is the program */
        assert_true(s.m[0].flags & MB_MAP_EXE);

        /* a kernel thread: no mappings, not an error */
        assert_int_equal(mb_smaps_read(&root, 4243, &s), 0);
        assert_int_equal(s.n, 0);
        assert_string_equal(s.name, "kthreadd");

        assert_int_equal(mb_smaps_read(&root, 99999, &s), -ENOENT);
        assert_int_equal(mb_smaps_read(&root, 0, &s), -ENOENT);

        mb_smaps_release(&s);
        mb_root_close(&root);
}

static void test_read_self(void **state)
{
        struct mb_root root;
        struct mb_smaps s;
        bool heap_or_anon = false;

        (void)state;
        assert_int_equal(mb_root_open(&root, NULL, NULL), 0);
        mb_smaps_init(&s);
        assert_int_equal(mb_smaps_read(&root, getpid(), &s), 0);
        assert_true(s.n > 5);
        assert_int_equal(s.n_garbled, 0);
        assert_true(s.fs_known);
        assert_non_null(s.exe);
        for (size_t i = 0; i < s.n; i++) {
                const char *p = mb_mapping_path(&s, &s.m[i]);
                if (!*p || !strcmp(p, "[heap]"))
                        heap_or_anon = true;
        }
        assert_true(heap_or_anon);
        mb_smaps_release(&s);
        mb_root_close(&root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_odd_fixture),       cmocka_unit_test(test_line_by_line),
            cmocka_unit_test(test_headers),           cmocka_unit_test(test_hostile),
            cmocka_unit_test(test_mountinfo),         cmocka_unit_test(test_mark_exe),
            cmocka_unit_test(test_read_fixture_tree), cmocka_unit_test(test_read_self),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
