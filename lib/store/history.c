/* history.c: see history.h. */
#define _GNU_SOURCE
#include "history.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/dynlib.h"

enum stmt {
        ST_INS_HOST,
        ST_UPSERT_ID,
        ST_INS_PROC,
        ST_COUNT,
};

/*
 * SQLite is loaded when a history is first opened (lib/util/dynlib.h): only
 * watch --record, report, serve and check use it, and linking it cost every
 * command its start-up share.  The sqlite3_* names below are these pointers.
 */
#define SQLITE_SONAME "libsqlite3.so.0"

static struct {
        void *lib;
        __typeof__(sqlite3_open_v2) *open_v2;
        __typeof__(sqlite3_close) *close;
        __typeof__(sqlite3_errmsg) *errmsg;
        __typeof__(sqlite3_busy_timeout) *busy_timeout;
        __typeof__(sqlite3_exec) *exec;
        __typeof__(sqlite3_prepare_v2) *prepare_v2;
        __typeof__(sqlite3_prepare_v3) *prepare_v3;
        __typeof__(sqlite3_step) *step;
        __typeof__(sqlite3_reset) *reset;
        __typeof__(sqlite3_finalize) *finalize;
        __typeof__(sqlite3_clear_bindings) *clear_bindings;
        __typeof__(sqlite3_changes) *changes;
        __typeof__(sqlite3_bind_double) *bind_double;
        __typeof__(sqlite3_bind_int64) *bind_int64;
        __typeof__(sqlite3_bind_int) *bind_int;
        __typeof__(sqlite3_bind_text) *bind_text;
        __typeof__(sqlite3_bind_null) *bind_null;
        __typeof__(sqlite3_column_int64) *column_int64;
        __typeof__(sqlite3_column_double) *column_double;
        __typeof__(sqlite3_column_int) *column_int;
        __typeof__(sqlite3_column_type) *column_type;
        __typeof__(sqlite3_column_text) *column_text;
} sq;

static int sqlite_load(struct mb_error *err, const char *path)
{
#define SYM(f)                                                                                     \
        {                                                                                          \
                "sqlite3_" #f, (void **)&sq.f                                                      \
        }
        static const struct mb_dl_sym syms[] = {
            SYM(open_v2),     SYM(close),        SYM(errmsg),         SYM(busy_timeout),
            SYM(exec),        SYM(prepare_v2),   SYM(prepare_v3),     SYM(step),
            SYM(reset),       SYM(finalize),     SYM(clear_bindings), SYM(changes),
            SYM(bind_double), SYM(bind_int64),   SYM(bind_int),       SYM(bind_text),
            SYM(bind_null),   SYM(column_int64), SYM(column_double),  SYM(column_int),
            SYM(column_type), SYM(column_text),
        };
#undef SYM
        char why[256];
        int r = mb_dl_load(&sq.lib, SQLITE_SONAME, syms, MB_ARRAY_SIZE(syms), why, sizeof(why));

        if (r < 0)
                mb_error_set(err, path, 0, 0, "%s (Debian package libsqlite3-0)", why);
        return r;
}

#define sqlite3_open_v2        sq.open_v2
#define sqlite3_close          sq.close
#define sqlite3_errmsg         sq.errmsg
#define sqlite3_busy_timeout   sq.busy_timeout
#define sqlite3_exec           sq.exec
#define sqlite3_prepare_v2     sq.prepare_v2
#define sqlite3_prepare_v3     sq.prepare_v3
#define sqlite3_step           sq.step
#define sqlite3_reset          sq.reset
#define sqlite3_finalize       sq.finalize
#define sqlite3_clear_bindings sq.clear_bindings
#define sqlite3_changes        sq.changes
#define sqlite3_bind_double    sq.bind_double
#define sqlite3_bind_int64     sq.bind_int64
#define sqlite3_bind_int       sq.bind_int
#define sqlite3_bind_text      sq.bind_text
#define sqlite3_bind_null      sq.bind_null
#define sqlite3_column_int64   sq.column_int64
#define sqlite3_column_double  sq.column_double
#define sqlite3_column_int     sq.column_int
#define sqlite3_column_type    sq.column_type
#define sqlite3_column_text    sq.column_text

