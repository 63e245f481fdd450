/* cmd-inspect.c: "membudget inspect": where one process's memory lives, by kind of mapping. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/analyze/inspect.h"
#include "../lib/collect/gpu.h"
#include "../lib/collect/proc.h"
#include "../lib/collect/smaps.h"
#include "../lib/out/inspect.h"
#include "../lib/out/json.h"
#include "../lib/util/size.h"
#include "../lib/util/users.h"
#include "cli.h"

const char cmd_inspect_help[] =
    "usage: membudget inspect PID | --match REGEX [--top N] [--max-procs N]\n"
    "                         [--watch INTERVAL [--count N]] [--json]\n"
    "\n"
    "Reads /proc/PID/smaps of the chosen processes (only those) and breaks their\n"
    "RSS, PSS, USS and swap down by kind of mapping: heap, anonymous mmap\n"
    "(allocator pools, Python arenas, [anon:NAME]), stack, the executable,\n"
    "libraries (by file name), other files, shared memory (/dev/shm, SysV, memfd,\n"
    "shared anonymous), GPU driver mappings, tmpfs files and other.\n"
    "\n"
    "  PID               the process to inspect\n"
    "  --match REGEX     every process whose command line matches (POSIX extended),\n"
    "                    one section each, then what they share (PSS counts a shared\n"
    "                    page once in total; USS is what each holds privately)\n"
    "  --top N           the N largest groups and mappings by RSS+swap (default 10)\n"
    "  --max-procs N     with --match, inspect at most the N largest (default 20)\n"
    "  --watch INTERVAL  sample every INTERVAL (e.g. 5, 5s, 500ms, 1m) and print\n"
    "                    which kinds grew and by how much per minute\n"
    "  --count N         with --watch, stop after N samples (default: until Ctrl-C)\n"
    "\n"
    "smaps needs ptrace read access: inspecting another user's process needs root.\n"
    "Cost: the kernel walks the page tables, about 7 ms per resident GiB per read.\n";

struct inspect_opts {
        int pid;
        bool has_match;
        regex_t match;
        const char *match_text;
        long top;
        long max_procs;
        double interval_s; /* 0 = no --watch */
        long count;        /* 0 = until interrupted */
};

/* A process being inspected: its smaps, analysis and first sample (watch). */
struct target {
        struct mb_smaps s;
        struct mb_inspect in;   /* latest */
        struct mb_inspect prev; /* previous sample (watch) */
        struct mb_inspect first;
        double t_first, t_prev, t_now;
        bool gone;
        int64_t vram; /* GPU memory the driver charges it; MB_UNKNOWN without a GPU */
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
        (void)sig;
        stop_requested = 1;
}

/* "5", "5s", "500ms", "1.5m", "1h" -> seconds; false when invalid. */

