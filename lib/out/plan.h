/* plan.h: an action plan (tune, limit, undo) as a table or JSON. */
#ifndef MB_OUT_PLAN_H
#define MB_OUT_PLAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "../act/limit.h"
#include "../act/plan.h"

/*
 * The table (ACTION, TARGET, NOW, NEW, HOW), the first refusal, the notes,
 * and when not `apply` the closing line: "N changes planned; nothing
 * changed (HINT)" or "already in place".
 */
void mb_out_plan(FILE *f, const struct mb_plan *p, bool apply, const char *hint);

/* {"changes": [...], "notes": [...], "to_do": N, "refused": N}. */
json_t *mb_out_plan_json(const struct mb_plan *p);

/*
 * `limit --show`: the unit's drop-in and what systemd enforces now (text,
 * or its members set into j), and each matching process's limits (a table
 * or "no process matches", or a JSON array).
 */
void mb_out_limit_unit(FILE *f, const struct mb_limit_unit *u);
void mb_out_limit_unit_json(json_t *j, const struct mb_limit_unit *u);
void mb_out_limit_procs(FILE *f, const struct mb_limit_show *s);
json_t *mb_out_limit_procs_json(const struct mb_limit_show *s);

/* --show as text or (json) one JSON document; u or s may be NULL. */
void mb_out_limit_show(FILE *f, bool json, const struct mb_limit_unit *u,
                       const struct mb_limit_show *s);

/* After `limit --match --apply`: which way ("the systemd way: in transient
 * scope U (via WAY)" or "a raw cgroup: in cgroup DIR") and how to release. */
void mb_out_limit_way(FILE *f, const struct mb_limit_match *m, const char *name);

#endif
