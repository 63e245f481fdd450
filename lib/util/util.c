/* util.c: see util.h. */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MB_BUF_DEFAULT_MAX (64u << 20)

void mb_error_set(struct mb_error *err, const char *where, int line, int col, const char *fmt, ...)
{
        va_list ap;

        if (!err)
                return;
        mb_strlcpy(err->where, where ? where : "", sizeof(err->where));
        err->line = line;
        err->col = col;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
}

int mb_buf_reserve(struct mb_buf *b, size_t extra)
{
        size_t max = b->max ? b->max : MB_BUF_DEFAULT_MAX;
        size_t need = b->len + extra + 1;
        size_t ncap;
        char *n;

        if (need <= b->cap)
                return 0;
        if (need > max + 1)
                return -EFBIG;
        ncap = b->cap ? b->cap : 256;
        while (ncap < need)
                ncap *= 2;
        if (ncap > max + 1)
                ncap = max + 1;
        n = realloc(b->data, ncap);
        if (!n)
                return -ENOMEM;
        b->data = n;
        b->cap = ncap;
        return 0;
}

int mb_buf_append(struct mb_buf *b, const void *data, size_t n)
{
        int r = mb_buf_reserve(b, n);

        if (r < 0)
                return r;
        memcpy(b->data + b->len, data, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
}

int mb_buf_printf(struct mb_buf *b, const char *fmt, ...)
{
        va_list ap;
        int n, r;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -EINVAL;
        r = mb_buf_reserve(b, (size_t)n);
        if (r < 0)
                return r;
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
        return 0;
}

void mb_buf_reset(struct mb_buf *b)
{
        b->len = 0;
        if (b->data)
                b->data[0] = '\0';
}

void mb_buf_release(struct mb_buf *b)
{
        if (!b)
                return;
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
}

static ssize_t read_fd_into(int fd, struct mb_buf *b, size_t limit, bool use_pread,
                            bool short_is_eof)
{
        off_t off = 0;

        mb_buf_reset(b);
        for (;;) {
                size_t room;
                ssize_t n;
                int r;

                if (limit && b->len >= limit)
                        break;
                r = mb_buf_reserve(b, 4096);
                if (r < 0) {
                        if (r == -EFBIG && b->len > 0)
                                break;
                        return r;
                }
                room = b->cap - b->len - 1;
                if (limit && room > limit - b->len)
                        room = limit - b->len;
                n = use_pread ? pread(fd, b->data + b->len, room, off)
                              : read(fd, b->data + b->len, room);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                b->len += (size_t)n;
                off += n;
                if (short_is_eof && (size_t)n < room)
                        break; /* the whole text came in one read: no read() for EOF */
        }
        if (b->data)
                b->data[b->len] = '\0';
        return (ssize_t)b->len;
}

ssize_t mb_read_file_at(int dirfd, const char *path, struct mb_buf *b, size_t limit)
{
        int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        ssize_t r;

        if (fd < 0)
                return -errno;
        r = read_fd_into(fd, b, limit, false, false);
        close(fd);
        return r;
}

ssize_t mb_read_seqfile_at(int dirfd, const char *path, struct mb_buf *b)
{
        int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        ssize_t r;

        if (fd < 0)
                return -errno;
        r = read_fd_into(fd, b, 0, false, true);
        close(fd);
        return r;
}

ssize_t mb_read_small_at(int dirfd, const char *path, char *buf, size_t cap)
{
        int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        size_t len = 0;

        if (fd < 0)
                return -errno;
        while (len + 1 < cap) {
                ssize_t n = read(fd, buf + len, cap - 1 - len);
                if (n < 0) {
                        int e = errno;
                        if (e == EINTR)
                                continue;
                        close(fd);
                        return -e;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        close(fd);
        buf[len] = '\0';
        return (ssize_t)len;
}

ssize_t mb_pread_all(int fd, struct mb_buf *b)
{
        return read_fd_into(fd, b, 0, true, false);
}

char *mb_read_text(const char *path)
{
        struct mb_buf b = MB_BUF_INIT;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t r;

        if (fd < 0)
                return NULL;
        r = mb_pread_all(fd, &b);
        close(fd);
        if (r < 0) {
                mb_buf_release(&b);
                errno = (int)-r;
                return NULL;
        }
        return b.data ? b.data : strdup("");
}

size_t mb_fmt_u64(uint64_t v, char *buf)
{
        char tmp[20];
        size_t n = 0, i = 0;

        do
                tmp[n++] = (char)('0' + v % 10);
        while ((v /= 10) != 0);
        while (n)
                buf[i++] = tmp[--n];
        buf[i] = '\0';
        return i;
}

int mb_parse_u64(const char **p, const char *end, uint64_t *ret)
{
        const char *s = *p;
        uint64_t v = 0;
        bool any = false;

        while (s < end && (*s == ' ' || *s == '\t'))
                s++;
        while (s < end && *s >= '0' && *s <= '9') {
                unsigned d = (unsigned)(*s - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
                s++;
                any = true;
        }
        if (!any)
                return -EINVAL;
        *p = s;
        *ret = v;
        return 0;
}

int mb_parse_i64(const char **p, const char *end, int64_t *ret)
{
        const char *s = *p;
        bool neg = false;
        uint64_t v;
        int r;

        while (s < end && (*s == ' ' || *s == '\t'))
                s++;
        if (s < end && *s == '-') {
                neg = true;
                s++;
        }
        r = mb_parse_u64(&s, end, &v);
        if (r < 0)
                return r;
        if (v > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
                return -ERANGE;
        *ret = neg ? (int64_t)(0 - v) : (int64_t)v;
        *p = s;
        return 0;
}

int mb_mkdir_p(const char *path, mode_t mode)
{
        char tmp[4096];
        size_t len = mb_strlcpy(tmp, path, sizeof(tmp));

        if (len >= sizeof(tmp))
                return -ENAMETOOLONG;
        for (char *s = tmp + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(tmp, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(tmp, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static int check_owner(const struct stat *st, int trust, char *why, size_t len)
{
        uid_t me = geteuid();

        if (trust == MB_TRUST_NONE || (trust == MB_TRUST_ROOT && me != 0))
                return 0;
        if (st->st_uid != me && st->st_uid != 0) {
                snprintf(why, len, "owned by uid %u, not %s", (unsigned)st->st_uid,
                         me == 0 ? "root" : "you");
                return -EPERM;
        }
        if (st->st_mode & (S_IWGRP | S_IWOTH)) {
                snprintf(why, len, "writable by group or others (mode %04o)",
                         (unsigned)(st->st_mode & 07777));
                return -EPERM;
        }
        return 0;
}

int mb_open_trusted(const char *path, int flags, int trust, char *why, size_t len)
{
        struct stat st;
        int fd, r;

        if (len)
                why[0] = '\0';
        fd = open(path, flags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0) {
                r = -errno;
                snprintf(why, len, "%s", r == -ELOOP ? "is a symbolic link" : mb_strerror(r));
                return r;
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                snprintf(why, len, "%s", mb_strerror(r));
                close(fd);
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                snprintf(why, len, "%s",
                         S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
                close(fd);
                return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
        }
        r = check_owner(&st, trust, why, len);
        if (r < 0) {
                close(fd);
                return r;
        }
        /* back to blocking reads and writes (a regular file ignores it anyway) */
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        return fd;
}

int mb_dir_trusted(const char *path, char *why, size_t len)
{
        struct stat st;
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), r;

        if (len)
                why[0] = '\0';
        if (fd < 0) {
                r = -errno;
                snprintf(why, len, "%s",
                         r == -ELOOP || r == -ENOTDIR ? "not a directory (or a link)"
                                                      : mb_strerror(r));
                return r;
        }
        r = fstat(fd, &st) < 0 ? -errno : 0;
        close(fd);
        if (r < 0) {
                snprintf(why, len, "%s", mb_strerror(r));
                return r;
        }
        return check_owner(&st, MB_TRUST_SELF, why, len);
}

int mb_clean_stale_temps(const char *path, double age_s)
{
        char dir[4096], base[4096], prefix[4200];
        struct dirent *de;
        size_t plen;
        DIR *d;
        int dfd, n = 0;
        time_t now = time(NULL);

        mb_strlcpy(dir, path, sizeof(dir));
        mb_strlcpy(base, path, sizeof(base));
        plen = (size_t)snprintf(prefix, sizeof(prefix), "%s.tmp.", basename(base));
        d = opendir(dirname(dir));
        if (!d)
                return 0;
        dfd = dirfd(d);
        while ((de = readdir(d))) {
                struct stat st;
                if (strncmp(de->d_name, prefix, plen) || strlen(de->d_name) != plen + 6)
                        continue;
                if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
                    difftime(now, st.st_mtime) < age_s)
                        continue;
                if (unlinkat(dfd, de->d_name, 0) == 0)
                        n++;
        }
        closedir(d);
        return n;
}

int mb_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
        char tmp[4096], dir[4096];
        const char *p = data;
        int fd, dfd, r = 0;

        /* temp files of a run killed before its rename (a write takes ms) */
        mb_clean_stale_temps(path, 60);

        /* mkostemp creates the temp file with O_EXCL: never through a link. */
        if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= sizeof(tmp))
                return -ENAMETOOLONG;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto fail;
                }
                p += n;
                len -= (size_t)n;
        }
        if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
                r = -errno;
                goto fail;
        }
        if (close(fd) < 0) {
                fd = -1;
                r = -errno;
                goto fail;
        }
        fd = -1;
        if (rename(tmp, path) < 0) {
                r = -errno;
                goto fail;
        }
        mb_strlcpy(dir, path, sizeof(dir));
        dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
                fsync(dfd);
                close(dfd);
        }
        return 0;
fail:
        if (fd >= 0)
                close(fd);
        unlink(tmp);
        return r;
}

double mb_now_mono(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double mb_now_wall(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *mb_strerror(int err)
{
        return strerror(err < 0 ? -err : err);
}

size_t mb_strlcpy(char *dst, const char *src, size_t size)
{
        size_t n = strlen(src);

        if (size) {
                size_t c = n < size - 1 ? n : size - 1;
                memcpy(dst, src, c);
                dst[c] = '\0';
        }
        return n;
}

int mb_write_value(const char *path, const char *value, bool create)
{
        int fd =
            open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0), 0644);
        size_t len = strlen(value);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = write(fd, value, len);
        if (n < 0 || (size_t)n != len) {
                int e = n < 0 ? errno : EIO;
                close(fd);
                return -e;
        }
        if (close(fd) < 0)
                return -errno;
        return 0;
}

void *mb_grow_array(void *arr, size_t n, size_t *cap, size_t elem, size_t first)
{
        size_t nc;

        if (n < *cap)
                return arr;
        nc = *cap ? *cap * 2 : first;
        if (nc <= n || nc > SIZE_MAX / elem)
                return NULL;
        arr = realloc(arr, nc * elem);
        if (arr)
                *cap = nc;
        return arr;
}
