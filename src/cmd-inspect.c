/* cmd-inspect.c: "membudget inspect": where one process's memory lives, by kind of mapping. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include "../lib/diag/inspect.h"
#include "../lib/diag/watch.h"
#include "../lib/out/inspect.h"
#include "../lib/util/size.h"
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

static int parse(int argc, char **argv, struct cli *cli, struct inspect_opts *o)
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

        cli_getopt_reset();
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_MATCH:
                        if ((r = cli_opt_regex(cli, "--match", optarg, &o->match, &o->has_match)))
                                return r;
                        o->match_text = optarg;
                        break;
                case OPT_TOP:
                        if ((r = cli_opt_uint(cli, "--top", optarg, 100000, &o->top)))
                                return r;
                        break;
                case OPT_MAX_PROCS:
                        if ((r = cli_opt_uint(cli, "--max-procs", optarg, 10000, &o->max_procs)))
                                return r;
                        if (o->max_procs == 0)
                                return cli_usage_error(
                                    cli, "invalid value '%s' for --max-procs (expected 1-10000)",
                                    optarg);
                        break;
                case OPT_WATCH:
                        if (!mb_duration_parse(optarg, &o->interval_s))
                                return cli_usage_error(cli,
                                                       "invalid interval '%s' for --watch "
                                                       "(expected e.g. 5, 5s, 500ms, 1m; 0.1s-24h)",
                                                       optarg);
                        break;
                case OPT_COUNT:
                        if ((r = cli_opt_uint(cli, "--count", optarg, 100000000, &o->count)))
                                return r;
                        if (o->count == 0)
                                return cli_usage_error(cli, "invalid value '0' for --count "
                                                            "(expected 1-100000000)");
                        has_count = true;
                        break;
                default:
                        return cli_bad_option(cli, argc, argv, c);
                }
        }
        if (optind < argc) {
                const char *a = argv[optind];
                char *e;
                long v;

                if (o->has_match)
                        return cli_usage_error(cli, "give a PID or --match, not both ('%s')", a);
                errno = 0;
                v = strtol(a, &e, 10);
                if (!*a || *e || errno || v <= 0 || v > 0x7fffffffL || a[0] == '+' || a[0] == ' ')
                        return cli_usage_error(cli, "invalid pid '%s' (expected a number >= 1)", a);
                o->pid = (int)v;
                optind++;
        }
        if (optind < argc)
                return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
        if (!o->pid && !o->has_match)
                return cli_usage_error(cli, "which process? give a PID or --match REGEX");
        if (has_count && o->interval_s == 0)
                return cli_usage_error(cli, "--count needs --watch");
        return 0;
}

static int read_error(struct cli *cli, int pid, int r)
{
        char path[1100];

        mb_smaps_path(&cli->root, pid, path, sizeof(path));
        if (r == -ENOENT || r == -ESRCH)
                return cli_runtime_error(cli, "no process %d", pid);
        if (r == -EACCES)
                return cli_runtime_error(cli,
                                         "cannot read %s: permission denied (run as root to "
                                         "inspect another user's process)",
                                         path);
        return cli_runtime_error(cli, "cannot read %s: %s", path, mb_strerror(r));
}

/* The processes, with a warning for those left out; 0 or an exit code. */
static int open_targets(struct cli *cli, const struct inspect_opts *o, struct mb_itargets *ts)
{
        struct mb_iopen_err e;
        enum mb_iopen st = mb_itargets_open(&cli->root, o->pid, o->has_match ? &o->match : NULL,
                                            (size_t)o->max_procs, (size_t)o->top, ts, &e);

        if (ts->more)
                cli_warn("%zu more processes match '%s'; inspecting the %zu largest (--max-procs)",
                         ts->more, o->match_text, (size_t)o->max_procs);
        if (ts->denied && st != MB_IOPEN_LIST)
                cli_warn("smaps unreadable for %u matching processes owned by other users: run "
                         "as root",
                         ts->denied);
        switch (st) {
        case MB_IOPEN_OK:
                return 0;
        case MB_IOPEN_NOMEM:
                return cli_runtime_error(cli, "out of memory");
        case MB_IOPEN_LIST:
                return cli_runtime_error(cli, "cannot list processes under '%s': %s",
                                         cli->root.proc_path, mb_strerror(e.r));
        case MB_IOPEN_READ:
                return read_error(cli, e.pid, e.r);
        case MB_IOPEN_EMPTY:
                return cli_runtime_error(
                    cli, "process %d (%s) has no user memory (kernel thread or zombie)", e.pid,
                    e.name);
        case MB_IOPEN_NONE:
                break;
        }
        if (ts->denied)
                return cli_runtime_error(cli,
                                         "cannot read smaps of any process matching '%s': run "
                                         "as root",
                                         o->match_text);
        return cli_runtime_error(cli, "no process matches '%s'", o->match_text);
}

static int watch(struct cli *cli, const struct inspect_opts *o, struct mb_itargets *ts)
{
        struct mb_stop stop;
        volatile sig_atomic_t *stop_sig = mb_stop_catch(&stop);
        double next = ts->start;

        mb_itargets_watch_start(ts);
        mb_out_inspect_watch_first(cli->out, cli->json, ts, o->interval_s, !o->count);
        fflush(cli->out);
        while (!*stop_sig && (!o->count || ts->samples < o->count) && ts->alive) {
                next += o->interval_s;
                if (!mb_sleep_until_stop(next, stop_sig))
                        break;
                mb_itargets_step(&cli->root, ts);
                mb_out_inspect_watch_step(cli->out, cli->json, ts);
                fflush(cli->out);
        }
        mb_out_inspect_watch_end(cli->out, cli->json, ts);
        mb_stop_restore(&stop);
        return CLI_EXIT_OK;
}

int cmd_inspect(int argc, char **argv, struct cli *cli)
{
        struct inspect_opts o = {.top = 10, .max_procs = 20};
        struct mb_itargets ts = {0};
        int code;

        if ((code = parse(argc, argv, cli, &o)) || (code = cli_root(cli)) ||
            (code = open_targets(cli, &o, &ts)))
                goto out;
        if (o.interval_s > 0)
                code = watch(cli, &o, &ts);
        else if (mb_out_inspect_targets(cli->out, cli->json, &ts,
                                        o.has_match ? o.match_text : NULL) < 0)
                code = cli_runtime_error(cli, "out of memory");
out:
        mb_itargets_release(&ts);
        if (o.has_match)
                regfree(&o.match);
        return code;
}
