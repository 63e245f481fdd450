/*
 * plan.h: the action model.  A plan is a list of changes, each with what
 * is changed, its value now, the value wanted and how; built by pure plan
 * functions from values already read (snapshot, config, file contents).
 * A change a guard forbids is kept in the plan, marked refused with the
 * reason, so the refusal shows in the dry run.  apply.h carries it out.
 */
#ifndef MB_PLAN_H
#define MB_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mb_action {
        MB_ACT_SYSCTL,        /* write a /proc/sys file: target = its path */
        MB_ACT_FILE,          /* replace a whole file (new NULL = remove it) */
        MB_ACT_DROP_CACHES,   /* sync(), then write 3 to target */
        MB_ACT_SWAP_CYCLE,    /* swapoff + swapon of target at priority prio */
        MB_ACT_CGROUP_CREATE, /* mkdir target */
        MB_ACT_CGROUP_REMOVE, /* rmdir target */
        MB_ACT_CGROUP_WRITE,  /* write new to cgroup file target */
        MB_ACT_CGROUP_MOVE,   /* move pid (all threads) from dir current to dir new */
        MB_ACT_EXEC,          /* run a program: argv in new, '\n'-separated */
        MB_ACT_UNIT_PROPS,    /* systemctl set-property --runtime target (a unit) to the
                                 "Prop=value" lines of new; current = the values before */
        MB_ACT_COUNT
};

/*
 * What each kind of change is: one designated-initializer table in plan.c
 * (issue 16.4), read by the plan, the journal, apply and undo.
 */
struct mb_action_kind {
        const char *name;       /* journal and JSON: "sysctl", "cgroup-move", ... */
        enum mb_action inverse; /* the kind of change that reverts it */
        const char *undo_how;   /* the undo plan's HOW column */
        bool compare;           /* noop when current equals new */
        bool irreversible;      /* undo has nothing to do (how says why) */
        const char *privilege;  /* "root (CAP_SYS_ADMIN) to write %s": %s = target */
};
extern const struct mb_action_kind mb_action_kinds[MB_ACT_COUNT];

struct mb_change {
        enum mb_action action;
        char target[1024];
        char *current;   /* value now; NULL = absent (file missing, dir absent) */
        char *new_value; /* value wanted; NULL = absent (remove) */
        char how[256];   /* for the plan table: "write /proc/sys/vm/swappiness" */
        bool noop;       /* already as wanted: nothing to do */
        bool refused;    /* a guard refuses it: the whole plan cannot be applied */
        char reason[512];
        int pid;            /* CGROUP_MOVE */
        uint64_t starttime; /* CGROUP_MOVE: identity of pid (0 = not checked) */
        int prio;           /* SWAP_CYCLE: priority to restore (< 0: kernel picks) */
        int64_t need;       /* SWAP_CYCLE: MemAvailable needed, bytes */
        double factor;      /* SWAP_CYCLE: re-check factor for each device */
        int64_t margin;
        /* Undo: the journal entry this change reverts (undoes_seq -1 = none) */
        char undoes_run[64];
        int undoes_seq;
        bool restore; /* UNIT_PROPS made by undo: also drop the runtime control files */
};

struct mb_plan {
        struct mb_change *c;
        size_t n, cap;
        char **notes; /* warnings and explanations shown with the plan */
        size_t nnotes;
};

void mb_plan_init(struct mb_plan *p);
void mb_plan_release(struct mb_plan *p);

/* Append a change (values are copied; NULL stays NULL).  Returns it, or
 * NULL when out of memory.  noop is set when current equals new. */
struct mb_change *mb_plan_add(struct mb_plan *p, enum mb_action action, const char *target,
                              const char *current, const char *new_value, const char *how);
int mb_plan_note(struct mb_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Counts: changes still to do, refused ones. */
size_t mb_plan_todo(const struct mb_plan *p);
size_t mb_plan_refused(const struct mb_plan *p);

const char *mb_action_name(enum mb_action a);
/* -1 when unknown */
int mb_action_from_name(const char *s);

/* Does performing change c need root, and which privilege?  Writes e.g.
 * "root (CAP_SYS_ADMIN) to write /proc/sys/vm/swappiness". */
void mb_change_privilege(const struct mb_change *c, char *buf, size_t len);

#endif
