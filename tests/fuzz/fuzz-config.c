/*
 * fuzz-config.c: the configuration loader on arbitrary bytes.  Whatever
 * the input, it must not crash, leak or read out of bounds; an error has a
 * position inside the text (or none), and a loaded config renders as JSON.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct mb_config c;
        struct mb_config_warnings w = {0};
        struct mb_error err = {0};
        int r;

        r = mb_config_load_buffer("fuzz.json", (const char *)data, size, size & 1, &c, &w, &err);
        if (r == 0) {
                json_t *j = mb_config_json(&c);
                if (!j)
                        abort();
                json_decref(j);
                for (size_t i = 0; i < w.n; i++)
                        if (w.w[i].line < 1 || w.w[i].col < 1)
                                abort();
        } else if (err.line < 0 || err.col < 0 || (err.line > 0 && err.col < 1) ||
                   (size_t)err.line > size + 1) {
                abort();
        }
        mb_config_warnings_release(&w);
        mb_config_release(&c);
        return 0;
}