struct mb_history {
        sqlite3 *db;
        char path[1024];
        bool write;
        int lock_fd;
        double retention_s;
        double last_prune;
        sqlite3_stmt *st[ST_COUNT];
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_INS_HOST] =
        "INSERT OR REPLACE INTO host(t, ram_total, ram_used, ram_available, "
        "swap_total, swap_used, vram_total, vram_used, swapin_ps, swapout_ps, "
        "psi_some10, psi_full10, target_nprocs, target_ram, target_swap, target_vram) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    [ST_UPSERT_ID] = "INSERT INTO proc_id(pid, starttime, name, cmdline, target) "
                     "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(pid, starttime) DO UPDATE SET "
                     "target = max(target, excluded.target) RETURNING id",
    [ST_INS_PROC] =
        "INSERT OR REPLACE INTO proc(id, t, rss, swap, gpu) VALUES (?1, ?2, ?3, ?4, ?5)",
};

/*
 * Migrations: entry i brings the schema from version i to i + 1.  Append
 * only; never edit a released entry.
 */
static const char *const migrations[MB_HISTORY_SCHEMA] = {
    /* 0 -> 1 */
    "CREATE TABLE host ("
    " t REAL PRIMARY KEY,"
    " ram_total INTEGER, ram_used INTEGER, ram_available INTEGER,"
    " swap_total INTEGER, swap_used INTEGER,"
    " vram_total INTEGER, vram_used INTEGER,"
    " swapin_ps REAL, swapout_ps REAL, psi_some10 REAL, psi_full10 REAL,"
    " target_nprocs INTEGER, target_ram INTEGER, target_swap INTEGER, target_vram INTEGER);"
    "CREATE TABLE proc_id ("
    " id INTEGER PRIMARY KEY,"
    " pid INTEGER NOT NULL, starttime INTEGER NOT NULL,"
    " name TEXT NOT NULL, cmdline TEXT, target INTEGER NOT NULL DEFAULT 0,"
    " UNIQUE (pid, starttime));"
    "CREATE TABLE proc ("
    " id INTEGER NOT NULL REFERENCES proc_id(id), t REAL NOT NULL,"
    " rss INTEGER, swap INTEGER, gpu INTEGER,"
    " PRIMARY KEY (id, t)) WITHOUT ROWID;"
    "CREATE INDEX proc_t ON proc(t);",
};

static int db_error(struct mb_history *h, struct mb_error *err, const char *what)
{
        mb_error_set(err, h->path, 0, 0, "%s: %s", what, sqlite3_errmsg(h->db));
        return -EIO;
}

static int exec(struct mb_history *h, const char *sql, struct mb_error *err)
{
        if (sqlite3_exec(h->db, sql, NULL, NULL, NULL) != SQLITE_OK)
                return db_error(h, err, sql);
        return 0;
}

