/* config.c: see config.h. */
#include "config.h"

#include "../util/size.h"

static json_t *warnings_json(const struct mb_config_warnings *w)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < w->n; i++)
                json_array_append_new(a, json_pack("{s:i,s:i,s:s}", "line", w->w[i].line, "col",
                                                   w->w[i].col, "message", w->w[i].msg));
        return a;
}

void mb_out_config_summary(FILE *f, const char *path, const struct mb_config *c, size_t nwarn)
{
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN], t[MB_SIZE_STRLEN];
        const int64_t MiB = 1 << 20;
        bool first = true;

        fprintf(f, "%s: valid", path);
        if (nwarn)
                fprintf(f, " (%zu warning%s)", nwarn, nwarn == 1 ? "" : "s");
        fputc('\n', f);
        if (c->target_match[0] && c->target_unit[0])
                fprintf(f, "  target       unit %s and processes matching /%s/\n", c->target_unit,
                        c->target_match);
        else if (c->target_match[0])
                fprintf(f, "  target       processes matching /%s/ and their descendants\n",
                        c->target_match);
        else if (c->target_unit[0])
                fprintf(f, "  target       unit %s\n", c->target_unit);
        else
                fprintf(f, "  target       host-wide (no target.match or target.unit)\n");
        fprintf(f, "  budget       RAM %lld MiB (%s) + VRAM %lld MiB (%s), total %lld MiB (%s)\n",
                (long long)c->ram_max_mb, mb_size_format(c->ram_max_mb * MiB, a, sizeof(a)),
                (long long)c->vram_max_mb, mb_size_format(c->vram_max_mb * MiB, b, sizeof(b)),
                (long long)c->target_total_mb,
                mb_size_format(c->target_total_mb * MiB, t, sizeof(t)));
        fprintf(f, "  swap         at most %s used; a process over %s in swap is flagged\n",
                mb_size_format(c->swap_max_mb * MiB, a, sizeof(a)),
                mb_size_format(c->swap_threshold_mb * MiB, b, sizeof(b)));
        fprintf(f, "  available    at least %s\n",
                mb_size_format(c->available_min_mb * MiB, a, sizeof(a)));
        fprintf(f, "  swappiness   %d\n", c->vm_swappiness);
        fprintf(f, "  guard        %s\n",
                !c->guard_enabled  ? "off"
                : c->guard_dry_run ? "on, dry run (logs what it would do)"
                                   : "on, acting");
        fprintf(f, "  sections     ");
        for (int i = 0; mb_config_sections[i]; i++)
                if (c->sections_set & (1u << i)) {
                        fprintf(f, "%s%s", first ? "" : ", ", mb_config_sections[i]);
                        first = false;
                }
        if (first)
                fprintf(f, "none");
        fprintf(f, "\n  defaults     ");
        first = true;
        for (int i = 0; mb_config_sections[i]; i++)
                if (!(c->sections_set & (1u << i))) {
                        fprintf(f, "%s%s", first ? "" : ", ", mb_config_sections[i]);
                        first = false;
                }
        fprintf(f, "%s\n", first ? "none (every section is in the file)" : "");
}

json_t *mb_out_config_check_json(const char *file, bool strict,
                                 const struct mb_config_warnings *warns, const struct mb_config *c)
{
        json_t *sections = json_array();

        for (int i = 0; mb_config_sections[i]; i++)
                if (c->sections_set & (1u << i))
                        json_array_append_new(sections, json_string(mb_config_sections[i]));
        return json_pack("{s:b,s:s,s:b,s:o,s:o,s:o}", "valid", 1, "file", file, "strict", strict,
                         "warnings", warnings_json(warns), "sections", sections, "config",
                         mb_config_json(c));
}
