/* test-container.c: cgroup paths named by runtime, container and pod id
 * (table-driven), the own cgroup path, limit values, and detection on
 * fixture trees (a cgroup namespace with a limited root, v1, the host).
 * With MB_TEST_CONTAINER_LIVE=BYTES (the VM stage, inside
 * `unshare --cgroup` in a limited scope) the real detection must find a
 * cgroup namespace and that limit. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/act/systemd.h"
#include "../../lib/analyze/problems.h"
#include "../../lib/collect/cgroup-mem.h"
#include "../../lib/config/config.h"
#include "../../lib/collect/container.h"

#define ID64 "3f2a9c1e4b5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7"
#define POD  "1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f0"
#define POD_ "1b2c3d4e_5f60_4172_8394_a5b6c7d8e9f0"

static void test_names(void **state)
{
        static const struct {
                const char *path;
                enum mb_ctr_runtime rt;
                const char *id, *pod, *qos;
                bool conmon;
        } t[] = {
            /* docker: cgroupfs and systemd drivers */
            {"/docker/" ID64, MB_CTR_DOCKER, ID64, "", "", false},
            {"/system.slice/docker-" ID64 ".scope", MB_CTR_DOCKER, ID64, "", "", false},
            {"/system.slice/docker.service", MB_CTR_NONE, "", "", "", false},
            /* Kubernetes, systemd driver: containerd, cri-o, docker; QoS classes */
            {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD_
             ".slice/cri-containerd-" ID64 ".scope",
             MB_CTR_CONTAINERD, ID64, POD, "burstable", false},
            {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_
             ".slice/crio-" ID64 ".scope",
             MB_CTR_CRIO, ID64, POD, "besteffort", false},
            {"/kubepods.slice/kubepods-pod" POD_ ".slice/crio-conmon-" ID64 ".scope", MB_CTR_CRIO,
             ID64, POD, "guaranteed", true},
            {"/kubepods.slice/kubepods-pod" POD_ ".slice/docker-" ID64 ".scope", MB_CTR_DOCKER,
             ID64, POD, "guaranteed", false},
            /* the pod's own slice: no container */
            {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD_ ".slice",
             MB_CTR_KUBEPODS, "", POD, "burstable", false},
            /* Kubernetes, cgroupfs driver: the runtime is not in the path */
            {"/kubepods/burstable/pod" POD "/" ID64, MB_CTR_KUBEPODS, ID64, POD, "burstable",
             false},
            {"/kubepods/pod" POD "/" ID64, MB_CTR_KUBEPODS, ID64, POD, "guaranteed", false},
            {"/kubepods/besteffort/pod" POD, MB_CTR_KUBEPODS, "", POD, "besteffort", false},
            /* podman (libpod): systemd, rootless, pods, cgroupfs, conmon */
            {"/machine.slice/libpod-" ID64 ".scope", MB_CTR_PODMAN, ID64, "", "", false},
            {"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID64 ".scope",
             MB_CTR_PODMAN, ID64, "", "", false},
            {"/machine.slice/machine-libpod_pod_" ID64 ".slice/libpod-" ID64 ".scope",
             MB_CTR_PODMAN, ID64, ID64, "", false},
            {"/machine.slice/libpod-conmon-" ID64 ".scope", MB_CTR_PODMAN, ID64, "", "", true},
            {"/libpod_parent/libpod-" ID64, MB_CTR_PODMAN, ID64, "", "", false},
            /* containerd without Kubernetes (nerdctl) */
            {"/system.slice/nerdctl-" ID64 ".scope", MB_CTR_CONTAINERD, ID64, "", "", false},
            /* lxc */
            {"/lxc.payload.web1", MB_CTR_LXC, "web1", "", "", false},
            {"/lxc.monitor.web1", MB_CTR_LXC, "web1", "", "", true},
            {"/lxc/web1/init.scope", MB_CTR_LXC, "web1", "", "", false},
            /* not containers */
            {"/", MB_CTR_NONE, "", "", "", false},
            {"", MB_CTR_NONE, "", "", "", false},
            {"/user.slice/user-0.slice/session-3.scope", MB_CTR_NONE, "", "", "", false},
            {"/system.slice/docker-notanid.scope", MB_CTR_NONE, "", "", "", false},
            {"/system.slice/docker-3f2a.scope", MB_CTR_NONE, "", "", "", false},
            {"/membudget/run-123", MB_CTR_NONE, "", "", "", false},
            {"/podcast/" ID64, MB_CTR_NONE, "", "", "", false},
        };
        (void)state;
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                struct mb_ctr_name n;
                bool hit = mb_ctr_name_of(t[i].path, &n);
                if (hit != (t[i].rt != MB_CTR_NONE) || n.runtime != t[i].rt ||
                    strcmp(n.id, t[i].id) || strcmp(n.pod, t[i].pod) || strcmp(n.qos, t[i].qos) ||
                    n.conmon != t[i].conmon)
                        fail_msg("%s: got %s id=%s pod=%s qos=%s conmon=%d", t[i].path,
                                 mb_ctr_runtime_name(n.runtime), n.id, n.pod, n.qos, n.conmon);
        }
        assert_false(mb_ctr_name_of(NULL, &(struct mb_ctr_name){0}));
}

