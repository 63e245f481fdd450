/*
 * test-gpu.c: GPU collection.  NVML through the fake library
 * (BUILD/helpers/fake-nvml.so, fake-nvml-v1.so; see
 * tests/helpers/so-fake-nvml.c), sysfs and DRM fdinfo through the gpu-amd
 * fixture, and the fdinfo parser on strings.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../lib/collect/gpu-internal.h"
#include "fixture-path.h"

#define MiB (1024LL * 1024)
#define GiB (1024 * MiB)

static char helpers[PATH_MAX]; /* BUILD/helpers */
static char tmpdir[] = "/tmp/gpu-test-XXXXXX";
static char conf[PATH_MAX];

/* ---- fdinfo parser ---- */

static void parse_legacy_amdgpu(void **state)
{
        /* amdgpu up to 6.x: "drm-memory-gtt: \t" (space, then tab) */
        static const char s[] = "pos:\t0\nflags:\t02100002\nmnt_id:\t26\n"
                                "drm-driver:\tamdgpu\ndrm-pdev:\t0000:03:00.0\n"
                                "drm-client-id:\t3\ndrm-memory-vram:\t262144 KiB\n"
                                "drm-memory-gtt: \t20480 KiB\ndrm-memory-cpu: \t0 KiB\n";
        struct mb_drm_client c;

        (void)state;
        assert_int_equal(mb_drm_fdinfo_parse(s, sizeof(s) - 1, &c), 0);
        assert_string_equal(c.driver, "amdgpu");
        assert_string_equal(c.pdev, "0000:03:00.0");
        assert_true(c.have_client_id);
        assert_int_equal(c.client_id, 3);
        assert_true(c.have_local);
        assert_int_equal(c.local, 256 * MiB);
        assert_int_equal(c.other, 20 * MiB);
        assert_int_equal(mb_drm_client_bytes(&c), 256 * MiB);
}

static void parse_resident_wins(void **state)
{
        /* resident over its deprecated alias memory over total; any order */
        static const char s[] = "drm-total-vram:\t1536 MiB\ndrm-memory-vram:\t999 MiB\n"
                                "drm-driver:\tamdgpu\ndrm-resident-vram:\t1024 MiB\n"
                                "drm-total-gtt:\t128 MiB\n";
        struct mb_drm_client c;

        (void)state;
        assert_int_equal(mb_drm_fdinfo_parse(s, sizeof(s) - 1, &c), 0);
        assert_int_equal(c.local, GiB);
        assert_int_equal(c.other, 128 * MiB); /* only total known for gtt */
        assert_false(c.have_client_id);
        assert_string_equal(c.pdev, "");
}

static void parse_units(void **state)
{
        /* drm_fdinfo_print_size: bytes, KiB or MiB; a missing final newline */
        static const char s[] = "drm-driver: xe\ndrm-resident-vram0: 4096\n"
                                "drm-resident-vram1: 4 KiB\ndrm-resident-local0:\t1 MiB\r\n"
                                "drm-resident-gtt: 7 parsecs\ndrm-resident-system: 12 kB";
        struct mb_drm_client c;

        (void)state;
        assert_int_equal(mb_drm_fdinfo_parse(s, sizeof(s) - 1, &c), 0);
        assert_string_equal(c.driver, "xe");
        assert_int_equal(c.local, 4096 + 4096 + MiB);
        assert_int_equal(c.other, 12 * 1024); /* the bad unit is dropped */
}

static void parse_integrated(void **state)
{
        /* i915 iGPU: no device-local region, so the system regions count */
        static const char s[] =
            "drm-driver:\ti915\ndrm-pdev:\t0000:00:02.0\n"
            "drm-client-id:\t5\ndrm-total-system0:\t131072 KiB\n"
            "drm-resident-system0:\t98304 KiB\ndrm-resident-stolen-system0:\t0\n";
        struct mb_drm_client c;

        (void)state;
        assert_int_equal(mb_drm_fdinfo_parse(s, sizeof(s) - 1, &c), 0);
        assert_false(c.have_local);
        assert_int_equal(mb_drm_client_bytes(&c), 96 * MiB);
}

