/*
 * systemd.h: memory limits for a systemd unit through a drop-in,
 * ETC/etc/systemd/system/NAME.service.d/50-membudget.conf, with
 * MemoryAccounting=yes, MemoryMax=, MemoryHigh= (default 90 % of max),
 * MemorySwapMax=, CPUAccounting=yes, TasksAccounting=yes; never the
 * deprecated MemoryLimit=.  When systemd is PID 1 the plan also runs
 * `systemctl daemon-reload` and `systemctl set-property --runtime`.
 */
#ifndef MB_ACT_SYSTEMD_H
#define MB_ACT_SYSTEMD_H

#include "cgroup.h"
#include "plan.h"

#define MB_DROPIN_NAME "50-membudget.conf"

/* "NAME" or "NAME.service" -> "NAME.service" in out; -EINVAL when the
 * name has characters systemd does not allow in a unit name. */
int mb_unit_name(const char *in, char *out, size_t len);

/* The drop-in text for lim (max required; high -1 = 90 % of max). */
void mb_dropin_text(const struct mb_cg_limits *lim, char *buf, size_t len);

/* A size as systemd reads it: "3G", "3584M", "512K" or bytes. */
void mb_systemd_size(int64_t v, char *buf, size_t len);

/* Is systemd PID 1 (PROC/1/comm == "systemd")? */
bool mb_systemd_is_pid1(const char *proc_root);

/* Plan (pure): dropin_path, its text now (NULL = absent). */
int mb_systemd_limit_plan(const char *unit, const char *dropin_path, const char *current,
                          const struct mb_cg_limits *lim, bool pid1, struct mb_plan *plan);

/* fork + execvp argv (no shell), wait.  0, or -errno / -ECHILD (msg says
 * the exit status). */
int mb_run_argv(char *const argv[], char *msg, size_t len);

#endif
