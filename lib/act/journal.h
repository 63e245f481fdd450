/*
 * journal.h: the record of every change membudget made, for undo.
 *
 * STATE_DIR/journal.jsonl, one JSON object a line, appended and fsynced
 * BEFORE each change: {"time", "run", "seq", "action", "target",
 * "previous", "new", and "pid"/"starttime"/"prio" where they apply}.
 * "previous"/"new" are null when the thing was absent.  An undo appends
 * {"action": "undone", "run": R, "seq": N} before it reverts entry R/N.
 * Opened with O_NOFOLLOW, mode 0600.
 */
#ifndef MB_JOURNAL_H
#define MB_JOURNAL_H

#include "../util/util.h"
#include "plan.h"

#define MB_JOURNAL_FILE "journal.jsonl"

struct mb_journal {
        int fd;
        char path[1024];
        char run[64]; /* id of this command invocation */
        int seq;      /* next sequence number in this run */
};

struct mb_journal_entry {
        double time;
        char run[64];
        int seq;
        enum mb_action action;
        struct mb_change change; /* target, current = previous, new_value = new */
        bool undone;
};

struct mb_journal_entries {
        struct mb_journal_entry *e;
        size_t n, cap;
};

/* A new run id: "YYYYmmddTHHMMSSZ-PID". */
void mb_journal_run_id(char *buf, size_t len);

/* Open (create) the journal in state_dir for appending.  0 or -errno. */
int mb_journal_open(struct mb_journal *j, const char *state_dir);
void mb_journal_close(struct mb_journal *j);

/* Append the record of change c (c->current = previous value) and fsync.
 * Returns the sequence number given (>= 0), or -errno. */
int mb_journal_append(struct mb_journal *j, const struct mb_change *c);
/* Record that entry run/seq was reverted.  0 or -errno. */
int mb_journal_mark_undone(struct mb_journal *j, const char *run, int seq);

/* One line to an entry.  0, or -EINVAL for a line that is not a record
 * (an "undone" marker gives -ENOMSG with run/seq filled). */
int mb_journal_parse_line(const char *line, size_t len, struct mb_journal_entry *ret);

/* Read every entry of STATE_DIR/journal.jsonl, with undone flags resolved.
 * A missing journal gives 0 entries.  0 or -errno (err names the line). */
int mb_journal_read(const char *state_dir, struct mb_journal_entries *ret, struct mb_error *err);
int mb_journal_read_buffer(const char *buf, size_t len, struct mb_journal_entries *ret,
                           struct mb_error *err);
void mb_journal_entries_release(struct mb_journal_entries *e);

#endif