static void parse_not_drm(void **state)
{
        static const char s[] = "pos:\t0\nflags:\t0100002\nmnt_id:\t15\nino:\t5\n";
        static const char huge[] = "drm-driver:\tamdgpu\n"
                                   "drm-resident-vram:\t99999999999999999999 MiB\n"
                                   "drm-resident-a-region-name-longer-than-the-buffer:\t5\n";
        struct mb_drm_client c;

        (void)state;
        assert_int_equal(mb_drm_fdinfo_parse(s, sizeof(s) - 1, &c), -EINVAL);
        assert_int_equal(mb_drm_fdinfo_parse("", 0, &c), -EINVAL);
        assert_int_equal(mb_drm_fdinfo_parse("drm-driver", 10, &c), -EINVAL);
        assert_int_equal(mb_drm_fdinfo_parse(huge, sizeof(huge) - 1, &c), 0);
        assert_int_equal(c.local, 0); /* overflow: unknown, not counted */
        assert_int_equal(c.other, 0);
}

/* Found by tests/fuzz/fuzz-fdinfo.c: two device-local regions whose sum
 * overflowed int64_t (UBSan: signed integer overflow).  The sum saturates. */
static void parse_sum_saturates(void **state)
{
        static const char s[] = "drm-driver: \tamdgpu \r\n"
                                "drm-client-id: 18446744073709551615\n"
                                "drm-memory-vdrm-driver: \tamdgpu \r\n"
                                "drm-client-id: 18446744073709551615\n"
                                "drm-memory-vram: \t9223372036854775807\n"
                                "drmG-memory-\xf8\xff\xff\xffgtt:  0al0: 1 kratal-gtt:\t4 MiB\n"
                                "drm-residend-gtt: 4\tMiB\n"
                                "drm-total-vram0:\t2 GiB\n"
                                "drm-resident-vram0:\t153ident-vram:PloVal0: 1 kB";
        struct mb_drm_client c;

        (void)state;
        assert_int_equal(mb_drm_fdinfo_parse(s, sizeof(s) - 1, &c), 0);
        assert_string_equal(c.driver, "amdgpu");
        assert_true(c.have_local);
        assert_true(c.local == INT64_MAX);
        assert_int_equal(c.other, 0);
}

/* ---- sysfs and fdinfo through the gpu-amd fixture ---- */

static void open_fixture(struct mb_root *root)
{
        assert_int_equal(mb_root_open(root, fixture("gpu-amd/proc"), fixture("gpu-amd/sys")), 0);
}

static void sysfs_devices(void **state)
{
        struct mb_root root;
        struct mb_gpus g = {0};

        (void)state;
        open_fixture(&root);
        /* card0 amd, card1 intel; card2 (virtio), connectors, renderD128 skipped */
        assert_int_equal(mb_gpu_drm_devices(&root, &g), 2);
        assert_string_equal(g.dev[0].vendor, "amd");
        assert_int_equal(g.dev[0].index, 0);
        assert_string_equal(g.dev[0].name, "amdgpu 1002:73BF");
        assert_string_equal(g.dev[0].pci, "0000:03:00.0");
        assert_string_equal(g.dev[0].uuid, "aa1bd4c39f22be8a");
        assert_int_equal(g.dev[0].total, 17163091968LL);
        assert_int_equal(g.dev[0].used, 1610612736LL);
        assert_int_equal(g.dev[0].free, 17163091968LL - 1610612736LL);
        assert_int_equal(g.dev[0].gtt_total, 8357834752LL);
        assert_int_equal(g.dev[0].gtt_used, 104857600LL);
        assert_string_equal(g.dev[1].vendor, "intel");
        assert_string_equal(g.dev[1].pci, "0000:00:02.0");
        assert_true(g.dev[1].total == MB_UNKNOWN);
        assert_true(g.dev[1].free == MB_UNKNOWN);
        mb_gpus_release(&g);
        mb_root_close(&root);
}

static const struct mb_proc *find(const struct mb_proctab *t, int pid)
{
        for (size_t i = 0; i < t->n; i++)
                if (t->p[i].pid == pid)
                        return &t->p[i];
        return NULL;
}