static int parse(int argc, char **argv, struct mb_cli *cli, struct inspect_opts *o)
{
        enum { OPT_MATCH = 0x100, OPT_TOP, OPT_WATCH, OPT_COUNT, OPT_MAX_PROCS };
        static const struct option longopts[] = {
            {"match", required_argument, NULL, OPT_MATCH},
            {"top", required_argument, NULL, OPT_TOP},
            {"watch", required_argument, NULL, OPT_WATCH},
            {"count", required_argument, NULL, OPT_COUNT},
            {"max-procs", required_argument, NULL, OPT_MAX_PROCS},
            {NULL, 0, NULL, 0},
        };
        bool has_count = false;
        int c, r;

        mb_getopt_reset();
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_MATCH:
                        if ((r = mb_opt_regex(cli, "--match", optarg, &o->match, &o->has_match)))
                                return r;
                        o->match_text = optarg;
                        break;
                case OPT_TOP:
                        if ((r = mb_opt_uint(cli, "--top", optarg, 100000, &o->top)))
                                return r;
                        break;
                case OPT_MAX_PROCS:
                        if ((r = mb_opt_uint(cli, "--max-procs", optarg, 10000, &o->max_procs)))
                                return r;
                        if (o->max_procs == 0)
                                return mb_usage_error(
                                    cli, "invalid value '%s' for --max-procs (expected 1-10000)",
                                    optarg);
                        break;
                case OPT_WATCH:
                        if (!mb_duration_parse(optarg, &o->interval_s))
                                return mb_usage_error(cli,
                                                      "invalid interval '%s' for --watch "
                                                      "(expected e.g. 5, 5s, 500ms, 1m; 0.1s-24h)",
                                                      optarg);
                        break;
                case OPT_COUNT:
                        if ((r = mb_opt_uint(cli, "--count", optarg, 100000000, &o->count)))
                                return r;
                        if (o->count == 0)
                                return mb_usage_error(cli, "invalid value '0' for --count "
                                                           "(expected 1-100000000)");
                        has_count = true;
                        break;
                default:
                        return mb_bad_option(cli, argc, argv, c);
                }
        }
        if (optind < argc) {
                const char *a = argv[optind];
                char *e;
                long v;

                if (o->has_match)
                        return mb_usage_error(cli, "give a PID or --match, not both ('%s')", a);
                errno = 0;
                v = strtol(a, &e, 10);
                if (!*a || *e || errno || v <= 0 || v > 0x7fffffffL || a[0] == '+' || a[0] == ' ')
                        return mb_usage_error(cli, "invalid pid '%s' (expected a number >= 1)", a);
                o->pid = (int)v;
                optind++;
        }
        if (optind < argc)
                return mb_usage_error(cli, "unexpected argument '%s'", argv[optind]);
        if (!o->pid && !o->has_match)
                return mb_usage_error(cli, "which process? give a PID or --match REGEX");
        if (has_count && o->interval_s == 0)
                return mb_usage_error(cli, "--count needs --watch");
        return 0;
}

static void targets_release(struct target *t, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                mb_smaps_release(&t[i].s);
                mb_inspect_release(&t[i].in);
                mb_inspect_release(&t[i].prev);
                mb_inspect_release(&t[i].first);
        }
        free(t);
}

static void target_init(struct target *t)
{
        memset(t, 0, sizeof(*t));
        mb_smaps_init(&t->s);
        mb_inspect_init(&t->in);
        mb_inspect_init(&t->prev);
        mb_inspect_init(&t->first);
        t->vram = MB_UNKNOWN;
}

/* A target as the renderers (lib/out/inspect.h) see it; v is the storage. */
static const struct mb_out_inspect *view(const struct target *t, struct mb_out_inspect *v)
{
        *v = (struct mb_out_inspect){.s = &t->s,
                                     .in = &t->in,
                                     .first = &t->first,
                                     .seconds = t->t_now - t->t_first,
                                     .vram = t->vram};
        return v;
}

/* GPU memory of each target (lib/collect/gpu.h); MB_UNKNOWN without a GPU. */
static void charge_vram(struct mb_cli *cli, struct target *t, size_t n)
{
        int *pids = calloc(n ? n : 1, sizeof(*pids));
        int64_t *v = calloc(n ? n : 1, sizeof(*v));

        for (size_t i = 0; pids && v && i < n; i++)
                pids[i] = t[i].s.pid;
        if (pids && v && mb_gpu_charge_pids(&cli->root, pids, n, v) == 0)
                for (size_t i = 0; i < n; i++)
                        t[i].vram = v[i];
        free(pids);
        free(v);
}

/* Read and analyze one target; 0 or -errno. */
static int sample(struct mb_cli *cli, struct target *t, int pid, size_t top)
{
        int r = mb_smaps_read(&cli->root, pid, &t->s);

        if (r < 0)
                return r;
        t->t_now = mb_now_mono();
        return mb_inspect_analyze(&t->s, top, &t->in);
}

static int read_error(struct mb_cli *cli, int pid, int r)
{
        char path[1100];

        mb_smaps_path(&cli->root, pid, path, sizeof(path));
        if (r == -ENOENT || r == -ESRCH)
                return mb_runtime_error(cli, "no process %d", pid);
        if (r == -EACCES)
                return mb_runtime_error(cli,
                                        "cannot read %s: permission denied (run as root to "
                                        "inspect another user's process)",
                                        path);
        return mb_runtime_error(cli, "cannot read %s: %s", path, mb_strerror(r));
}