/* -1 when the schema_version table does not exist. */
static int read_version(struct mb_history *h, struct mb_error *err)
{
        sqlite3_stmt *st;
        int v = -1, rc;

        rc = sqlite3_prepare_v2(h->db,
                                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                "name = 'schema_version'",
                                -1, &st, NULL);
        if (rc != SQLITE_OK)
                return db_error(h, err, "cannot read the schema");
        if (sqlite3_step(st) != SQLITE_ROW) {
                sqlite3_finalize(st);
                return db_error(h, err, "cannot read the schema");
        }
        v = sqlite3_column_int(st, 0) ? 0 : -1;
        sqlite3_finalize(st);
        if (v < 0)
                return -1;
        if (sqlite3_prepare_v2(h->db, "SELECT coalesce(max(version), 0) FROM schema_version", -1,
                               &st, NULL) != SQLITE_OK)
                return db_error(h, err, "cannot read the schema version");
        if (sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return v;
}

static int migrate(struct mb_history *h, struct mb_error *err)
{
        int v = read_version(h, err), r;
        char sql[128];

        if (v < -1)
                return v;
        if (v > MB_HISTORY_SCHEMA) {
                mb_error_set(err, h->path, 0, 0,
                             "schema version %d is newer than this membudget knows (%d)", v,
                             MB_HISTORY_SCHEMA);
                return -EPROTO;
        }
        if ((r = exec(h, "BEGIN IMMEDIATE", err)))
                return r;
        if (v < 0) {
                if ((r = exec(h,
                              "CREATE TABLE schema_version (version INTEGER NOT NULL, "
                              "applied REAL NOT NULL)",
                              err)))
                        goto fail;
                v = 0;
        }
        for (; v < MB_HISTORY_SCHEMA; v++) {
                if ((r = exec(h, migrations[v], err)))
                        goto fail;
                snprintf(sql, sizeof(sql),
                         "INSERT INTO schema_version VALUES (%d, strftime('%%s', 'now'))", v + 1);
                if ((r = exec(h, sql, err)))
                        goto fail;
        }
        return exec(h, "COMMIT", err);
fail:
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
        return r;
}

static int take_lock(struct mb_history *h, struct mb_error *err)
{
        char lpath[1100], buf[32];
        ssize_t n;

        snprintf(lpath, sizeof(lpath), "%s.lock", h->path);
        h->lock_fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (h->lock_fd < 0) {
                int e = errno;
                mb_error_set(err, lpath, 0, 0, "cannot open the lock file: %s", strerror(e));
                return -e;
        }
        if (flock(h->lock_fd, LOCK_EX | LOCK_NB) < 0) {
                int e = errno, pid = 0;
                if (e == EWOULDBLOCK) {
                        n = pread(h->lock_fd, buf, sizeof(buf) - 1, 0);
                        buf[n > 0 ? n : 0] = '\0';
                        pid = atoi(buf);
                        if (pid > 0)
                                mb_error_set(err, h->path, 0, 0,
                                             "history %s is being written by pid %d", h->path, pid);
                        else
                                mb_error_set(err, h->path, 0, 0,
                                             "history %s is being written by another process",
                                             h->path);
                        return -EBUSY;
                }
                mb_error_set(err, lpath, 0, 0, "cannot lock: %s", strerror(e));
                return -e;
        }
        n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
        if (ftruncate(h->lock_fd, 0) < 0 || pwrite(h->lock_fd, buf, (size_t)n, 0) != n) {
                int e = errno;
                mb_error_set(err, lpath, 0, 0, "cannot write the lock file: %s", strerror(e));
                return -e;
        }
        return 0;
}

int mb_history_open(const char *path, bool write, struct mb_history **ret, struct mb_error *err)
{
        struct mb_history *h;
        char why[256];
        int r, v;

        *ret = NULL;
        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->lock_fd = -1;
        h->write = write;
        h->retention_s = 30 * 86400.0;
        if (mb_strlcpy(h->path, path, sizeof(h->path)) >= sizeof(h->path)) {
                mb_error_set(err, path, 0, 0, "path too long");
                r = -ENAMETOOLONG;
                goto fail;
        }
        if (write) {
                int fd;
                if ((r = sqlite_load(err, path)) < 0 || (r = take_lock(h, err)))
                        goto fail;
                /* Create the file ourselves so that its mode is 0600 (SQLite
                 * gives the -wal and -shm files the same mode). */
                fd = mb_open_trusted(path, O_RDWR | O_CREAT | O_NOFOLLOW, MB_TRUST_SELF, why,
                                     sizeof(why));
                if (fd < 0) {
                        r = fd;
                        mb_error_set(err, path, 0, 0, "cannot create: %s", why);
                        goto fail;
                }
                close(fd);
                r = sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
        } else {
                /* a regular file only: a FIFO would block the reader */
                int fd = mb_open_trusted(path, O_RDONLY, MB_TRUST_NONE, why, sizeof(why));
                if (fd < 0) {
                        r = fd;
                        mb_error_set(err, path, 0, 0, "%s", why);
                        goto fail;
                }
                close(fd);
                /* no history, no SQLite: `status` only looks for one */
                if ((r = sqlite_load(err, path)) < 0)
                        goto fail;
                /* Read-write when allowed: a reader may have to replay the WAL
                 * of a writer that was killed. */
                r = sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READWRITE, NULL);
                if (r != SQLITE_OK) {
                        sqlite3_close(h->db);
                        h->db = NULL;
                        r = sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READONLY, NULL);
                }
        }
        if (r != SQLITE_OK) {
                mb_error_set(err, path, 0, 0, "cannot open: %s",
                             h->db ? sqlite3_errmsg(h->db) : "out of memory");
                r = -EIO;
                goto fail;
        }
        sqlite3_busy_timeout(h->db, 5000);
        if (write) {
                if ((r = exec(h, "PRAGMA journal_mode = WAL", err)) ||
                    (r = exec(h, "PRAGMA synchronous = FULL", err)) ||
                    (r = exec(h, "PRAGMA cache_size = -1024", err)) || (r = migrate(h, err)))
                        goto fail;
                for (int i = 0; i < ST_COUNT; i++)
                        if (sqlite3_prepare_v3(h->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                               &h->st[i], NULL) != SQLITE_OK) {
                                r = db_error(h, err, "cannot prepare");
                                goto fail;
                        }
        } else {
                v = read_version(h, err);
                if (v < -1) {
                        r = v;
                        goto fail;
                }
                if (v < 0) {
                        mb_error_set(err, path, 0, 0,
                                     "not a membudget history (no schema_version)");
                        r = -EPROTO;
                        goto fail;
                }
                if (v != MB_HISTORY_SCHEMA) {
                        mb_error_set(err, path, 0, 0,
                                     v > MB_HISTORY_SCHEMA
                                         ? "schema version %d is newer than this membudget knows "
                                           "(%d)"
                                         : "schema version %d is older than %d: record once with "
                                           "'membudget watch --record' to upgrade it",
                                     v, MB_HISTORY_SCHEMA);
                        r = -EPROTO;
                        goto fail;
                }
        }
        *ret = h;
        return 0;
