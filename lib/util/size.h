/*
 * size.h: the one size parser and formatter used by every command.
 *
 * Input: a decimal number, optionally with a fraction, then an optional
 * unit: B, K/KB/KiB, M/MB/MiB, G/GB/GiB, T/TB/TiB (case-insensitive, all
 * powers of 1024 as in free(1) and ps(1)).  "500M", "3.5G", "3500MiB",
 * "1048576".  Negative, empty, unknown units and values above 2^63-1 bytes
 * are errors.
 */
#ifndef MB_SIZE_H
#define MB_SIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 0 on success; -EINVAL (bad syntax / unit) or -ERANGE (too large). */
int mb_size_parse(const char *s, uint64_t *ret);

/* Human form in binary units: "512 B", "1.5 KiB", "3.5 GiB". Returns buf. */
char *mb_size_format(int64_t bytes, char *buf, size_t len);

#define MB_SIZE_STRLEN 32

/*
 * A duration: a number with an optional unit ms, s, m/min or h ("5", "5s",
 * "500ms", "1m"), from 0.1 s to 1 day.  Seconds into *ret; false when the
 * text is not one.
 */
bool mb_duration_parse(const char *s, double *ret);

/*
 * Significant digits of every non-integer number membudget prints (JSON
 * reals, Prometheus samples): 0.58354049000000074 prints as 0.58354049, a
 * wall-clock time keeps 10 ms.  One place, so outputs agree.
 */
#define MB_REAL_DIGITS     12
#define MB_REAL_DIGITS_STR "12"

#endif
