/* config.h: the documents of `membudget config check` (text and JSON). */
#ifndef MB_OUT_CONFIG_H
#define MB_OUT_CONFIG_H

#include <jansson.h>
#include <stdio.h>

#include "../config/config.h"
#include "../diag/confplan.h"

/* "FILE: valid (N warnings)" and what the configuration sets. */
void mb_out_config_summary(FILE *f, const char *path, const struct mb_config *c, size_t nwarn);
/* {"valid": true, "file", "strict", "warnings", "sections", "config"}. */
json_t *mb_out_config_check_json(const char *file, bool strict,
                                 const struct mb_config_warnings *warns, const struct mb_config *c);

/* `config plan`'s document of p, computed from d (lib/diag/confplan.h). */
json_t *mb_out_config_plan_json(const struct mb_diag *d, const struct mb_config_plan *p);
void mb_out_config_plan_text(FILE *f, const struct mb_diag *d, const struct mb_config_plan *p);

#endif