static void test_format(void **state)
{
        struct mb_ctr_name n;
        char b[128];
        (void)state;
        assert_true(mb_ctr_name_of(
            "/kubepods.slice/kubepods-pod" POD_ ".slice/cri-containerd-" ID64 ".scope", &n));
        mb_ctr_name_format(&n, b, sizeof(b));
        assert_string_equal(b, "containerd pod " POD " container 3f2a9c1e4b5d");
        assert_true(mb_ctr_name_of("/docker/" ID64, &n));
        mb_ctr_name_format(&n, b, sizeof(b));
        assert_string_equal(b, "docker 3f2a9c1e4b5d");
        mb_ctr_name_format(&n, b, 7);
        assert_string_equal(b, "docker");
        mb_ctr_name_of("/", &n);
        mb_ctr_name_format(&n, b, sizeof(b));
        assert_string_equal(b, "");
}

static void test_cgroup_path(void **state)
{
        char b[256];
        (void)state;
        assert_int_equal(mb_ctr_cgroup_path("0::/system.slice/x.service\n", true, b, sizeof(b)), 0);
        assert_string_equal(b, "/system.slice/x.service");
        assert_int_equal(mb_ctr_cgroup_path("0::/\n", true, b, sizeof(b)), 0);
        assert_string_equal(b, "/");
        const char *v1 =
            "12:pids:/a\n11:cpu,cpuacct:/b\n5:memory:/docker/" ID64 "\n1:name=systemd:/c\n0::/d\n";
        assert_int_equal(mb_ctr_cgroup_path(v1, false, b, sizeof(b)), 0);
        assert_string_equal(b, "/docker/" ID64);
        assert_int_equal(mb_ctr_cgroup_path(v1, true, b, sizeof(b)), 0);
        assert_string_equal(b, "/d");
        assert_int_equal(mb_ctr_cgroup_path("4:memory,hugetlb:/m", false, b, sizeof(b)), 0);
        assert_string_equal(b, "/m");
        assert_int_equal(mb_ctr_cgroup_path("3:memoryx:/m\n", false, b, sizeof(b)), -ENOENT);
        assert_int_equal(mb_ctr_cgroup_path("10::/x\n", true, b, sizeof(b)), -ENOENT);
        assert_int_equal(mb_ctr_cgroup_path("garbage", true, b, sizeof(b)), -ENOENT);
        assert_int_equal(mb_ctr_cgroup_path("", false, b, sizeof(b)), -ENOENT);
}

