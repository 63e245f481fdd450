/*
 * container.h: containers, seen from inside and from outside.
 *
 * Inside: is this process in a container (its own cgroup namespace, or a
 * runtime's marker file), and which memory limit matters there: the
 * smallest memory.max (v2) or memory.limit_in_bytes (v1) from the process's
 * own cgroup up to the root of the hierarchy it can see, with the usage of
 * that cgroup (memory.current / memory.usage_in_bytes).  In a container the
 * host's MemTotal says little; this limit is the one the OOM killer uses.
 *
 * Outside: a cgroup path named by runtime, container id and pod id, for
 * docker, containerd, cri-o, kubepods (Kubernetes, cgroupfs or systemd
 * driver), podman (libpod) and lxc paths.  Pure.
 */
#ifndef MB_COLLECT_CONTAINER_H
#define MB_COLLECT_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mb_ctr_runtime {
        MB_CTR_NONE, /* not a container's cgroup */
        MB_CTR_DOCKER,
        MB_CTR_CONTAINERD,
        MB_CTR_CRIO,
        MB_CTR_PODMAN,
        MB_CTR_LXC,
        MB_CTR_KUBEPODS, /* a Kubernetes pod whose runtime the path does not name (cgroupfs) */
};

/* "docker", "containerd", "cri-o", "podman", "lxc", "kubepods"; "" for NONE. */
const char *mb_ctr_runtime_name(enum mb_ctr_runtime r);

struct mb_ctr_name {
        enum mb_ctr_runtime runtime;
        char id[80];  /* container id (lxc: its name); "" when the path is a pod's own */
        char pod[80]; /* Kubernetes pod UID (dashes) or podman pod id; "" when none */
        char qos[16]; /* Kubernetes QoS class: "guaranteed", "burstable", "besteffort"; "" */
        bool conmon;  /* the runtime's monitor process (crio-conmon-, libpod-conmon-) */
};

/*
 * Name a cgroup path (as in /proc/PID/cgroup, "/kubepods.slice/..."): fills
 * ret and returns true when a runtime is recognised, else false and ret
 * zeroed (runtime MB_CTR_NONE).  Pure.
 */
bool mb_ctr_name_of(const char *cgpath, struct mb_ctr_name *ret);

/* "docker 3f2a9c1e4b5d" / "kubepods pod 1b2c... container 3f2a..." into buf. */
void mb_ctr_name_format(const struct mb_ctr_name *n, char *buf, size_t len);

/*
 * The memory cgroup path of a process from its /proc/PID/cgroup text: the
 * v2 line "0::PATH" (v2 true), or the v1 line whose controllers include
 * "memory".  0, or -ENOENT when the text has no such line.  Pure.
 */
int mb_ctr_cgroup_path(const char *text, bool v2, char *buf, size_t len);

/* A limit file's text: a byte count, or -1 for "max" and v1's "no limit"
 * (>= 2^62).  -EINVAL when it is neither.  Pure. */
int mb_ctr_parse_limit(const char *text, int64_t *ret);

struct mb_container {
        bool in_container;       /* any sign below */
        bool cgroupns;           /* own cgroup namespace */
        char how[128];           /* the signs, e.g. "cgroup namespace, /.dockerenv" */
        int version;             /* 2, 1, or 0 when no memory hierarchy was found */
        char cgroup[1024];       /* own memory cgroup path as this process sees it */
        int64_t limit;           /* the smallest limit on the way up; -1 = none */
        int64_t high;            /* v2 memory.high of that cgroup; -1 = none */
        int64_t swap_max;        /* v2 memory.swap.max of that cgroup; -1 = none or unknown */
        int64_t current;         /* usage of that cgroup; -1 = unknown */
        char limit_dir[1200];    /* the directory the limit came from ("" = none) */
        struct mb_ctr_name name; /* own path named (outside views, e.g. a host-mounted tree) */
};

/*
 * Detect from PROC/self (proc_root NULL = "/proc"), SYS/fs/cgroup
 * (sys_root NULL = "/sys") and marker files under root (NULL = "/"):
 * /.dockerenv, /run/.containerenv, /run/systemd/container.  A cgroup
 * namespace is seen when PROC/self/ns/cgroup differs from PROC/1/ns/cgroup,
 * or (v2) when the hierarchy's root has cgroup.events, which only non-root
 * cgroups have (systemd's test).  0, or -errno when PROC/self/cgroup cannot
 * be read.
 */
int mb_container_detect(const char *proc_root, const char *sys_root, const char *root,
                        struct mb_container *ret);

#endif