/* Swap the latest analysis into prev (buffers exchange, nothing copied). */
static void shift(struct mb_inspect *dst, struct mb_inspect *src)
{
        struct mb_inspect tmp = *dst;
        *dst = *src;
        *src = tmp;
}

/* Print one --watch --json line (JSON Lines: one compact object per sample). */
static void emit_sample(FILE *f, json_t *js, long sample, double start, json_t *procs)
{
        json_object_set_new(js, "sample", json_integer(sample));
        json_object_set_new(js, "time", json_real(mb_now_wall()));
        json_object_set_new(js, "elapsed_s", json_real(mb_now_mono() - start));
        json_object_set_new(js, "processes", procs);
        json_dumpf(js, f, JSON_COMPACT | MB_JSON_DEFAULT);
        fputc('\n', f);
        json_decref(js);
}

static void sleep_s(double s)
{
        struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

        while (!stop_requested && nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static int watch(struct mb_cli *cli, const struct inspect_opts *o, struct target *t, size_t n)
{
        struct mb_out_inspect v;
        struct sigaction sa = {0}, old_int, old_term;
        FILE *f = cli->out;
        double start = t[0].t_now, next;
        long samples = 1;
        size_t alive = n;

        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        stop_requested = 0;

        for (size_t i = 0; i < n; i++) {
                t[i].t_first = t[i].t_prev = t[i].t_now;
                shift(&t[i].first, &t[i].in);
                mb_inspect_analyze(&t[i].s, 0, &t[i].in); /* first == in, for the growth */
        }
        if (!cli->json) {
                mb_out_inspect_watch_head(f, n, o->interval_s, !o->count);
                for (size_t i = 0; i < n; i++)
                        mb_out_inspect_watch_line(f, 0.0, t[i].s.pid,
                                                  mb_memsum_charge(&t[i].in.total), NULL);
        }
        if (cli->json) {
                json_t *arr = json_array();
                for (size_t i = 0; i < n; i++)
                        json_array_append_new(arr,
                                              mb_out_inspect_watch_json(view(&t[i], &v), NULL));
                emit_sample(f, json_object(), 1, start, arr);
        }
        fflush(f);
        next = start;
        while (!stop_requested && (!o->count || samples < o->count) && alive) {
                double now;
                json_t *js = NULL, *arr = NULL;

                next += o->interval_s;
                now = mb_now_mono();
                if (next > now)
                        sleep_s(next - now);
                if (stop_requested)
                        break;
                samples++;
                if (cli->json) {
                        js = json_object();
                        arr = json_array();
                }
                for (size_t i = 0; i < n; i++) {
                        struct target *x = &t[i];
                        struct mb_kind_growth gp;
                        uint64_t st = x->s.starttime;
                        int pid = x->s.pid;
                        int r;

                        if (x->gone)
                                continue;
                        x->t_prev = x->t_now;
                        shift(&x->prev, &x->in);
                        r = sample(cli, x, pid, (size_t)o->top);
                        if (r < 0 || x->s.starttime != st) {
                                x->gone = true;
                                alive--;
                                if (!cli->json) {
                                        mb_out_inspect_watch_exited(f, x->t_prev - start, pid);
                                } else {
                                        json_t *e = json_object();
                                        json_object_set_new(e, "pid", json_integer(pid));
                                        json_object_set_new(e, "exited", json_true());
                                        json_array_append_new(arr, e);
                                }
                                /* keep the last good sample for the summary */
                                shift(&x->prev, &x->in);
                                x->t_now = x->t_prev;
                                continue;
                        }
                        if (mb_inspect_growth(&x->prev, &x->in, x->t_now - x->t_prev, &gp) < 0)
                                continue; /* no time passed: nothing to say */
                        if (!cli->json) {
                                mb_out_inspect_watch_line(f, x->t_now - start, pid,
                                                          mb_memsum_charge(&x->in.total), &gp);
                                continue;
                        }
                        json_array_append_new(arr, mb_out_inspect_watch_json(view(x, &v), &gp));
                }
                if (cli->json)
                        emit_sample(f, js, samples, start, arr);
                fflush(f);
        }
        if (!cli->json)
                for (size_t i = 0; i < n; i++)
                        if (t[i].t_now > t[i].t_first)
                                mb_out_inspect_growth_text(f, view(&t[i], &v));
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        return MB_EXIT_OK;
}

int cmd_inspect(int argc, char **argv, struct mb_cli *cli)
{
        struct inspect_opts o = {.top = 10, .max_procs = 20};
        struct target *t = NULL;
        struct mb_out_inspect *views;
        int *pids = NULL;
        size_t npids = 0, n = 0, more = 0;
        int r, code = MB_EXIT_OK;

        r = parse(argc, argv, cli, &o);
        if (r)
                goto out_opts;
        if ((r = mb_cli_root(cli)))
                goto out_opts;

        if (o.has_match) {
                r = mb_proc_match_pids(&cli->root, &o.match, (size_t)o.max_procs, &pids, &npids,
                                       &more);
                if (r < 0) {
                        code = mb_runtime_error(cli, "cannot list processes under '%s': %s",
                                                cli->root.proc_path, mb_strerror(r));
                        goto out;
                }
                if (!npids) {
                        code = mb_runtime_error(cli, "no process matches '%s'", o.match_text);
                        goto out;
                }
                if (more)
                        mb_warn("%zu more processes match '%s'; inspecting the %zu largest "
                                "(--max-procs)",
                                more, o.match_text, npids);
        } else {
                pids = malloc(sizeof(*pids));
                if (!pids) {
                        code = mb_runtime_error(cli, "out of memory");
                        goto out;
                }
                pids[0] = o.pid;
                npids = 1;
        }

        t = calloc(npids, sizeof(*t));
        if (!t) {
                code = mb_runtime_error(cli, "out of memory");
                goto out;
        }
        {
                unsigned denied = 0;
                for (size_t i = 0; i < npids; i++) {
                        target_init(&t[n]);
                        r = sample(cli, &t[n], pids[i], (size_t)o.top);
                        if (r < 0) {
                                if (!o.has_match) {
                                        code = read_error(cli, pids[i], r);
                                        n++;
                                        goto out;
                                }
                                if (r == -EACCES)
                                        denied++; /* others vanished meanwhile: skip them */
                                mb_smaps_release(&t[n].s);
                                mb_inspect_release(&t[n].in);
                                continue;
                        }
                        if (!t[n].s.n && !o.has_match) {
                                code = mb_runtime_error(
                                    cli,
                                    "process %d (%s) has no user memory (kernel thread or "
                                    "zombie)",
                                    pids[i], t[n].s.name);
                                n++;
                                goto out;
                        }
                        if (!t[n].s.n) {
                                mb_smaps_release(&t[n].s);
                                mb_inspect_release(&t[n].in);
                                continue;
                        }
                        n++;
                }
                if (denied)
                        mb_warn("smaps unreadable for %u matching processes owned by other "
                                "users: run as root",
                                denied);
                if (!n) {
                        code = denied
                                   ? mb_runtime_error(cli,
                                                      "cannot read smaps of any process "
                                                      "matching '%s': run as root",
                                                      o.match_text)
                                   : mb_runtime_error(cli, "no process matches '%s'", o.match_text);
                        goto out;
                }
        }

        charge_vram(cli, t, n);
        if (o.interval_s > 0) {
                code = watch(cli, &o, t, n);
                goto out;
        }

        views = calloc(n, sizeof(*views));
        if (!views) {
                code = mb_runtime_error(cli, "out of memory");
                goto out;
        }
        for (size_t i = 0; i < n; i++)
                view(&t[i], &views[i]);
        if (mb_out_inspect_doc(cli->out, cli->json, views, n, (size_t)o.top,
                               o.has_match ? o.match_text : NULL) < 0)
                code = mb_runtime_error(cli, "out of memory");
        free(views);
out:
        if (t)
                targets_release(t, n);
        free(pids);
        r = code;
out_opts:
        if (o.has_match)
                regfree(&o.match);
        return r;
}
