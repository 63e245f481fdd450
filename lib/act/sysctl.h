/*
 * sysctl.h: vm.swappiness (runtime and persisted) and vm.drop_caches.
 *
 * The persisted value goes to ETC/etc/sysctl.d/60-membudget.conf, written
 * atomically and only when its text changes.  Every other file that sets
 * vm.swappiness is found and the boot-time winner computed with the
 * systemd-sysctl / `sysctl --system` load order: *.conf files of
 * /etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d, /usr/lib/sysctl.d,
 * /lib/sysctl.d, a name in an earlier directory masking the same name in a
 * later one, all sorted by file name, the later file winning; then
 * /etc/sysctl.conf (procps reads it last).
 *
 * ETC is "" (the real root) unless $MEMBUDGET_ETC_ROOT names another
 * (tests; an image being prepared).
 */
#ifndef MB_SYSCTL_H
#define MB_SYSCTL_H

#include "plan.h"

#define MB_SYSCTL_CONF_NAME "60-membudget.conf"

enum mb_sysctl_dir {
        MB_SD_ETC,
        MB_SD_RUN,
        MB_SD_USR_LOCAL,
        MB_SD_USR,
        MB_SD_LIB,
        MB_SD_SYSCTL_CONF, /* /etc/sysctl.conf */
        MB_SD_COUNT
};

/* The directory (or file) of each source, without the ETC prefix. */
const char *mb_sysctl_dir_path(enum mb_sysctl_dir d);

struct mb_sysctl_src {
        char path[1024];
        char name[256];
        enum mb_sysctl_dir dir;
        bool sets; /* sets the key */
        char value[64];
        bool masked; /* hidden by the same name in an earlier directory */
};

struct mb_sysctl_srcs {
        struct mb_sysctl_src *s;
        size_t n, cap;
};

/* The last value the key gets in a sysctl.conf text ("vm.swappiness" and
 * "vm/swappiness" are the same key; a leading '-' is allowed).  1 with val
 * filled, 0 when the key is not set. */
int mb_sysctl_conf_value(const char *buf, size_t len, const char *key, char *val, size_t vlen);

/* Add a source (pure). 0 or -ENOMEM. */
int mb_sysctl_src_add(struct mb_sysctl_srcs *s, enum mb_sysctl_dir dir, const char *path,
                      const char *name, const char *value);

/* Read every source under etc_root that sets key.  0 or -errno. */
int mb_sysctl_scan(const char *etc_root, const char *key, struct mb_sysctl_srcs *ret);
void mb_sysctl_srcs_release(struct mb_sysctl_srcs *s);

/* Sort in load order, mark masked ones; the index of the source whose
 * value wins, or -1 when none sets the key (pure). */
int mb_sysctl_winner(struct mb_sysctl_srcs *s);

/* The file text membudget writes for swappiness `want`. */
void mb_swappiness_conf_text(int want, char *buf, size_t len);

/*
 * Plan swappiness (pure): current runtime value (-1 unknown), wanted value,
 * the runtime file path (PROC/sys/vm/swappiness), the conf path and its
 * present text (NULL = absent), and the other sources (conf of ours among
 * them or not; reordered).  Adds notes on conflicting files.
 */
int mb_swappiness_plan(int current, int want, const char *proc_path, const char *conf_path,
                       const char *conf_current, struct mb_sysctl_srcs *srcs, struct mb_plan *plan);

/*
 * The swappiness plan on a host: the runtime file under proc_root (NULL =
 * /proc), the persisted one ETC/etc/sysctl.d/60-membudget.conf (its path
 * into conf) and the other sysctl files under etc_root ("" = /).  0, -ENOMEM,
 * or -errno with *read_err set when conf exists but cannot be read.
 */
int mb_swappiness_plan_host(const char *proc_root, const char *etc_root, int current, int want,
                            struct mb_plan *plan, char *conf, size_t conflen, bool *read_err);

/* PROC/sys/vm/NAME (proc_root NULL = /proc) into buf. */
void mb_sysctl_vm_path(const char *proc_root, const char *name, char *buf, size_t len);

/* Plan a cache drop (pure): sync, then 3 > PROC/sys/vm/drop_caches. */
int mb_drop_caches_plan(const char *drop_path, struct mb_plan *plan);

/* Write a /proc/sys value.  0 or -errno. */
int mb_sysctl_write(const char *path, const char *value);

#endif
