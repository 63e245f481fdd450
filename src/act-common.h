/*
 * act-common.h: what tune, limit and undo share in the CLI layer: the plan
 * table and JSON, and applying a plan with the journal.
 */
#ifndef CLI_ACT_COMMON_H
#define CLI_ACT_COMMON_H

#include <jansson.h>

#include "../lib/act/apply.h"
#include "cli.h"

/* Print the plan (table + notes) or, with --json, the plan as JSON with
 * "applied": false.  Returns an exit code. */
int act_plan_show(struct cli *cli, const struct mb_plan *p, bool apply);
/* The same, with `hint` for how to carry out a plan ("add --apply as root"). */
int act_plan_show_hint(struct cli *cli, const struct mb_plan *p, bool apply, const char *hint);

/*
 * Apply p: check (refused -> exit 3 with the reason; not root -> exit 3
 * naming the privilege), open the journal in the state directory, apply
 * with progress on stderr.  rollback: revert applied changes on failure.
 * Returns an exit code.
 */
int act_apply(struct cli *cli, struct mb_plan *p, bool rollback);

/* The same, with fn(p, ctx, arg) making the changes instead of
 * mb_plan_apply (the journal open in ctx->journal). */
typedef int (*act_apply_fn)(struct mb_plan *p, struct mb_apply_ctx *ctx, void *arg);
int act_apply_with(struct cli *cli, struct mb_plan *p, bool rollback, act_apply_fn fn, void *arg);

/* The plan, then (with apply) the changes made by act_apply_with(fn, arg);
 * with --json the plan after it was applied.  An exit code. */
int act_plan_apply(struct cli *cli, struct mb_plan *p, bool apply, bool rollback, act_apply_fn fn,
                   void *arg);

#endif
