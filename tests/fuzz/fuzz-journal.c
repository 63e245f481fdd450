/* fuzz-journal.c: the undo journal (STATE_DIR/journal.jsonl):
 * mb_journal_parse_line on the first line, mb_journal_read_buffer on all. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/act/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_entry(const struct mb_journal_entry *e)
{
        if (strnlen(e->run, sizeof(e->run)) >= sizeof(e->run))
                abort();
        if (strnlen(e->change.target, sizeof(e->change.target)) >= sizeof(e->change.target))
                abort();
        if ((unsigned)e->action >= MB_ACT_COUNT || e->change.action != e->action)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = malloc(size ? size : 1); /* exact size: no NUL to lean on */
        struct mb_journal_entry e;
        struct mb_journal_entries all;
        struct mb_error err = {0};
        const char *nl;
        size_t first;
        int r;

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        nl = size ? memchr(buf, '\n', size) : NULL;
        first = nl ? (size_t)(nl - buf) : size;
        r = mb_journal_parse_line(buf, first, &e);
        if (r == 0) {
                check_entry(&e);
                free(e.change.current);
                free(e.change.new_value);
        } else if (r == -ENOMSG) {
                if (strnlen(e.run, sizeof(e.run)) >= sizeof(e.run))
                        abort();
        } else if (r != -EINVAL) {
                abort();
        }
        r = mb_journal_read_buffer(buf, size, &all, &err);
        if (r == 0) {
                if (all.n > all.cap)
                        abort();
                for (size_t i = 0; i < all.n; i++)
                        check_entry(&all.e[i]);
        } else if (all.n || all.e) {
                abort(); /* an error leaves nothing behind */
        }
        mb_journal_entries_release(&all);
        free(buf);
        return 0;
}
