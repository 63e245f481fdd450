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

/* Where `systemctl set-property --runtime` keeps what it sets. */
#define MB_SYSTEMD_CONTROL_DIR "/run/systemd/system.control"

/*
 * Plan (pure): dropin_path, its text now (NULL = absent).  With pid1, the
 * running unit first gets the limits (unit-props: set-property --runtime,
 * props_now = the values before, "MemoryMax=...\nMemoryHigh=...\n
 * MemorySwapMax=..." from mb_systemd_unit_props, NULL when unknown), then
 * the drop-in, then daemon-reload; undo reverses all three.
 */
int mb_systemd_limit_plan(const char *unit, const char *dropin_path, const char *current,
                          const struct mb_cg_limits *lim, bool pid1, const char *props_now,
                          struct mb_plan *plan);

/* The memory properties systemd enforces on unit now (systemctl show):
 * "MemoryMax=infinity\nMemoryHigh=...\nMemorySwapMax=...\n" in buf
 * (with MemoryCurrent= first when `current`).  0 or -errno (msg). */
int mb_systemd_unit_props(const char *unit, bool current, char *buf, size_t len, char *msg,
                          size_t mlen);

/*
 * Which memory properties have a runtime drop-in now (MB_SYSTEMD_CONTROL_DIR/
 * UNIT.d/50-PROP.conf, left by an earlier `set-property --runtime`): appends
 * "ControlDropIns=MemoryHigh.MemorySwapMax\n" ("ControlDropIns=\n" for none)
 * to buf, for the unit-props change's values before.  Undo then keeps those
 * drop-ins (set-property rewrites them with the values before) and removes
 * only the ones membudget's own set-property made (issue 15.4).
 */
void mb_systemd_control_dropins(const char *unit, char *buf, size_t len);

/* Are these "Prop=value" lines ones membudget sets (MemoryMax,
 * MemoryHigh, MemorySwapMax, and the ControlDropIns note; value
 * [A-Za-z0-9.%])?  Journal check. */
bool mb_systemd_props_valid(const char *props);

/* systemctl set-property --runtime unit PROPS...; with `restore`, then
 * remove MB_SYSTEMD_CONTROL_DIR/UNIT.d/50-PROP.conf of each property not
 * named in PROPS' ControlDropIns line (all of them without that line) and
 * daemon-reload (undo).  0 or -errno with msg. */
int mb_systemd_set_props(const char *unit, const char *props, bool restore, char *msg, size_t len);

/* fork + execvp argv, its stdout into out (at most len - 1 bytes, NUL
 * terminated), wait.  0 or -errno / -ECHILD (msg). */
int mb_run_capture(char *const argv[], char *out, size_t len, char *msg, size_t mlen);

/* fork + execvp argv (no shell), wait.  0, or -errno / -ECHILD (msg says
 * the exit status). */
int mb_run_argv(char *const argv[], char *msg, size_t len);

#endif
