/* plan.h: an action plan (tune, limit, undo) as a table or JSON. */
#ifndef MB_OUT_PLAN_H
#define MB_OUT_PLAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "../act/plan.h"

/*
 * The table (ACTION, TARGET, NOW, NEW, HOW), the first refusal, the notes,
 * and when not `apply` the closing line: "N changes planned; nothing
 * changed (HINT)" or "already in place".
 */
void mb_out_plan(FILE *f, const struct mb_plan *p, bool apply, const char *hint);

/* {"changes": [...], "notes": [...], "to_do": N, "refused": N}. */
json_t *mb_out_plan_json(const struct mb_plan *p);

#endif
