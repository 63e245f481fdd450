/*
 * limit.h: `membudget limit`'s collection and plans.
 *
 * --unit: the drop-in and what systemd enforces now (collected), then the
 * plan (systemd.h).  --match: the matching processes (match.h), then
 * either the systemd way or a raw cgroup:
 *   - where systemd is PID 1 on a pure cgroup v2 hierarchy (and no
 *     captured tree is read), the processes are adopted by a transient
 *     scope membudget-match-NAME.scope in system.slice with MemoryMax=,
 *     MemoryHigh=, MemorySwapMax= (scope.h): systemd accounts for them and
 *     enforces the limits.  Each adoption is journaled first as a
 *     cgroup-move from the process's cgroup to the scope's, so `undo` and
 *     `--release` move them back; the scope, empty then, is removed by
 *     systemd (stopping it would kill them);
 *   - elsewhere a raw group MOUNT/membudget/NAME (cgroup.h).
 * --show: each matching process's cgroup values, RLIMIT_AS and CUDA.
 * Nothing here prints.
 */
#ifndef MB_ACT_LIMIT_H
#define MB_ACT_LIMIT_H

#include <regex.h>
#include <stdbool.h>

#include "apply.h"
#include "cgroup.h"
#include "match.h"
#include "scope.h"

/* --- --unit ---------------------------------------------------------------- */

struct mb_limit_unit {
        char unit[256];    /* NAME.service */
        char path[1200];   /* ETC/etc/systemd/system/UNIT.d/50-membudget.conf */
        char *dropin;      /* its text; NULL = absent */
        bool pid1;         /* systemd is PID 1 */
        bool have_props;   /* props read from systemd */
        char props[512];   /* "MemoryCurrent=...\nMemoryMax=...\n..." */
        char control[128]; /* "ControlDropIns=...\n": runtime drop-ins there before */
        char msg[600];     /* "" or the warning: the props could not be read */
        int64_t usage;     /* bytes now (systemd, else the cgroup); -1 unknown */
};

/* Collect what --unit needs for name (NAME or NAME.service); etc: the
 * root the drop-in lives under ("" = /).  0, -EINVAL for a bad name. */
int mb_limit_unit_read(const char *name, const char *etc, const char *proc_root,
                       const char *sys_root, struct mb_limit_unit *ret);
void mb_limit_unit_release(struct mb_limit_unit *u);
/* Plan (pure): the drop-in and runtime properties, the usage note. */
int mb_limit_unit_plan(const struct mb_limit_unit *u, const struct mb_cg_limits *lim,
                       struct mb_plan *plan);

/* --- --match ----------------------------------------------------------------- */

struct mb_limit_match {
        struct mb_cgroup_fs fs;
        struct mb_proctab tab;
        struct mb_member_list ml;
        bool scope_way;          /* systemd way (see above) */
        char dir[1200];          /* the group's (or the scope's) cgroup directory */
        bool exists;             /* it exists now */
        struct mb_cg_values now; /* raw group: its values now */
        struct mb_scope scope;   /* scope_way: the scope */
        enum mb_scope_way way;   /* after mb_limit_match_apply: how it was started */
        bool started;            /* ... and whether it was */
        char msg[1200];          /* why mb_limit_match_read failed */
};

/* Is the systemd way open (systemd PID 1, pure v2, no captured tree)? */
bool mb_limit_scope_way(const struct mb_cgroup_fs *fs, bool systemd, bool capture);

/* The scope of group name: membudget-match-NAME.scope in system.slice,
 * its directory MOUNT/system.slice/UNIT.  Pure. */
int mb_limit_scope_of(const struct mb_cgroup_fs *fs, const char *name,
                      const struct mb_cg_limits *lim, struct mb_scope *sc, char *dir, size_t len);

/*
 * Collect: the hierarchy (-ENOENT none), the members, the way, whether the
 * group exists.  0 or -errno with ret->msg.  Release with
 * mb_limit_match_release (also after a failure).
 */