static void fdinfo_clients(void **state)
{
        struct mb_root root;
        struct mb_proctab t;
        struct mb_gpus g;
        int64_t dev0 = 0;

        (void)state;
        open_fixture(&root);
        mb_proctab_init(&t);
        assert_int_equal(mb_proc_scan(&root, MB_SCAN_CMDLINE, NULL, &t), 5);
        assert_int_equal(mb_gpu_collect(&root, &t, &g), 0);
        assert_int_equal(g.n, 2);
        assert_string_equal(g.nvml_status, "no NVIDIA GPU (NVML not used with --proc-root)");
        assert_int_equal(find(&t, 100)->gpu, 256 * MiB);
        /* client 12: fds 7 and 8 of 200 and fd 3 of its child 201, counted once */
        assert_int_equal(find(&t, 200)->gpu, GiB);
        assert_int_equal(find(&t, 201)->gpu, 4096);
        assert_int_equal(find(&t, 300)->gpu, 96 * MiB);
        assert_int_equal(find(&t, 400)->gpu, 0);
        for (size_t i = 0; i < g.nprocs; i++) {
                assert_true(g.procs[i].gpu >= 0 && g.procs[i].gpu < 2);
                if (g.procs[i].gpu == 0)
                        dev0 += g.procs[i].bytes;
        }
        assert_int_equal(dev0, 256 * MiB + GiB + 4096);
        assert_int_equal(g.fdinfo_denied, 0);
        mb_gpus_release(&g);

        /* without a process table: devices only, nothing read from fdinfo */
        assert_int_equal(mb_gpu_collect(&root, NULL, &g), 0);
        assert_int_equal(g.n, 2);
        assert_int_equal(g.nprocs, 0);
        mb_gpus_release(&g);
        mb_proctab_release(&t);
        mb_root_close(&root);
}

/* ---- NVML through the fake library ---- */

static void write_conf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void write_conf(const char *fmt, ...)
{
        FILE *f = fopen(conf, "w");
        va_list ap;

        assert_non_null(f);
        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
        fclose(f);
}

static void use_lib(const char *name)
{
        char p[PATH_MAX + 32];

        mb_gpu_shutdown(); /* the next collect loads the library afresh */
        snprintf(p, sizeof(p), "%s/%s", helpers, name);
        setenv("MEMBUDGET_NVML_LIB", p, 1);
}

/* A counter of the loaded fake, or -1. */
static int fake_counter(const char *lib, const char *name)
{
        char p[PATH_MAX + 32];
        void *h;
        int *v, r = -1;

        snprintf(p, sizeof(p), "%s/%s", helpers, lib);
        h = dlopen(p, RTLD_NOW | RTLD_NOLOAD);
        if (!h)
                return -1;
        if ((v = dlsym(h, name)))
                r = *v;
        dlclose(h);
        return r;
}

/* Collect on the live /proc and an empty sys root (no DRM devices). */
static void collect(struct mb_proctab *t, struct mb_gpus *g)
{
        struct mb_root root;

        assert_int_equal(mb_root_open(&root, "/proc", tmpdir), 0);
        if (t)
                assert_true(mb_proc_scan(&root, 0, NULL, t) > 0);
        assert_int_equal(mb_gpu_collect(&root, t, g), 0);
        mb_root_close(&root);
}