fail:
        mb_history_close(h);
        return r;
}

void mb_history_close(struct mb_history *h)
{
        if (!h)
                return;
        for (int i = 0; i < ST_COUNT && sq.lib; i++)
                sqlite3_finalize(h->st[i]);
        if (h->db)
                sqlite3_close(h->db);
        if (h->lock_fd >= 0)
                close(h->lock_fd); /* releases the flock */
        free(h);
}

void mb_history_set_retention(struct mb_history *h, double seconds)
{
        h->retention_s = seconds;
}

static void bind_size(sqlite3_stmt *st, int i, int64_t v)
{
        if (v == MB_UNKNOWN)
                sqlite3_bind_null(st, i);
        else
                sqlite3_bind_int64(st, i, v);
}

static void bind_real(sqlite3_stmt *st, int i, double v)
{
        if (isnan(v))
                sqlite3_bind_null(st, i);
        else
                sqlite3_bind_double(st, i, v);
}

static int64_t col_size(sqlite3_stmt *st, int i)
{
        return sqlite3_column_type(st, i) == SQLITE_NULL ? MB_UNKNOWN : sqlite3_column_int64(st, i);
}

static double col_real(sqlite3_stmt *st, int i)
{
        return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static int step_done(struct mb_history *h, sqlite3_stmt *st, struct mb_error *err)
{
        int rc = sqlite3_step(st);

        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
                return db_error(h, err, "cannot write");
        return 0;
}

static int prune_locked(struct mb_history *h, double before, struct mb_error *err)
{
        sqlite3_stmt *st;
        int deleted;
        char sql[160];

        snprintf(sql, sizeof(sql), "DELETE FROM host WHERE t < %.6f", before);
        if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
                return db_error(h, err, "cannot prune");
        if (sqlite3_step(st) != SQLITE_DONE) {
                sqlite3_finalize(st);
                return db_error(h, err, "cannot prune");
        }
        sqlite3_finalize(st);
        deleted = sqlite3_changes(h->db);
        snprintf(sql, sizeof(sql), "DELETE FROM proc WHERE t < %.6f", before);
        if (exec(h, sql, err) ||
            exec(h,
                 "DELETE FROM proc_id WHERE NOT EXISTS (SELECT 1 FROM proc WHERE proc.id = "
                 "proc_id.id)",
                 err))
                return -EIO;
        return deleted;
}

int mb_history_prune(struct mb_history *h, double before, struct mb_error *err)
{
        int r;

        if ((r = exec(h, "BEGIN IMMEDIATE", err)))
                return r;
        r = prune_locked(h, before, err);
        if (r < 0) {
                sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
                return r;
        }
        if (exec(h, "COMMIT", err))
                return -EIO;
        return r;
}

int mb_history_write_tick(struct mb_history *h, const struct mb_history_host *host,
                          const struct mb_history_proc *procs, size_t n, struct mb_error *err)
{
        sqlite3_stmt *st;
        int r;

        if (!h->write) {
                mb_error_set(err, h->path, 0, 0, "opened read-only");
                return -EBADF;
        }
        if ((r = exec(h, "BEGIN IMMEDIATE", err)))
                return r;
        if (h->retention_s > 0 && (h->last_prune == 0 || host->t - h->last_prune >= 3600)) {
                if ((r = prune_locked(h, host->t - h->retention_s, err)) < 0)
                        goto fail;
                h->last_prune = host->t;
        }

        st = h->st[ST_INS_HOST];
        sqlite3_bind_double(st, 1, host->t);
        bind_size(st, 2, host->ram_total);
        bind_size(st, 3, host->ram_used);
        bind_size(st, 4, host->ram_available);
        bind_size(st, 5, host->swap_total);
        bind_size(st, 6, host->swap_used);
        bind_size(st, 7, host->vram_total);
        bind_size(st, 8, host->vram_used);
        bind_real(st, 9, host->swapin_ps);
        bind_real(st, 10, host->swapout_ps);
        bind_real(st, 11, host->psi_some10);
        bind_real(st, 12, host->psi_full10);
        if (host->target_nprocs >= 0) {
                sqlite3_bind_int(st, 13, host->target_nprocs);
                bind_size(st, 14, host->target_ram);
                bind_size(st, 15, host->target_swap);
                bind_size(st, 16, host->target_vram);
        }
        if ((r = step_done(h, st, err)))
                goto fail;

        for (size_t i = 0; i < n; i++) {
                const struct mb_history_proc *p = &procs[i];
                int64_t id;

                st = h->st[ST_UPSERT_ID];
                sqlite3_bind_int(st, 1, p->pid);
                sqlite3_bind_int64(st, 2, (int64_t)p->starttime);
                sqlite3_bind_text(st, 3, p->name ? p->name : "", -1, SQLITE_STATIC);
                if (p->cmdline && *p->cmdline)
                        sqlite3_bind_text(st, 4, p->cmdline, -1, SQLITE_STATIC);
                sqlite3_bind_int(st, 5, p->target);
                if (sqlite3_step(st) != SQLITE_ROW) {
                        sqlite3_reset(st);
                        r = db_error(h, err, "cannot write a process identity");
                        goto fail;
                }
                id = sqlite3_column_int64(st, 0);
                if ((r = step_done(h, st, err)))
                        goto fail;

                st = h->st[ST_INS_PROC];
                sqlite3_bind_int64(st, 1, id);
                sqlite3_bind_double(st, 2, host->t);
                bind_size(st, 3, p->rss);
                bind_size(st, 4, p->swap);
                bind_size(st, 5, p->gpu);
                if ((r = step_done(h, st, err)))
                        goto fail;
        }
        if ((r = exec(h, "COMMIT", err)))
                goto fail;
        return 0;
fail:
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
        return r;
}

int mb_history_range(struct mb_history *h, double *ret_first, double *ret_last, size_t *ret_n,
                     struct mb_error *err)
{
        sqlite3_stmt *st;

        if (sqlite3_prepare_v2(h->db, "SELECT min(t), max(t), count(*) FROM host", -1, &st, NULL) !=
            SQLITE_OK)
                return db_error(h, err, "cannot read");
        if (sqlite3_step(st) != SQLITE_ROW) {
                sqlite3_finalize(st);
                return db_error(h, err, "cannot read");
        }
        *ret_first = col_real(st, 0);
        *ret_last = col_real(st, 1);
        *ret_n = (size_t)sqlite3_column_int64(st, 2);
        sqlite3_finalize(st);
        return 0;
}

int mb_history_read_host(struct mb_history *h, double since, double until,
                         struct mb_history_host **ret, size_t *ret_n, struct mb_error *err)
{
        sqlite3_stmt *st;
        struct mb_history_host *a = NULL;
        size_t n = 0, cap = 0;
        int rc;

        *ret = NULL;
        *ret_n = 0;
        if (sqlite3_prepare_v2(h->db,
                               "SELECT t, ram_total, ram_used, ram_available, swap_total, "
                               "swap_used, vram_total, vram_used, swapin_ps, swapout_ps, "
                               "psi_some10, psi_full10, target_nprocs, target_ram, target_swap, "
                               "target_vram FROM host WHERE t >= ?1 AND t < ?2 ORDER BY t",
                               -1, &st, NULL) != SQLITE_OK)
                return db_error(h, err, "cannot read");
        sqlite3_bind_double(st, 1, since);
        sqlite3_bind_double(st, 2, until);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct mb_history_host *x;
                if (MB_GROW(a, n, cap, 1024) < 0) {
                        free(a);
                        sqlite3_finalize(st);
                        return -ENOMEM;
                }
                x = &a[n++];
                x->t = sqlite3_column_double(st, 0);
                x->ram_total = col_size(st, 1);
                x->ram_used = col_size(st, 2);
                x->ram_available = col_size(st, 3);
                x->swap_total = col_size(st, 4);
                x->swap_used = col_size(st, 5);
                x->vram_total = col_size(st, 6);
                x->vram_used = col_size(st, 7);
                x->swapin_ps = col_real(st, 8);
                x->swapout_ps = col_real(st, 9);
                x->psi_some10 = col_real(st, 10);
                x->psi_full10 = col_real(st, 11);
                x->target_nprocs =
                    sqlite3_column_type(st, 12) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 12);
                x->target_ram = col_size(st, 13);
                x->target_swap = col_size(st, 14);
                x->target_vram = col_size(st, 15);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
                free(a);
                return db_error(h, err, "cannot read");
        }
        *ret = a;
        *ret_n = n;
        return 0;
}

