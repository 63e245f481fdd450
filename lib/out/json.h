/*
 * json.h: JSON renderings (jansson) shared by every command, so a process or
 * a snapshot has one JSON shape everywhere.  Sizes are integers in bytes
 * under "_bytes" keys; a value that could not be read is null, not 0.
 */
#ifndef MB_JSON_H
#define MB_JSON_H

#include <jansson.h>
#include <stdio.h>

#include "../analyze/breakdown.h"
#include "../collect/snapshot.h"
#include "../util/size.h"

/*
 * Flags for every json_dump* of a document: reals with MB_REAL_DIGITS
 * significant digits (no float noise), keys in insertion order.
 */
#define MB_JSON_REALS   JSON_REAL_PRECISION(MB_REAL_DIGITS)
#define MB_JSON_DEFAULT (JSON_PRESERVE_ORDER | MB_JSON_REALS)

/* A string made valid UTF-8 (invalid bytes become U+FFFD). */
json_t *mb_json_str(const char *s);
/* Integer bytes, or null for MB_UNKNOWN. */
json_t *mb_json_size(int64_t v);

json_t *mb_json_proc(const struct mb_proctab *t, const struct mb_proc *p);
json_t *mb_json_memory(const struct mb_memsummary *m);
json_t *mb_json_swap(const struct mb_snapshot *s);
json_t *mb_json_pressure(const struct mb_snapshot *s);
json_t *mb_json_breakdown(const struct mb_breakdown_row *rows, size_t n);
json_t *mb_json_gpus(const struct mb_gpus *g);
/* Counters of the last scan: seen, kernel_threads, vanished, ... */
json_t *mb_json_scan(const struct mb_proctab *t);

/* Print with 2-space indent and a newline, then decref.  0 or -EIO. */
int mb_json_print(json_t *j, FILE *f);

#endif