static void nvml_no_library(void **state)
{
        struct mb_gpus g;

        (void)state;
        mb_gpu_shutdown();
        setenv("MEMBUDGET_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
        collect(NULL, &g);
        assert_int_equal(g.n, 0);
        assert_string_equal(g.nvml_status,
                            "no NVIDIA GPU (cannot load /nonexistent/libnvidia-ml.so.1)");
        mb_gpus_release(&g);
}

static void nvml_init_failure(void **state)
{
        struct mb_gpus g;

        (void)state;
        use_lib("fake-nvml.so");
        write_conf("init_fail 9\ndevice 100 10 0 GPU-x never seen\n");
        collect(NULL, &g);
        assert_int_equal(g.n, 0);
        assert_string_equal(g.nvml_status, "no NVIDIA GPU (nvmlInit: Driver Not Loaded)");
        mb_gpus_release(&g);

        /* no config at all: the fake says DRIVER_NOT_LOADED too */
        unsetenv("FAKE_NVML_CONFIG");
        collect(NULL, &g);
        assert_int_equal(g.n, 0);
        assert_string_equal(g.nvml_status, "no NVIDIA GPU (nvmlInit: Driver Not Loaded)");
        setenv("FAKE_NVML_CONFIG", conf, 1);
        mb_gpus_release(&g);

        /* initialised, but no device */
        write_conf("driver 1.0\n");
        collect(NULL, &g);
        assert_int_equal(g.n, 0);
        assert_string_equal(g.nvml_status, "no NVIDIA GPU (NVML found no device)");
        mb_gpus_release(&g);
}

static void nvml_two_devices(void **state)
{
        struct mb_proctab t;
        struct mb_gpus g;
        const struct mb_proc *me;

        (void)state;
        use_lib("fake-nvml.so");
        write_conf("driver 535.104.05\n"
                   "device 25769803776 4294967296 536870912 GPU-aaaa NVIDIA A10G\n"
                   "proc %d 1073741824\n"
                   "proc %d 1048576 graphics\n" /* the same pid: counted once per device */
                   "proc 999999999 5\n"
                   "device 4294967296 1073741824 0 GPU-bbbb Tesla T4\n"
                   "proc %d 536870912 graphics\n",
                   (int)getpid(), (int)getpid(), (int)getpid());
        mb_proctab_init(&t);
        collect(&t, &g);
        assert_string_equal(g.nvml_status, "NVML, driver 535.104.05");
        assert_int_equal(g.n, 2);
        assert_int_equal(g.dev[0].index, 0);
        assert_string_equal(g.dev[0].vendor, "nvidia");
        assert_string_equal(g.dev[0].name, "NVIDIA A10G");
        assert_string_equal(g.dev[0].uuid, "GPU-aaaa");
        /* v2: used is allocated memory; reserved is apart */
        assert_int_equal(g.dev[0].total, 25769803776LL);
        assert_int_equal(g.dev[0].used, 4294967296LL);
        assert_int_equal(g.dev[0].free, 25769803776LL - 4294967296LL - 536870912LL);
        assert_string_equal(g.dev[0].error, "");
        assert_int_equal(g.dev[1].index, 1);
        assert_string_equal(g.dev[1].name, "Tesla T4");
        assert_int_equal(g.nprocs, 3);
        assert_int_equal(g.procs[0].gpu, 0);
        assert_int_equal(g.procs[0].bytes, GiB);
        assert_int_equal(g.procs[1].pid, 999999999);
        assert_int_equal(g.procs[2].gpu, 1);
        me = find(&t, getpid());
        assert_non_null(me);
        assert_int_equal(me->gpu, GiB + 512 * MiB);
        assert_int_equal(find(&t, 1)->gpu, 0); /* inspected, holds nothing */
        assert_int_equal(fake_counter("fake-nvml.so", "fake_nvml_refs"), 1);
        mb_gpus_release(&g);

        /* a second collection reuses the initialised library */
        collect(NULL, &g);
        assert_int_equal(g.n, 2);
        assert_int_equal(g.nprocs, 0);
        assert_int_equal(fake_counter("fake-nvml.so", "fake_nvml_refs"), 1);
        mb_gpus_release(&g);
        mb_proctab_release(&t);
}

static void nvml_device_failing(void **state)
{
        struct mb_gpus g;

        (void)state;
        use_lib("fake-nvml.so");
        write_conf("device 100 10 0 GPU-0 lost one\nhandle_fail 15\n"
                   "device 200 20 0 GPU-1 broken memory\nmemory_fail 15\n"
                   "device 300 30 0 GPU-2 good one\n");
        collect(NULL, &g);
        assert_int_equal(g.n, 3);
        assert_string_equal(g.dev[0].error, "nvmlDeviceGetHandleByIndex: GPU is lost");
        assert_string_equal(g.dev[0].vendor, "nvidia");
        assert_true(g.dev[0].total == MB_UNKNOWN);
        assert_string_equal(g.dev[1].error, "memory: GPU is lost");
        assert_string_equal(g.dev[1].name, "broken memory");
        assert_true(g.dev[1].used == MB_UNKNOWN);
        assert_string_equal(g.dev[2].error, "");
        assert_int_equal(g.dev[2].index, 2);
        assert_int_equal(g.dev[2].total, 300);
        assert_int_equal(g.dev[2].used, 30);
        assert_int_equal(g.dev[2].free, 270);
        mb_gpus_release(&g);
}

static void nvml_many_processes(void **state)
{
        enum { N = MB_NVML_PROCS_FIRST * 3 + 1 };
        struct mb_proctab t;
        struct mb_gpus g;
        FILE *f;

        (void)state;
        use_lib("fake-nvml.so");
        f = fopen(conf, "w");
        assert_non_null(f);
        fprintf(f, "device 1000000000 500000000 0 GPU-many many\n");
        for (int i = 0; i < N; i++)
                fprintf(f, "proc %d %d\n", 100000 + i, (i + 1) * 1000);
        fprintf(f, "proc %d 777\n", (int)getpid());
        fclose(f);
        mb_proctab_init(&t);
        collect(&t, &g);
        assert_int_equal(g.nprocs, N + 1);
        for (int i = 0; i < N; i++) {
                assert_int_equal(g.procs[i].pid, 100000 + i);
                assert_int_equal(g.procs[i].bytes, (i + 1) * 1000);
        }
        assert_int_equal(find(&t, getpid())->gpu, 777);
        assert_true(fake_counter("fake-nvml.so", "fake_nvml_short") >= 1);
        mb_gpus_release(&g);
        mb_proctab_release(&t);
}

static void nvml_not_available(void **state)
{
        struct mb_proctab t;
        struct mb_gpus g;

        (void)state;
        use_lib("fake-nvml.so");
        write_conf("device 1000 100 0 GPU-na na\nproc %d NA\nproc 1 NA\n"
                   "device 1000 100 0 GPU-na2 na2\nproc 1 4096\n",
                   (int)getpid());
        mb_proctab_init(&t);
        collect(&t, &g);
        assert_int_equal(g.nprocs, 3);
        assert_true(g.procs[0].bytes == MB_UNKNOWN);
        /* only "not available": unknown, not 0 */
        assert_true(find(&t, getpid())->gpu == MB_UNKNOWN);
        /* not available on one device, known on another: the known part */
        assert_int_equal(find(&t, 1)->gpu, 4096);
        mb_gpus_release(&g);
        mb_proctab_release(&t);
}

static void nvml_v1_only(void **state)
{
        struct mb_proctab t;
        struct mb_gpus g;

        (void)state;
        use_lib("fake-nvml-v1.so");
        write_conf("device 8589934592 1073741824 268435456 GPU-old Quadro K600\n"
                   "proc %d 123456789\nproc 1 NA graphics\nproc 2 42 graphics\n",
                   (int)getpid());
        mb_proctab_init(&t);
        collect(&t, &g);
        assert_int_equal(g.n, 1);
        assert_string_equal(g.dev[0].error, "");
        /* v1: used includes the reserved memory */
        assert_int_equal(g.dev[0].used, GiB + 256 * MiB);
        assert_int_equal(g.dev[0].free, 8 * GiB - GiB - 256 * MiB);
        /* 16-byte process structs read at the right stride */
        assert_int_equal(g.nprocs, 3);
        assert_int_equal(g.procs[0].pid, getpid());
        assert_int_equal(g.procs[0].bytes, 123456789);
        assert_int_equal(g.procs[1].pid, 1);
        assert_true(g.procs[1].bytes == MB_UNKNOWN);
        assert_int_equal(g.procs[2].pid, 2);
        assert_int_equal(g.procs[2].bytes, 42);
        assert_int_equal(find(&t, getpid())->gpu, 123456789);
        mb_gpus_release(&g);
        mb_proctab_release(&t);
}

static int setup(void **state)
{
        const char *b = getenv("MB_BUILD");

        (void)state;
        if (b && *b) {
                snprintf(helpers, sizeof(helpers), "%.4000s/helpers", b);
        } else {
                /* BUILD/tests/test-gpu -> BUILD/helpers */
                char self[PATH_MAX];
                ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
                char *s;
                if (n <= 0)
                        return -1;
                self[n] = '\0';
                if ((s = strrchr(self, '/')))
                        *s = '\0';
                if ((s = strrchr(self, '/')))
                        *s = '\0';
                if (strlen(self) + sizeof("/helpers") > sizeof(helpers))
                        return -1;
                memcpy(helpers, self, strlen(self));
                strcpy(helpers + strlen(self), "/helpers");
        }
        if (!mkdtemp(tmpdir))
                return -1;
        snprintf(conf, sizeof(conf), "%s/fake-nvml.conf", tmpdir);
        setenv("FAKE_NVML_CONFIG", conf, 1);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        mb_gpu_shutdown();
        unlink(conf);
        rmdir(tmpdir);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(parse_legacy_amdgpu), cmocka_unit_test(parse_resident_wins),
            cmocka_unit_test(parse_units),         cmocka_unit_test(parse_integrated),
            cmocka_unit_test(parse_not_drm),       cmocka_unit_test(parse_sum_saturates),
            cmocka_unit_test(sysfs_devices),       cmocka_unit_test(fdinfo_clients),
            cmocka_unit_test(nvml_no_library),     cmocka_unit_test(nvml_init_failure),
            cmocka_unit_test(nvml_two_devices),    cmocka_unit_test(nvml_device_failing),
            cmocka_unit_test(nvml_many_processes), cmocka_unit_test(nvml_not_available),
            cmocka_unit_test(nvml_v1_only),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
