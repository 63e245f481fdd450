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
        char run[64];  /* id of this command invocation */
        int seq;       /* next sequence number in this run */
        char why[256]; /* why mb_journal_open failed */
        bool repaired; /* a torn last record was cut off on open */
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
        size_t skipped; /* corrupt lines left out */
        int first_bad;  /* line number of the first one (0 = none) */
};

/* A new run id: "YYYYmmddTHHMMSSZ-PID". */
void mb_journal_run_id(char *buf, size_t len);

/* Open (create) the journal in state_dir for appending: a regular file
 * owned by us, not writable by group or others, never through a link
 * (-EPERM/-ELOOP/-EINVAL, j->why says which).  A torn last record (a crash
 * or a full disk mid-write) is cut off so the next one starts on its own
 * line (j->repaired).  0 or -errno. */
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

/* Read every entry of STATE_DIR/journal.jsonl, with undone flags resolved
 * (linear: a hash of run/seq).  A corrupt line is left out and counted
 * (skipped, first_bad).  A missing journal gives 0 entries.  The file must
 * pass the checks of mb_journal_open (-EPERM, err says why).  0 or -errno. */
int mb_journal_read(const char *state_dir, struct mb_journal_entries *ret, struct mb_error *err);
int mb_journal_read_buffer(const char *buf, size_t len, struct mb_journal_entries *ret,
                           struct mb_error *err);
void mb_journal_entries_release(struct mb_journal_entries *e);

/*
 * Does a journal record name a path membudget itself writes?  file:
 * ETC/etc/sysctl.d/60-membudget.conf or a unit drop-in (ETC/etc/systemd/
 * system/UNIT.d/, /run/systemd/system.control/UNIT.d/); sysctl:
 * PROC/sys/vm/NAME; cgroup records: under SYS/fs/cgroup.  No "..".  Roots
 * NULL mean "", "/proc", "/sys".  A record that fails this is refused by
 * undo (the journal was edited by someone else).
 */
bool mb_journal_path_allowed(const struct mb_change *c, const char *etc_root, const char *proc_root,
                             const char *sys_root);

#endif