static void test_parse_limit(void **state)
{
        int64_t v;
        (void)state;
        assert_int_equal(mb_ctr_parse_limit("max\n", &v), 0);
        assert_int_equal(v, -1);
        assert_int_equal(mb_ctr_parse_limit("67108864\n", &v), 0);
        assert_int_equal(v, 67108864);
        assert_int_equal(mb_ctr_parse_limit("9223372036854771712\n", &v), 0); /* v1 none */
        assert_int_equal(v, -1);
        assert_int_equal(mb_ctr_parse_limit("0", &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(mb_ctr_parse_limit("12x", &v), -EINVAL);
        assert_int_equal(mb_ctr_parse_limit("", &v), -EINVAL);
        assert_int_equal(mb_ctr_parse_limit("-5", &v), -EINVAL);
}

/* ---- fixture trees ---------------------------------------------------------- */

static void put(const char *root, const char *rel, const char *text)
{
        char p[1024], cmd[1200];
        snprintf(p, sizeof(p), "%s/%s", root, rel);
        snprintf(cmd, sizeof(cmd), "%s", p);
        *strrchr(cmd, '/') = '\0';
        char *argv[] = {"mkdir", "-p", cmd, NULL};
        char msg[128];
        assert_int_equal(mb_run_argv(argv, msg, sizeof(msg)), 0);
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void ns_links(const char *root, const char *self, const char *init)
{
        char p[1024];
        snprintf(p, sizeof(p), "%s/proc/self/ns", root);
        mkdir(p, 0755);
        snprintf(p, sizeof(p), "%s/proc/1/ns", root);
        char *argv[] = {"mkdir", "-p", p, NULL};
        char msg[128];
        mb_run_argv(argv, msg, sizeof(msg));
        snprintf(p, sizeof(p), "%s/proc/self/ns/cgroup", root);
        assert_int_equal(symlink(self, p), 0);
        snprintf(p, sizeof(p), "%s/proc/1/ns/cgroup", root);
        assert_int_equal(symlink(init, p), 0);
}

static char *mktree(void)
{
        char *t = strdup("/tmp/mbtest-container-unit.XXXXXX");
        assert_non_null(mkdtemp(t));
        return t;
}

static void rmtree(char *t)
{
        char *argv[] = {"rm", "-rf", t, NULL};
        char msg[128];
        mb_run_argv(argv, msg, sizeof(msg));
        free(t);
}

static void with(char *t, const char *sub, char *buf, size_t len)
{
        snprintf(buf, len, "%s/%s", t, sub);
}

/* A container: own cgroup namespace, v2 root is the container's (has
 * cgroup.events), processes in /init.scope below it. */
static void test_detect_cgroupns_v2(void **state)
{
        char *t = mktree(), proc[512], sys[512];
        struct mb_container c;
        (void)state;
        put(t, "proc/self/cgroup", "0::/init.scope\n");
        ns_links(t, "cgroup:[4026532100]", "cgroup:[4026532100]");
        put(t, "sys/fs/cgroup/cgroup.controllers", "cpu memory pids\n");
        put(t, "sys/fs/cgroup/cgroup.events", "populated 1\nfrozen 0\n");
        put(t, "sys/fs/cgroup/memory.max", "100663296\n");
        put(t, "sys/fs/cgroup/memory.high", "max\n");
        put(t, "sys/fs/cgroup/memory.swap.max", "0\n");
        put(t, "sys/fs/cgroup/memory.current", "5242880\n");
        put(t, "sys/fs/cgroup/init.scope/memory.max", "max\n");
        put(t, "sys/fs/cgroup/init.scope/memory.current", "4096\n");
        put(t, ".dockerenv", "");
        with(t, "proc", proc, sizeof(proc));
        with(t, "sys", sys, sizeof(sys));
        assert_int_equal(mb_container_detect(proc, sys, t, &c), 0);
        assert_true(c.in_container);
        assert_true(c.cgroupns);
        assert_string_equal(c.how, "cgroup namespace, /.dockerenv");
        assert_int_equal(c.version, 2);
        assert_string_equal(c.cgroup, "/init.scope");
        assert_int_equal(c.limit, 100663296);
        assert_int_equal(c.current, 5242880);
        assert_int_equal(c.high, -1);
        assert_int_equal(c.swap_max, 0);
        assert_non_null(strstr(c.limit_dir, "/sys/fs/cgroup"));
        assert_null(strstr(c.limit_dir, "init.scope"));
        rmtree(t);
}

/* The host: root cgroup (no cgroup.events, no memory.max), same namespace
 * as PID 1, a service without a limit. */
static void test_detect_host_v2(void **state)
{
        char *t = mktree(), proc[512], sys[512];
        struct mb_container c;
        (void)state;
        put(t, "proc/self/cgroup", "0::/system.slice/a.service\n");
        ns_links(t, "cgroup:[4026531835]", "cgroup:[4026531835]");
        put(t, "sys/fs/cgroup/cgroup.controllers", "cpu memory pids\n");
        put(t, "sys/fs/cgroup/system.slice/memory.max", "max\n");
        put(t, "sys/fs/cgroup/system.slice/a.service/memory.max", "max\n");
        put(t, "sys/fs/cgroup/system.slice/a.service/memory.current", "1048576\n");
        with(t, "proc", proc, sizeof(proc));
        with(t, "sys", sys, sizeof(sys));
        assert_int_equal(mb_container_detect(proc, sys, t, &c), 0);
        assert_false(c.in_container);
        assert_false(c.cgroupns);
        assert_string_equal(c.how, "");
        assert_int_equal(c.limit, -1);
        assert_int_equal(c.current, 1048576);
        assert_string_equal(c.limit_dir, "");
        /* a limit on the way up: the smallest counts */
        put(t, "sys/fs/cgroup/system.slice/memory.max", "2147483648\n");
        put(t, "sys/fs/cgroup/system.slice/a.service/memory.max", "4294967296\n");
        put(t, "sys/fs/cgroup/system.slice/memory.current", "7\n");
        assert_int_equal(mb_container_detect(proc, sys, t, &c), 0);
        assert_int_equal(c.limit, 2147483648);
        assert_int_equal(c.current, 7);
        rmtree(t);
}

/* v1, a docker container seen without a cgroup namespace (host paths), a
 * different namespace than PID 1 counts too. */
static void test_detect_v1(void **state)
{
        char *t = mktree(), proc[512], sys[512];
        struct mb_container c;
        (void)state;
        put(t, "proc/self/cgroup", "5:memory:/docker/" ID64 "\n0::/\n");
        ns_links(t, "cgroup:[4026532200]", "cgroup:[4026531835]");
        put(t, "sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
        put(t, "sys/fs/cgroup/memory/docker/" ID64 "/memory.limit_in_bytes", "536870912\n");
        put(t, "sys/fs/cgroup/memory/docker/" ID64 "/memory.usage_in_bytes", "1234\n");
        with(t, "proc", proc, sizeof(proc));
        with(t, "sys", sys, sizeof(sys));
        assert_int_equal(mb_container_detect(proc, sys, t, &c), 0);
        assert_int_equal(c.version, 1);
        assert_true(c.cgroupns);
        assert_int_equal(c.limit, 536870912);
        assert_int_equal(c.current, 1234);
        assert_int_equal(c.name.runtime, MB_CTR_DOCKER);
        assert_string_equal(c.name.id, ID64);
        rmtree(t);
}

static void test_detect_errors(void **state)
{
        char *t = mktree(), proc[512], sys[512];
        struct mb_container c;
        (void)state;
        with(t, "proc", proc, sizeof(proc));
        with(t, "sys", sys, sizeof(sys));
        assert_true(mb_container_detect(proc, sys, t, &c) < 0); /* no proc/self/cgroup */
        put(t, "proc/self/cgroup", "0::/x\n");                  /* no hierarchy at all */
        assert_int_equal(mb_container_detect(proc, sys, t, &c), 0);
        assert_int_equal(c.version, 0);
        assert_int_equal(c.limit, -1);
        assert_int_equal(c.current, -1);
        rmtree(t);
}

/* The real thing, where the VM stage asks for it. */
static void test_live(void **state)
{
        const char *want = getenv("MB_TEST_CONTAINER_LIVE");
        struct mb_container c;
        char nm[128];
        (void)state;
        if (!want)
                skip();
        assert_int_equal(mb_container_detect(NULL, NULL, NULL, &c), 0);
        mb_ctr_name_format(&c.name, nm, sizeof(nm));
        print_message("evidence: in_container=%d cgroupns=%d how=[%s] v%d cgroup=%s limit=%lld "
                      "(from %s) current=%lld high=%lld swap.max=%lld name=[%s]\n",
                      c.in_container, c.cgroupns, c.how, c.version, c.cgroup, (long long)c.limit,
                      c.limit_dir, (long long)c.current, (long long)c.high, (long long)c.swap_max,
                      nm);
        if (strcmp(want, "host") == 0) {
                assert_false(c.cgroupns);
                return;
        }
        assert_true(c.cgroupns);
        assert_int_equal(c.limit, strtoll(want, NULL, 10));
        assert_true(c.current > 0);
}

/* memory.events, memory.stat, memory.oom_control (issue 14.2, 15.19) */
static void test_cgmem_parse(void **state)
{
        struct mb_cgmem m;
        (void)state;

        memset(&m, 0, sizeof(m));
        m.ev_low = m.ev_high = m.ev_max = m.ev_oom = m.ev_oom_kill = MB_CG_UNKNOWN;
        m.pswpin = m.refault = MB_CG_UNKNOWN;
        mb_cgmem_parse_events("low 1\nhigh 12\nmax 3\noom 2\noom_kill 1\noom_group_kill 0\n", &m);
        assert_int_equal(m.ev_low, 1);
        assert_int_equal(m.ev_high, 12);
        assert_int_equal(m.ev_max, 3);
        assert_int_equal(m.ev_oom, 2);
        assert_int_equal(m.ev_oom_kill, 1);
        /* "oom" does not match "oom_kill" nor "oom_group_kill" */
        mb_cgmem_parse_events("oom_group_kill 9\n", &m);
        assert_int_equal(m.ev_oom, 2);
        mb_cgmem_parse_stat(
            "anon 5\npswpin 40\nworkingset_refault_anon 3\nworkingset_refault_file 4\n", &m);
        assert_int_equal(m.pswpin, 40);
        assert_int_equal(m.refault, 7);
        m.refault = MB_CG_UNKNOWN;
        m.inactive_file = MB_CG_UNKNOWN;
        mb_cgmem_parse_stat(
            "cache 1\nworkingset_refault 11\ninactive_file 7\ntotal_inactive_file 9\n", &m);
        assert_int_equal(m.refault, 11);
        assert_int_equal(m.inactive_file, 9); /* v1: the hierarchy's total */

        /* the swap-in counter, best first: pswpin, refault_anon, pgmajfault */
        {
                static const struct {
                        const char *stat, *key;
                        int64_t v;
                } cases[] = {
                    {"pgmajfault 5\npswpin 40\nworkingset_refault_anon 3\n", "pswpin", 40},
                    {"pgmajfault 5\nworkingset_refault_anon 3\n", "workingset_refault_anon", 3},
                    {"workingset_refault_anon 3\ntotal_workingset_refault_anon 6\n",
                     "workingset_refault_anon", 6},                          /* v1 total */
                    {"pgmajfault 5\ntotal_pgmajfault 8\n", "pgmajfault", 8}, /* v1 total */
                    {"pgmajfault 5\n", "pgmajfault", 5},
                    {"anon 1\npgfault 9\n", NULL, 0},
                };
                for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                        struct mb_cgmem c = {.pswpin = MB_CG_UNKNOWN,
                                             .refault_anon = MB_CG_UNKNOWN,
                                             .pgmajfault = MB_CG_UNKNOWN};
                        int64_t v = 0;
                        const char *key;
                        mb_cgmem_parse_stat(cases[i].stat, &c);
                        key = mb_cgmem_swapin_counter(&c, &v);
                        if (!cases[i].key) {
                                assert_null(key);
                                continue;
                        }
                        assert_string_equal(key, cases[i].key);
                        assert_int_equal(v, cases[i].v);
                }
        }
        m.current = 100;
        assert_int_equal(mb_cgmem_working_set(&m), 91);
        m.inactive_file = MB_CG_UNKNOWN;
        assert_int_equal(mb_cgmem_working_set(&m), 100);
        m.current = MB_CG_UNKNOWN;
        assert_int_equal(mb_cgmem_working_set(&m), -1);
        m.ev_oom_kill = MB_CG_UNKNOWN;
        mb_cgmem_parse_oom_control("oom_kill_disable 0\nunder_oom 1\noom_kill 4\n", &m);
        assert_int_equal(m.ev_oom_kill, 4);
        assert_true(m.under_oom);
        /* garbage leaves the fields as they were */
        m.ev_max = MB_CG_UNKNOWN;
        mb_cgmem_parse_events("max x\nmax\n", &m);
        assert_true(m.ev_max == MB_CG_UNKNOWN);
}

/* Issue 15.19: who swaps in, by the cgroup's own counters: the thrashing
 * finding names the swapper's cgroup with its PSI and pswpin; the cgroup
 * findings come from memory.events (target vs other cgroups). */
static void test_cgroup_findings(void **state)
{
        struct mb_snapshot s;
        struct mb_config c;
        struct mb_findings fs = {0};
        struct mb_problem_input in = {0};
        struct mb_swap_delta d = {.pid = 300, .delta = 0, .majflt = 50000};
        struct mb_swapper_cgroup cg = {.pid = 300,
                                       .path = "/app",
                                       .v2 = true,
                                       .limit = 200 << 20,
                                       .usage = 199 << 20,
                                       .events_max = 9,
                                       .have_psi = true,
                                       .psi_some10 = 41.5,
                                       .psi_full10 = 30.25,
                                       .pswpin = 123456};
        const struct mb_finding *thr = NULL, *oom = NULL, *lim = NULL;
        struct mb_proc *p;
        (void)state;

        mb_config_defaults(&c);
        mb_snapshot_init(&s);
        s.mem.total = 23ull << 30;
        s.mem.available = 19ull << 30;
        s.mem.swap_total = 8ull << 30;
        s.mem.swap_used = 3ull << 30;
        s.have_psi = true;
        s.rates.valid = true;
        s.rates.interval_s = 0.5;
        s.rates.swapin_pages_per_s = 32000;
        s.procs.cap = 4;
        s.procs.p = calloc(4, sizeof(*s.procs.p));
        p = &s.procs.p[s.procs.n++];
        p->pid = 300;
        snprintf(p->name, sizeof(p->name), "hog");
        p->rss = 190 << 20;
        p->swap = 500 << 20;
        p->pss = p->uss = p->swappss = p->gpu = MB_UNKNOWN;
        /* a v2 cgroup found by its events (not the target's) */
        mb_strlcpy(s.target_cg[0].path, "/system.slice/x.service", sizeof(s.target_cg[0].path));
        s.target_cg[0].version = 2;
        s.target_cg[0].max = 256 << 20;
        s.target_cg[0].current = 250 << 20;
        s.target_cg[0].high = -1;
        s.target_cg[0].ev_high = 12;
        s.target_cg[0].ev_max = 3;
        s.target_cg[0].ev_oom = 1;
        s.target_cg[0].ev_oom_kill = 1;
        s.target_cg[0].pswpin = s.target_cg[0].refault = MB_CG_UNKNOWN;
        s.target_cg[0].inactive_file = MB_CG_UNKNOWN;
        s.ntarget_cg = 1;
        in.snap = &s;
        in.cfg = &c;
        in.swap_deltas_known = true;
        in.swap_deltas = &d;
        in.nswap_deltas = 1;
        in.swap_delta_s = 0.5;
        in.swapper_cg = &cg;
        assert_true(mb_problems_run(&in, &fs) >= 0);
        for (size_t i = 0; i < fs.n; i++) {
                if (!strcmp(fs.f[i].id, "swap-thrashing"))
                        thr = &fs.f[i];
                if (!strcmp(fs.f[i].id, "cgroup-oom-kill"))
                        oom = &fs.f[i];
                if (!strcmp(fs.f[i].id, "cgroup-at-limit"))
                        lim = &fs.f[i];
        }
        assert_non_null(thr);
        const char *ev = thr ? thr->evidence : "";
        assert_non_null(strstr(ev, "its memory cgroup /app"));
        assert_non_null(strstr(ev, "its memory.pressure some 41.50 full 30.25"));
        assert_non_null(strstr(ev, "its memory.stat pswpin 123456"));
        assert_non_null(oom);
        assert_int_equal(oom->severity, MB_SEV_MEDIUM); /* not the target's */
        assert_non_null(strstr(oom->cause, "1 process was OOM-killed in the cgroup "
                                           "/system.slice/x.service"));
        assert_non_null(lim);
        assert_int_equal(lim->severity, MB_SEV_HIGH); /* 250 of 256 MiB: at it now */
        assert_non_null(strstr(lim->value, "3 times at 256 MiB"));
        /* the target's: high, and worded so */
        s.target_cg[0].target = true;
        assert_true(mb_problems_run(&in, &fs) >= 0);
        oom = NULL;
        for (size_t i = 0; i < fs.n; i++)
                if (!strcmp(fs.f[i].id, "cgroup-oom-kill"))
                        oom = &fs.f[i];
        assert_non_null(oom);
        assert_int_equal(oom->severity, MB_SEV_HIGH);
        assert_non_null(strstr(oom->cause, "1 process of the target was OOM-killed in its cgroup"));
        /* no events: nothing */
        s.target_cg[0].ev_oom_kill = 0;
        s.target_cg[0].ev_max = 0;
        assert_true(mb_problems_run(&in, &fs) >= 0);
        for (size_t i = 0; i < fs.n; i++)
                assert_null(strstr(fs.f[i].id, "cgroup-"));
        mb_findings_release(&fs);
        mb_snapshot_release(&s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_names),
            cmocka_unit_test(test_format),
            cmocka_unit_test(test_cgroup_path),
            cmocka_unit_test(test_parse_limit),
            cmocka_unit_test(test_detect_cgroupns_v2),
            cmocka_unit_test(test_detect_host_v2),
            cmocka_unit_test(test_detect_v1),
            cmocka_unit_test(test_detect_errors),
            cmocka_unit_test(test_live),
            cmocka_unit_test(test_cgmem_parse),
            cmocka_unit_test(test_cgroup_findings),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
