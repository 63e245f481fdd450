/* findings.h: the problems table and its JSON. */
#ifndef MB_OUT_FINDINGS_H
#define MB_OUT_FINDINGS_H

#include <jansson.h>
#include <stdio.h>

#include "../analyze/problems.h"

/* Human table: severity, problem, value, then cause / evidence / action lines. */
void mb_out_findings(FILE *f, const struct mb_findings *fs);
json_t *mb_json_findings(const struct mb_findings *fs);

#endif
