/*
 * util.h: small helpers shared by the whole library: reading kernel files
 * relative to a directory fd, a capped growable buffer, cursor parsers and
 * the user-facing error struct.  Nothing here prints.
 */
#ifndef MB_UTIL_H
#define MB_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A value that could not be read (kernel thread, permission, absent field). */
#define MB_UNKNOWN INT64_MIN

#define MB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * A user-facing error: where (file, line, column; 0 = not known) and what.
 * Filled by parsers and loaders; printed once by the CLI.
 */
struct mb_error {
        char where[512];
        int line;
        int col;
        char msg[512];
};

void mb_error_set(struct mb_error *err, const char *where, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * Room for one more element in a doubling array: returns arr when n < *cap,
 * else the reallocated array (first allocation `first` elements) with *cap
 * updated, or NULL (arr untouched) when out of memory.  Use MB_GROW.
 */
void *mb_grow_array(void *arr, size_t n, size_t *cap, size_t elem, size_t first);

/* MB_GROW(arr, n, cap, first): 0, or -ENOMEM with arr and cap unchanged. */
#define MB_GROW(arr, n, cap, first)                                                                \
        __extension__({                                                                            \
                void *np_ = mb_grow_array((arr), (n), &(cap), sizeof(*(arr)), (first));            \
                np_ ? ((arr) = np_, 0) : -12 /* -ENOMEM */;                                        \
        })

/* Capped growable byte buffer; data is always NUL-terminated. */
struct mb_buf {
        char *data;
        size_t len;
        size_t cap;
        size_t max; /* hard cap; 0 means 64 MiB */
};

#define MB_BUF_INIT                                                                                \
        {                                                                                          \
                NULL, 0, 0, 0                                                                      \
        }

/* Ensure room for `extra` more bytes plus the NUL.  0 or -ENOMEM/-EFBIG. */
int mb_buf_reserve(struct mb_buf *b, size_t extra);
int mb_buf_append(struct mb_buf *b, const void *data, size_t n);
int mb_buf_printf(struct mb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mb_buf_reset(struct mb_buf *b);
void mb_buf_release(struct mb_buf *b);

/*
 * Read a whole file relative to dirfd into b (replacing its contents).
 * Reads until EOF (stat sizes of /proc files are 0).  Returns the length,
 * or -errno (-ENOENT, -ESRCH, -EACCES, ...).  `limit` caps the bytes read
 * (0 = the buffer's cap); a file longer than that is truncated and
 * -EFBIG is NOT returned: the caller learns it from the length == limit.
 */
ssize_t mb_read_file_at(int dirfd, const char *path, struct mb_buf *b, size_t limit);

/*
 * The same for /proc files that seq_file writes in one go (status, stat,
 * smaps_rollup, cgroup): a read that does not fill the buffer is the end,
 * so no second read() is made to see EOF.  Not for cmdline or environ.
 */
ssize_t mb_read_seqfile_at(int dirfd, const char *path, struct mb_buf *b);

/* Read into a caller buffer of size cap (one NUL reserved).  Length or -errno. */
ssize_t mb_read_small_at(int dirfd, const char *path, char *buf, size_t cap);

/* a + b, held at INT64_MAX / INT64_MIN instead of overflowing (sums of
 * sizes read from files a user can shape: smaps of a crafted process). */
static inline int64_t mb_add_sat(int64_t a, int64_t b)
{
        int64_t r;

        if (__builtin_add_overflow(a, b, &r))
                return b > 0 ? INT64_MAX : INT64_MIN;
        return r;
}

/* pread() from offset 0 until EOF into b.  Length or -errno. */
ssize_t mb_pread_all(int fd, struct mb_buf *b);

/* The whole file at path as a malloc'd string ("" when empty); NULL when
 * it cannot be opened or read (errno set). */
char *mb_read_text(const char *path);

/*
 * Cursor parsers.  They skip leading blanks (space, tab), accept decimal
 * digits, stop at the first other byte and move *p past what they read.
 * Return 0, or -EINVAL when no digit is there, -ERANGE on overflow.
 */
int mb_parse_u64(const char **p, const char *end, uint64_t *ret);
int mb_parse_i64(const char **p, const char *end, int64_t *ret);

/* v in decimal at buf (room for 21 bytes), NUL-terminated; the length.
 * For hot paths where snprintf's format parsing shows. */
size_t mb_fmt_u64(uint64_t v, char *buf);

/* Write a file atomically: a new temp file in the same directory (created
 * with O_EXCL, so never through a link), fsync, rename over the path (which
 * replaces a link rather than following it), fsync the directory.  An
 * interrupted write leaves the old file.  Returns 0 or -errno. */
int mb_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/*
 * Write a value to a kernel file (/proc/sys, cgroup) in one write(), never
 * through a link; with `create`, a missing file is created (captured trees in
 * tests).  The kernel's answer (EINVAL, EBUSY...) comes back as -errno.
 */
int mb_write_value(const char *path, const char *value, bool create);

/*
 * Open a file that membudget will act on (configuration, baseline, history,
 * state files): O_NONBLOCK (a FIFO never blocks), O_CLOEXEC, O_NOCTTY, plus
 * `flags` (O_RDONLY, O_NOFOLLOW, O_WRONLY|O_APPEND|O_CREAT...; created with
 * mode 0600), then fstat: it must be a regular file (-EISDIR for a
 * directory, -EINVAL otherwise) and, per `trust`, owned by a user we trust and
 * not writable by group or others (-EPERM), as sudo and systemd require:
 *   MB_TRUST_ROOT: when running as root, owned by root (configuration);
 *   MB_TRUST_SELF: owned by the effective user (state files, always).
 * Returns the fd or -errno; why gets a short reason ("owned by uid 1000, not
 * root", "writable by group or others (mode 0666)", "not a regular file").
 */
#define MB_TRUST_NONE 0
#define MB_TRUST_ROOT 1
#define MB_TRUST_SELF 2
int mb_open_trusted(const char *path, int flags, int trust, char *why, size_t len);

/* The same checks for an existing directory (state dir): owned by the
 * effective user (or root), not writable by group or others, not a link.
 * 0, -ENOENT, or -EPERM/-ENOTDIR with why filled. */
int mb_dir_trusted(const char *path, char *why, size_t len);

/* Remove PATH.tmp.* files that an interrupted mb_write_file_atomic left
 * (older than `age_s` seconds, regular, owned by us).  Returns how many. */
int mb_clean_stale_temps(const char *path, double age_s);

/* Create a directory and its parents with `mode`; 0 or -errno. */
int mb_mkdir_p(const char *path, mode_t mode);

/* Monotonic and wall-clock time in seconds. */
double mb_now_mono(void);
double mb_now_wall(void);

/* strerror for a negative or positive errno. */
const char *mb_strerror(int err);

/* Lower-case copy helpers and bounded string copy (always NUL-terminates). */
size_t mb_strlcpy(char *dst, const char *src, size_t size);

#endif
