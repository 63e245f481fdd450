/*
 * history.h: the history store, one SQLite file (STATE_DIR/history.db by
 * default).
 *
 *   host      one row per tick: RAM, swap, VRAM, rates, pressure, and the
 *             target's totals when a target is configured
 *   proc_id   one row per process identity: (pid, starttime), so a reused
 *             PID is a new identity and never merges with the old one
 *   proc      per-process samples (RSS, swap, GPU) keyed by (identity, t)
 *   schema_version  the version of the schema, upgraded by migrations
 *
 * WAL mode with synchronous=FULL and one transaction per tick: a writer
 * killed with SIGKILL loses nothing it committed.  One writer at a time:
 * the writer holds an exclusive flock() on FILE.lock (which also holds its
 * pid), and a second writer is refused with "history FILE is being written
 * by pid N".  Readers never take the lock (WAL readers do not block the
 * writer).  The file is created with mode 0600.
 *
 * Nothing here prints; errors come back as -errno with a struct mb_error.
 */
#ifndef MB_HISTORY_H
#define MB_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../analyze/samples.h"
#include "../util/util.h"

/* The schema this build writes and reads. */
#define MB_HISTORY_SCHEMA 1

struct mb_history;

/*
 * Open a history file.  `write`: create it if absent (mode 0600), take the
 * writer lock, migrate the schema.  Read-only: the file must exist
 * (-ENOENT otherwise) and its schema must be known.
 * Errors: -EBUSY (another writer; err says which pid), -EPROTO (schema
 * newer than this build), -EIO (SQLite), -errno.  Caller owns *ret; free it
 * with mb_history_close().
 */
int mb_history_open(const char *path, bool write, struct mb_history **ret, struct mb_error *err);

/* Close (NULL is fine).  A writer releases its lock. */
void mb_history_close(struct mb_history *h);

/* Retention in seconds (0 = keep forever; default 30 days).  A writer
 * prunes samples older than this at its first tick and then hourly. */
void mb_history_set_retention(struct mb_history *h, double seconds);

/* One process in a tick. */
struct mb_history_proc {
        int pid;
        uint64_t starttime; /* clock ticks after boot (/proc/PID/stat field 22) */
        const char *name;
        const char *cmdline; /* may be NULL */
        bool target;
        int64_t rss, swap, gpu; /* MB_UNKNOWN when unknown */
};

/* Write one tick in one transaction (pruning first when due). */
int mb_history_write_tick(struct mb_history *h, const struct mb_history_host *host,
                          const struct mb_history_proc *procs, size_t n, struct mb_error *err);

/* Delete samples older than `before` and identities left without samples.
 * Returns the number of host rows deleted, or -EIO. */
int mb_history_prune(struct mb_history *h, double before, struct mb_error *err);

/* Range of the whole history: first/last sample time and host row count. */
int mb_history_range(struct mb_history *h, double *ret_first, double *ret_last, size_t *ret_n,
                     struct mb_error *err);

/* Host rows with since <= t < until, in time order.  Caller frees *ret. */
int mb_history_read_host(struct mb_history *h, double since, double until,
                         struct mb_history_host **ret, size_t *ret_n, struct mb_error *err);

/*
 * Every identity with samples in [since, until), sorted by peak (or by
 * mean with by_mean), largest first, at most `limit` (0 = all).  Ties are
 * broken by pid, then starttime.  Caller frees *ret.
 */
int mb_history_idents(struct mb_history *h, double since, double until, bool by_mean, size_t limit,
                      struct mb_history_ident **ret, size_t *ret_n, struct mb_error *err);

/*
 * The RSS+swap series of one identity in [since, until), in time order.
 * *t and *v are (re)allocated as needed with capacity *cap (pass NULL/0
 * first); the caller frees both.
 */
int mb_history_series(struct mb_history *h, int64_t ident, double since, double until, double **t,
                      double **v, size_t *cap, size_t *ret_n, struct mb_error *err);

/* Count rows: "host", "proc" or "proc_id" (tests and diagnostics). */
int64_t mb_history_count(struct mb_history *h, const char *table);

/* Schema version stored in the file. */
int mb_history_schema(struct mb_history *h);

#endif