int mb_history_idents(struct mb_history *h, double since, double until, bool by_mean, size_t limit,
                      struct mb_history_ident **ret, size_t *ret_n, struct mb_error *err)
{
        static const char sql_fmt[] =
            "SELECT i.id, i.pid, i.starttime, i.name, coalesce(i.cmdline, ''), i.target, "
            "min(p.t), max(p.t), count(*), "
            "max(coalesce(p.rss, 0) + coalesce(p.swap, 0)) AS pk, "
            "avg(coalesce(p.rss, 0) + coalesce(p.swap, 0)) AS mn, "
            "(SELECT coalesce(q.rss, 0) + coalesce(q.swap, 0) FROM proc q WHERE q.id = p.id "
            " AND q.t < ?2 ORDER BY q.t DESC LIMIT 1) "
            "FROM proc p JOIN proc_id i ON i.id = p.id WHERE p.t >= ?1 AND p.t < ?2 "
            "GROUP BY p.id ORDER BY %s DESC, i.pid, i.starttime LIMIT ?3";
        char sql[sizeof(sql_fmt) + 8];
        struct mb_history_ident *a = NULL;
        size_t n = 0, cap = 0;
        sqlite3_stmt *st;
        int rc;

        *ret = NULL;
        *ret_n = 0;
        snprintf(sql, sizeof(sql), sql_fmt, by_mean ? "mn" : "pk");
        if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
                return db_error(h, err, "cannot read");
        sqlite3_bind_double(st, 1, since);
        sqlite3_bind_double(st, 2, until);
        sqlite3_bind_int64(st, 3, limit ? (int64_t)limit : -1);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct mb_history_ident *x;
                const unsigned char *s;
                if (MB_GROW(a, n, cap, 64) < 0) {
                        free(a);
                        sqlite3_finalize(st);
                        return -ENOMEM;
                }
                x = &a[n++];
                memset(x, 0, sizeof(*x));
                x->id = sqlite3_column_int64(st, 0);
                x->pid = sqlite3_column_int(st, 1);
                x->starttime = (uint64_t)sqlite3_column_int64(st, 2);
                s = sqlite3_column_text(st, 3);
                mb_strlcpy(x->name, s ? (const char *)s : "", sizeof(x->name));
                s = sqlite3_column_text(st, 4);
                mb_strlcpy(x->cmdline, s ? (const char *)s : "", sizeof(x->cmdline));
                x->target = sqlite3_column_int(st, 5) != 0;
                x->first_t = sqlite3_column_double(st, 6);
                x->last_t = sqlite3_column_double(st, 7);
                x->nsamples = (size_t)sqlite3_column_int64(st, 8);
                x->peak = sqlite3_column_int64(st, 9);
                x->mean = sqlite3_column_double(st, 10);
                x->last_v = sqlite3_column_int64(st, 11);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
                free(a);
                return db_error(h, err, "cannot read");
        }
        *ret = a;
        *ret_n = n;
        return 0;
}