int mb_limit_match_read(struct mb_root *root, const char *proc_root, const char *sys_root,
                        bool systemd, const regex_t *re, bool has_uid, uint32_t uid,
                        const char *name, const struct mb_cg_limits *lim,
                        struct mb_limit_match *ret);
void mb_limit_match_release(struct mb_limit_match *m);

/*
 * Plan (pure): raw group: create, limits, moves.  Scope: a unit-props row
 * for the scope with its properties (mb_scope_props_text), one cgroup-move
 * per member into the scope's directory; an existing scope gets the moves
 * only.  Then the safety policy (mb_limit_match_policy) and the notes.
 */
int mb_limit_match_plan(const struct mb_limit_match *m, const char *name, const char *match_s,
                        const struct mb_cg_limits *lim, uint32_t self, bool user_given, bool force,
                        struct mb_plan *plan);

/* Does the plan need mb_limit_scope_apply (a scope to start)? */
bool mb_limit_plan_starts_scope(const struct mb_plan *plan);

/*
 * Apply a scope plan: each move journaled first (ctx->journal), then the
 * scope started with those PIDs (mb_scope_start), then each waited for in
 * it.  On failure the records are marked undone (nothing moved) and the
 * PIDs already in the scope moved back.  *way says how.  0 or -errno with
 * ctx->msg.
 */
int mb_limit_scope_apply(struct mb_plan *plan, const struct mb_scope *sc, struct mb_apply_ctx *ctx,
                         enum mb_scope_way *way);

/* Apply the plan of m (arg): mb_limit_scope_apply when it starts a scope
 * (m->started, m->way), else mb_plan_apply.  0 or -errno with ctx->msg. */
int mb_limit_match_apply(struct mb_plan *plan, struct mb_apply_ctx *ctx, void *m);

/*
 * --release NAME (pure): the directory the journal moved processes into
 * for NAME: a scope's (membudget-match-NAME.scope) when the journal has
 * such moves not undone, else MOUNT/membudget/NAME.  *is_scope says which.
 */
void mb_limit_release_dir(const struct mb_cgroup_fs *fs, const struct mb_journal_entries *all,
                          const char *name, char *dir, size_t len, bool *is_scope);

struct mb_limit_release {
        char dir[1200];      /* the group's or scope's directory */
        bool scope;          /* a scope: systemd removes it, not us */
        char warning[1400];  /* "" or: corrupt journal lines were left out */
        struct mb_error err; /* why the journal could not be read */
};

/*
 * --release NAME: read the journal of state_dir, find the directory
 * (mb_limit_release_dir), the PIDs in it now, and plan (mb_release_plan;
 * a raw group is removed, a scope left to systemd; records naming paths
 * membudget never writes refused).  0, or -errno (-ENOENT: no such
 * group) with info->err.msg saying why in one line.  etc: as above.
 */
int mb_limit_release_read_plan(const char *etc, const char *sys_root, const char *proc_root,
                               const char *state_dir, const char *name, struct mb_plan *plan,
                               struct mb_limit_release *info);

/* --- --show ------------------------------------------------------------------ */

struct mb_limit_shown {
        int pid;
        char comm[64];
        char from[1024];
        struct mb_cg_values v;
        int64_t rlimit_as; /* bytes, -1 unlimited, MB_UNKNOWN */
        int cuda;          /* 1, 0, -1 unknown */
};

struct mb_limit_show {
        struct mb_limit_shown *p;
        size_t n;
};

/* Each process re matches: its cgroup values (none without a memory
 * hierarchy under sys_root), RLIMIT_AS, CUDA.  0 or -errno. */
int mb_limit_show_read(struct mb_root *root, const char *proc_root, const char *sys_root,
                       const regex_t *re, struct mb_limit_show *ret);
void mb_limit_show_release(struct mb_limit_show *s);

/* Pure: the warning for p (RLIMIT_AS with CUDA mapped) into buf; false
 * when there is none. */
bool mb_limit_shown_warning(const struct mb_limit_shown *p, char *buf, size_t len);

#endif
