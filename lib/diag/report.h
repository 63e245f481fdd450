/*
 * report.h: the data of `membudget report` from the history store: the
 * period's statistics (and a compared period's), the largest process
 * identities by peak and by mean, and the leak suspects.  Rendered by
 * lib/out/report.h.
 */
#ifndef MB_DIAG_REPORT_H
#define MB_DIAG_REPORT_H

#include "../config/config.h"
#include "../analyze/period.h"
#include "../store/history.h"

struct mb_report_req {
        double since, until;
        bool compare;
        double bsince, buntil; /* the compared period */
        double leak_window_s;  /* 0: the default */
        double leak_rate;      /* bytes per second; 0: the default */
        size_t top;            /* identities by peak and by mean */
};

/* The report and the arrays it points into (owned). */
struct mb_report_data {
        struct mb_report rep;
        struct mb_history_host *rows, *brows;
        size_t n, bn;
        struct mb_history_ident *by_peak, *by_mean;
        struct mb_report_leak *leaks;
};

/*
 * Read and compute the report.  0; -ENODATA when the period holds no
 * sample (err->msg: "between A and B (it holds N from C to D)", or "" when
 * the history holds none at all); -ENOMEM; -EIO (err filled).
 */
int mb_report_build(struct mb_history *h, const struct mb_config *cfg,
                    const struct mb_report_req *req, struct mb_report_data *ret,
                    struct mb_error *err);
void mb_report_data_release(struct mb_report_data *d);

/* "90", "45s", "30m", "24h", "7d", "2w" -> seconds.  0 or -EINVAL. */
int mb_report_parse_duration(const char *s, double *ret);
/* A point in time: "now", a duration back from `now` ("30m": a unit is
 * required), @EPOCH, or local time (2026-12-01[T10:00[:00]]).  0 or -EINVAL. */
int mb_report_parse_when(const char *s, double now, double *ret);
/* A period "SINCE..UNTIL", each part as mb_report_parse_when ("14d..7d").
 * 0; -EINVAL when not of that form or a part is no time; -ERANGE when the
 * end is not after the start. */
int mb_report_parse_range(const char *s, double now, double *since, double *until);

#endif