int mb_history_series(struct mb_history *h, int64_t ident, double since, double until, double **t,
                      double **v, size_t *cap, size_t *ret_n, struct mb_error *err)
{
        sqlite3_stmt *st;
        size_t n = 0;
        int rc;

        *ret_n = 0;
        if (sqlite3_prepare_v2(h->db,
                               "SELECT t, coalesce(rss, 0) + coalesce(swap, 0) FROM proc "
                               "WHERE id = ?1 AND t >= ?2 AND t < ?3 AND rss IS NOT NULL "
                               "ORDER BY t",
                               -1, &st, NULL) != SQLITE_OK)
                return db_error(h, err, "cannot read");
        sqlite3_bind_int64(st, 1, ident);
        sqlite3_bind_double(st, 2, since);
        sqlite3_bind_double(st, 3, until);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (n == *cap) {
                        size_t nc = *cap ? *cap * 2 : 256;
                        double *nt = realloc(*t, nc * sizeof(double));
                        if (!nt) {
                                sqlite3_finalize(st);
                                return -ENOMEM;
                        }
                        *t = nt;
                        nt = realloc(*v, nc * sizeof(double));
                        if (!nt) {
                                sqlite3_finalize(st);
                                return -ENOMEM;
                        }
                        *v = nt;
                        *cap = nc;
                }
                (*t)[n] = sqlite3_column_double(st, 0);
                (*v)[n] = (double)sqlite3_column_int64(st, 1);
                n++;
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
                return db_error(h, err, "cannot read");
        *ret_n = n;
        return 0;
}

int64_t mb_history_count(struct mb_history *h, const char *table)
{
        sqlite3_stmt *st;
        char sql[64];
        int64_t n = -1;

        if (strcmp(table, "host") && strcmp(table, "proc") && strcmp(table, "proc_id"))
                return -EINVAL;
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
        if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        if (sqlite3_step(st) == SQLITE_ROW)
                n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return n;
}

int mb_history_schema(struct mb_history *h)
{
        return read_version(h, NULL);
}
