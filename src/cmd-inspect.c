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
#include "../lib/out/json.h"
#include "../lib/out/table.h"
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
static bool parse_interval(const char *s, double *ret)
{
        char *e;
        double v, mul = 1;

        errno = 0;
        v = strtod(s, &e);
        if (e == s || errno || !isfinite(v))
                return false;
        if (!strcmp(e, "ms"))
                mul = 0.001;
        else if (!strcmp(e, "m") || !strcmp(e, "min"))
                mul = 60;
        else if (!strcmp(e, "h"))
                mul = 3600;
        else if (*e && strcmp(e, "s"))
                return false;
        v *= mul;
        if (v < 0.1 || v > 86400)
                return false;
        *ret = v;
        return true;
}

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
                        if (!parse_interval(optarg, &o->interval_s))
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

/*
 * GPU memory of each target, from the same collectors as `procs gpu`
 * (NVML, DRM fdinfo).  VRAM is not in smaps: a CUDA process's mappings of
 * /dev/nvidia* are host memory, its device memory is only known to the
 * driver.  Leaves MB_UNKNOWN when there is no GPU.
 */
static void charge_vram(struct mb_cli *cli, struct target *t, size_t n)
{
        struct mb_proctab tab;
        struct mb_gpus g;

        mb_proctab_init(&tab);
        for (size_t i = 0; i < n; i++) {
                struct mb_proc *p = mb_proctab_slot(&tab, t[i].s.pid);
                if (!p)
                        break;
                tab.n++;
        }
        if (tab.n == n && mb_gpu_collect(&cli->root, &tab, &g) == 0) {
                for (size_t i = 0; i < n; i++)
                        t[i].vram = g.n ? tab.p[i].gpu : MB_UNKNOWN;
                mb_gpus_release(&g);
        }
        mb_proctab_release(&tab);
}

static int64_t vram_sum(const struct target *t, size_t n)
{
        int64_t sum = MB_UNKNOWN;

        for (size_t i = 0; i < n; i++)
                if (t[i].vram != MB_UNKNOWN)
                        sum = (sum == MB_UNKNOWN ? 0 : sum) + t[i].vram;
        return sum;
}

static int cmp_charge_desc(const void *a, const void *b)
{
        const struct mb_proc *x = a, *y = b;
        int64_t cx = mb_proc_rss_swap(x), cy = mb_proc_rss_swap(y);

        if (cx != cy)
                return cx > cy ? -1 : 1;
        return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Pids whose command line matches, largest RSS+swap first, capped. */
static int match_pids(struct mb_cli *cli, const struct inspect_opts *o, int **ret, size_t *ret_n,
                      size_t *ret_more)
{
        struct mb_proctab t;
        struct mb_scan_filter f = {.match = &o->match, .skip_kthreads = true};
        int *pids = NULL, self = getpid();
        size_t n = 0;
        int r;

        mb_proctab_init(&t);
        r = mb_proc_scan(&cli->root, MB_SCAN_CMDLINE | MB_SCAN_STAT, &f, &t);
        if (r < 0) {
                mb_proctab_release(&t);
                return r;
        }
        qsort(t.p, t.n, sizeof(*t.p), cmp_charge_desc);
        pids = calloc(t.n ? t.n : 1, sizeof(*pids));
        if (!pids) {
                mb_proctab_release(&t);
                return -ENOMEM;
        }
        *ret_more = 0;
        for (size_t i = 0; i < t.n; i++) {
                if (cli->root.live && t.p[i].pid == self)
                        continue;
                if (t.p[i].flags & MB_P_ZOMBIE)
                        continue;
                if (n >= (size_t)o->max_procs) {
                        (*ret_more)++;
                        continue;
                }
                pids[n++] = t.p[i].pid;
        }
        mb_proctab_release(&t);
        *ret = pids;
        *ret_n = n;
        return 0;
}

static json_t *json_sum(const struct mb_memsum *m, uint32_t seen, bool all)
{
        json_t *j = json_object();

        json_object_set_new(j, "rss_bytes", json_integer(m->rss));
        json_object_set_new(j, "pss_bytes", json_integer(m->pss));
        json_object_set_new(j, "uss_bytes", json_integer(m->uss));
        json_object_set_new(j, "swap_bytes", json_integer(m->swap));
        if (all) {
                json_object_set_new(j, "swap_pss_bytes",
                                    (seen & (1u << MB_SM_SWAP_PSS)) ? json_integer(m->swappss)
                                                                    : json_null());
                json_object_set_new(j, "anon_huge_bytes", json_integer(m->anon_huge));
                json_object_set_new(j, "locked_bytes",
                                    (seen & (1u << MB_SM_LOCKED)) ? json_integer(m->locked)
                                                                  : json_null());
                json_object_set_new(j, "dirty_bytes", json_integer(m->dirty));
                json_object_set_new(j, "size_bytes", json_integer(m->size));
        }
        json_object_set_new(j, "mappings", json_integer(m->count));
        return j;
}

static json_t *json_kinds(const struct mb_memsum *kinds, uint32_t seen)
{
        json_t *j = json_object();

        for (int k = 0; k < MB_MK_COUNT; k++)
                json_object_set_new(j, mb_map_kinds[k].id, json_sum(&kinds[k], seen, false));
        return j;
}

static json_t *json_mapping(const struct mb_smaps *s, const struct mb_mapping *m)
{
        json_t *j = json_object();
        char buf[64];

        snprintf(buf, sizeof(buf), "%llx", (unsigned long long)m->start);
        json_object_set_new(j, "start", json_string(buf));
        snprintf(buf, sizeof(buf), "%llx", (unsigned long long)m->end);
        json_object_set_new(j, "end", json_string(buf));
        json_object_set_new(j, "perms", json_string(m->perms));
        json_object_set_new(j, "kind", json_string(mb_map_kinds[mb_map_classify(s, m)].id));
        json_object_set_new(j, "path", m->path ? mb_json_str(mb_mapping_path(s, m)) : json_null());
        json_object_set_new(j, "deleted", json_boolean(m->flags & MB_MAP_DELETED));
        snprintf(buf, sizeof(buf), "%02x:%02x", m->dev_major, m->dev_minor);
        json_object_set_new(j, "dev", json_string(buf));
        json_object_set_new(j, "inode", json_integer((json_int_t)m->inode));
        json_object_set_new(j, "offset", json_integer((json_int_t)m->offset));
        json_object_set_new(j, "size_bytes", json_integer(m->v[MB_SM_SIZE]));
        json_object_set_new(j, "rss_bytes", json_integer(m->v[MB_SM_RSS]));
        json_object_set_new(j, "pss_bytes", json_integer(m->v[MB_SM_PSS]));
        json_object_set_new(j, "uss_bytes", json_integer(mb_mapping_uss(m)));
        json_object_set_new(j, "swap_bytes", json_integer(m->v[MB_SM_SWAP]));
        json_object_set_new(j, "anon_huge_bytes", json_integer(m->v[MB_SM_ANON_HUGE]));
        json_object_set_new(j, "locked_bytes", json_integer(m->v[MB_SM_LOCKED]));
        json_object_set_new(j, "dirty_bytes",
                            json_integer(m->v[MB_SM_SHARED_DIRTY] + m->v[MB_SM_PRIVATE_DIRTY]));
        return j;
}

static json_t *json_target(const struct target *t, size_t top)
{
        const struct mb_smaps *s = &t->s;
        const struct mb_inspect *in = &t->in;
        json_t *j = json_object(), *arr;
        size_t ng = in->ngroups < top ? in->ngroups : top;

        json_object_set_new(j, "pid", json_integer(s->pid));
        json_object_set_new(j, "name", mb_json_str(s->name));
        json_object_set_new(j, "cmdline", mb_json_str(s->cmdline ? s->cmdline : ""));
        json_object_set_new(j, "user", mb_json_str(mb_user_name(s->uid)));
        json_object_set_new(j, "uid", json_integer(s->uid));
        json_object_set_new(j, "starttime", json_integer((json_int_t)s->starttime));
        json_object_set_new(j, "totals", json_sum(&in->total, s->fields_seen, true));
        json_object_set_new(j, "vram_bytes",
                            t->vram != MB_UNKNOWN ? json_integer(t->vram) : json_null());
        json_object_set_new(j, "kinds", json_kinds(in->kinds, s->fields_seen));
        arr = json_array();
        for (size_t i = 0; i < ng; i++) {
                const struct mb_inspect_group *g = &in->groups[i];
                json_t *go = json_sum(&g->sum, s->fields_seen, false);
                json_object_set_new(go, "kind", json_string(mb_map_kinds[g->kind].id));
                json_object_set_new(go, "name", mb_json_str(mb_inspect_label(in, g->label)));
                json_array_append_new(arr, go);
        }
        json_object_set_new(j, "groups", arr);
        json_object_set_new(j, "groups_total", json_integer((json_int_t)in->ngroups));
        arr = json_array();
        for (size_t i = 0; i < in->ntop && i < top; i++)
                json_array_append_new(arr, json_mapping(s, &s->m[in->top[i]]));
        json_object_set_new(j, "mappings", arr);
        json_object_set_new(j, "mappings_total", json_integer((json_int_t)s->n));
        json_object_set_new(j, "garbled_lines", json_integer(s->n_garbled));
        json_object_set_new(j, "truncated", json_boolean(s->truncated));
        return j;
}

static json_t *json_summary(const struct mb_inspect_summary *sum, size_t top)
{
        json_t *j = json_object(), *arr = json_array();
        size_t shown = 0;

        json_object_set_new(j, "processes", json_integer(sum->nprocs));
        json_object_set_new(j, "rss_bytes", json_integer(sum->rss));
        json_object_set_new(j, "pss_bytes", json_integer(sum->pss));
        json_object_set_new(j, "uss_bytes", json_integer(sum->uss));
        json_object_set_new(j, "swap_bytes", json_integer(sum->swap));
        json_object_set_new(j, "shared_bytes", json_integer(sum->pss - sum->uss));
        json_object_set_new(j, "kinds", json_kinds(sum->kinds, ~0u));
        for (size_t i = 0; i < sum->nrows && shown < top; i++) {
                const struct mb_inspect_shared_row *r = &sum->rows[i];
                json_t *o;
                if (r->procs < 2 || r->rss + r->swap == 0)
                        continue;
                o = json_object();
                json_object_set_new(o, "kind", json_string(mb_map_kinds[r->kind].id));
                json_object_set_new(
                    o, "name", mb_json_str(sum->labels.data ? sum->labels.data + r->label : ""));
                json_object_set_new(o, "processes", json_integer(r->procs));
                json_object_set_new(o, "rss_bytes", json_integer(r->rss));
                json_object_set_new(o, "pss_bytes", json_integer(r->pss));
                json_object_set_new(o, "uss_bytes", json_integer(r->uss));
                json_object_set_new(o, "swap_bytes", json_integer(r->swap));
                json_object_set_new(o, "shared_bytes", json_integer(r->pss - r->uss));
                json_array_append_new(arr, o);
                shown++;
        }
        json_object_set_new(j, "shared", arr);
        return j;
}

static const char *fmt(int64_t v, char *buf)
{
        return mb_size_format(v, buf, MB_SIZE_STRLEN);
}

static void print_header(FILE *f, const struct target *t)
{
        const struct mb_smaps *s = &t->s;
        const struct mb_memsum *m = &t->in.total;
        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN], c[MB_SIZE_STRLEN], d[MB_SIZE_STRLEN];

        fprintf(f, "PID %d  %s  ", s->pid, mb_user_name(s->uid));
        if (s->cmdline && *s->cmdline)
                mb_print_clean(f, s->cmdline);
        else
                fprintf(f, "[%s]", s->name);
        fputc('\n', f);
        fprintf(f, "  RSS %s   PSS %s   USS %s   swap %s\n", fmt(m->rss, a), fmt(m->pss, b),
                fmt(m->uss, c), fmt(m->swap, d));
        fprintf(f, "  THP %s   locked %s   dirty %s   virtual %s   mappings %u\n",
                fmt(m->anon_huge, a), fmt(m->locked, b), fmt(m->dirty, c), fmt(m->size, d),
                m->count);
        if (t->vram != MB_UNKNOWN)
                fprintf(f, "  GPU memory (VRAM) %s, not part of RSS (from the GPU driver)\n",
                        fmt(t->vram, a));
        if (s->n_garbled)
                fprintf(f, "  %u unreadable smaps lines skipped\n", s->n_garbled);
        if (s->truncated)
                fprintf(f, "  more than %u mappings: the rest were skipped\n",
                        MB_SMAPS_MAX_MAPPINGS);
}

static void kinds_table(FILE *f, const struct mb_memsum *kinds, const struct mb_memsum *total)
{
        struct mb_table tab;

        mb_table_init(&tab);
        mb_table_col(&tab, "KIND", false, 0);
        mb_table_col(&tab, "RSS", true, 0);
        mb_table_col(&tab, "PSS", true, 0);
        mb_table_col(&tab, "USS", true, 0);
        mb_table_col(&tab, "SWAP", true, 0);
        mb_table_col(&tab, "MAPS", true, 0);
        for (int k = 0; k < MB_MK_COUNT; k++) {
                if (!kinds[k].count)
                        continue;
                mb_table_cell(&tab, mb_map_kinds[k].title);
                mb_table_size(&tab, kinds[k].rss);
                mb_table_size(&tab, kinds[k].pss);
                mb_table_size(&tab, kinds[k].uss);
                mb_table_size(&tab, kinds[k].swap);
                mb_table_cellf(&tab, "%u", kinds[k].count);
        }
        mb_table_cell(&tab, "total");
        mb_table_size(&tab, total->rss);
        mb_table_size(&tab, total->pss);
        mb_table_size(&tab, total->uss);
        mb_table_size(&tab, total->swap);
        mb_table_cellf(&tab, "%u", total->count);
        mb_table_print(&tab, f, true);
        mb_table_release(&tab);
}

static void render_text(FILE *f, const struct target *t, size_t top)
{
        const struct mb_smaps *s = &t->s;
        const struct mb_inspect *in = &t->in;
        struct mb_table tab;
        size_t ng = in->ngroups < top ? in->ngroups : top;

        print_header(f, t);
        fputc('\n', f);
        kinds_table(f, in->kinds, &in->total);
        if (ng) {
                fprintf(f, "\nLARGEST GROUPS (%zu of %zu, by RSS+swap)\n", ng, in->ngroups);
                mb_table_init(&tab);
                mb_table_col(&tab, "KIND", false, 0);
                mb_table_col(&tab, "NAME", false, 60);
                mb_table_col(&tab, "RSS", true, 0);
                mb_table_col(&tab, "PSS", true, 0);
                mb_table_col(&tab, "USS", true, 0);
                mb_table_col(&tab, "SWAP", true, 0);
                mb_table_col(&tab, "MAPS", true, 0);
                for (size_t i = 0; i < ng; i++) {
                        const struct mb_inspect_group *g = &in->groups[i];
                        mb_table_cell(&tab, mb_map_kinds[g->kind].id);
                        mb_table_cell(&tab, mb_inspect_label(in, g->label));
                        mb_table_size(&tab, g->sum.rss);
                        mb_table_size(&tab, g->sum.pss);
                        mb_table_size(&tab, g->sum.uss);
                        mb_table_size(&tab, g->sum.swap);
                        mb_table_cellf(&tab, "%u", g->sum.count);
                }
                mb_table_print(&tab, f, true);
                mb_table_release(&tab);
        }
        if (in->ntop && top) {
                size_t nt = in->ntop < top ? in->ntop : top;
                fprintf(f, "\nLARGEST MAPPINGS (%zu of %zu, by RSS+swap)\n", nt, s->n);
                mb_table_init(&tab);
                mb_table_col(&tab, "ADDRESS", false, 0);
                mb_table_col(&tab, "PERMS", false, 0);
                mb_table_col(&tab, "KIND", false, 0);
                mb_table_col(&tab, "RSS", true, 0);
                mb_table_col(&tab, "PSS", true, 0);
                mb_table_col(&tab, "USS", true, 0);
                mb_table_col(&tab, "SWAP", true, 0);
                mb_table_col(&tab, "PATH", false, 80);
                for (size_t i = 0; i < nt; i++) {
                        const struct mb_mapping *m = &s->m[in->top[i]];
                        const char *p = mb_mapping_path(s, m);
                        mb_table_cellf(&tab, "%llx-%llx", (unsigned long long)m->start,
                                       (unsigned long long)m->end);
                        mb_table_cell(&tab, m->perms);
                        mb_table_cell(&tab, mb_map_kinds[mb_map_classify(s, m)].id);
                        mb_table_size(&tab, m->v[MB_SM_RSS]);
                        mb_table_size(&tab, m->v[MB_SM_PSS]);
                        mb_table_size(&tab, mb_mapping_uss(m));
                        mb_table_size(&tab, m->v[MB_SM_SWAP]);
                        mb_table_cellf(&tab, "%s%s", p,
                                       m->flags & MB_MAP_DELETED ? " (deleted)" : "");
                }
                mb_table_print(&tab, f, true);
                mb_table_release(&tab);
        }
}

static void render_summary_text(FILE *f, const struct mb_inspect_summary *sum, size_t top,
                                const char *re, int64_t vram)
{
        char a[MB_SIZE_STRLEN];
        struct mb_table tab;
        size_t shown = 0;

        fprintf(f, "\nSUMMARY: %u processes matching '", sum->nprocs);
        mb_print_clean(f, re);
        fprintf(f, "'\n");
        fprintf(f, "  RSS summed  %s (shared pages counted once per process)\n", fmt(sum->rss, a));
        fprintf(f, "  PSS summed  %s (each shared page counted once: the real footprint)\n",
                fmt(sum->pss, a));
        fprintf(f, "  USS summed  %s (private: freed if the processes exited)\n", fmt(sum->uss, a));
        fprintf(f, "  shared      %s (PSS - USS)\n", fmt(sum->pss - sum->uss, a));
        fprintf(f, "  swap        %s\n", fmt(sum->swap, a));
        if (vram != MB_UNKNOWN)
                fprintf(f, "  VRAM summed %s (GPU memory, from the GPU driver)\n", fmt(vram, a));
        mb_table_init(&tab);
        mb_table_col(&tab, "KIND", false, 0);
        mb_table_col(&tab, "NAME", false, 60);
        mb_table_col(&tab, "PROCS", true, 0);
        mb_table_col(&tab, "RSS SUM", true, 0);
        mb_table_col(&tab, "PSS SUM", true, 0);
        mb_table_col(&tab, "USS SUM", true, 0);
        mb_table_col(&tab, "SHARED", true, 0);
        for (size_t i = 0; i < sum->nrows && shown < top; i++) {
                const struct mb_inspect_shared_row *r = &sum->rows[i];
                if (r->procs < 2 || r->rss + r->swap == 0)
                        continue;
                mb_table_cell(&tab, mb_map_kinds[r->kind].id);
                mb_table_cell(&tab, sum->labels.data + r->label);
                mb_table_cellf(&tab, "%u", r->procs);
                mb_table_size(&tab, r->rss);
                mb_table_size(&tab, r->pss);
                mb_table_size(&tab, r->uss);
                mb_table_size(&tab, r->pss - r->uss);
                shown++;
        }
        if (shown) {
                fprintf(f, "\nSHARED BETWEEN THE PROCESSES (%zu largest, each counted once)\n",
                        shown);
                mb_table_print(&tab, f, true);
        } else {
                fprintf(f, "\nnothing is mapped by more than one of them\n");
        }
        mb_table_release(&tab);
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
        if (r == -ENOENT || r == -ESRCH)
                return mb_runtime_error(cli, "no process %d", pid);
        if (r == -EACCES)
                return mb_runtime_error(cli,
                                        "cannot read %s/%d/smaps: permission denied (run as root "
                                        "to inspect another user's process)",
                                        cli->root.proc_path, pid);
        return mb_runtime_error(cli, "cannot read %s/%d/smaps: %s", cli->root.proc_path, pid,
                                mb_strerror(r));
}

/* Swap the latest analysis into prev (buffers exchange, nothing copied). */
static void shift(struct mb_inspect *dst, struct mb_inspect *src)
{
        struct mb_inspect tmp = *dst;
        *dst = *src;
        *src = tmp;
}

static json_t *json_growth(const struct mb_kind_growth *g)
{
        json_t *j = json_object();

        for (int k = 0; k < MB_MK_COUNT; k++) {
                json_t *o = json_object();
                json_object_set_new(o, "delta_bytes", json_integer(g->delta[k]));
                json_object_set_new(o, "per_min_bytes",
                                    json_integer((json_int_t)llround(g->rate_per_min[k])));
                json_object_set_new(j, mb_map_kinds[k].id, o);
        }
        return j;
}

/* "anon +10.0 MiB, heap -1.0 MiB" (largest change first, at most 3). */
static void grew_text(char *buf, size_t len, const struct mb_kind_growth *g, double min_step)
{
        bool used[MB_MK_COUNT] = {0};
        size_t off = 0;

        buf[0] = '\0';
        for (int n = 0; n < 3; n++) {
                int best = -1;
                char s[MB_SIZE_STRLEN];
                for (int k = 0; k < MB_MK_COUNT; k++)
                        if (!used[k] && llabs(g->delta[k]) >= min_step &&
                            (best < 0 || llabs(g->delta[k]) > llabs(g->delta[best])))
                                best = k;
                if (best < 0)
                        break;
                used[best] = true;
                fmt(llabs(g->delta[best]), s);
                off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s %c%s",
                                        n ? ", " : "", mb_map_kinds[best].id,
                                        g->delta[best] < 0 ? '-' : '+', s);
                if (off >= len)
                        break;
        }
        if (!buf[0])
                snprintf(buf, len, "steady");
}

static void print_growth_summary(FILE *f, const struct target *t)
{
        struct mb_kind_growth g;
        struct mb_inspect_finding fd;
        struct mb_table tab;
        char a[MB_SIZE_STRLEN];
        double dt = t->t_now - t->t_first;

        if (mb_inspect_growth(&t->first, &t->in, dt, &g) < 0)
                return;
        fprintf(f, "\nPID %d: growth over %.1f s\n", t->s.pid, dt);
        mb_table_init(&tab);
        mb_table_col(&tab, "KIND", false, 0);
        mb_table_col(&tab, "FIRST", true, 0);
        mb_table_col(&tab, "LAST", true, 0);
        mb_table_col(&tab, "CHANGE", true, 0);
        mb_table_col(&tab, "PER MIN", true, 0);
        for (int k = 0; k < MB_MK_COUNT; k++) {
                if (!t->first.kinds[k].count && !t->in.kinds[k].count)
                        continue;
                mb_table_cell(&tab, mb_map_kinds[k].title);
                mb_table_size(&tab, mb_memsum_charge(&t->first.kinds[k]));
                mb_table_size(&tab, mb_memsum_charge(&t->in.kinds[k]));
                fmt(llabs(g.delta[k]), a);
                mb_table_cellf(&tab, "%s%s", g.delta[k] < 0 ? "-" : "+", a);
                fmt(llabs(llround(g.rate_per_min[k])), a);
                mb_table_cellf(&tab, "%s%s", g.rate_per_min[k] < 0 ? "-" : "+", a);
        }
        mb_table_print(&tab, f, true);
        mb_table_release(&tab);
        if (mb_inspect_dominant_growth(&t->first, &t->in, dt, 1 << 20, &fd) == 1) {
                fprintf(f, "growing: %s +%s", mb_map_kinds[fd.kind].title, fmt(fd.delta_bytes, a));
                fprintf(f, " (+%s per minute, %.0f%% of the growth)\n",
                        fmt(llround(fd.rate_bytes_per_min), a), fd.share * 100);
        } else {
                fprintf(f, "no kind grew by 1 MiB or more\n");
        }
}

/* One process in a --watch --json line; gp is NULL for the first sample. */
static json_t *json_watch_proc(const struct target *x, const struct mb_kind_growth *gp)
{
        struct mb_kind_growth gs;
        struct mb_inspect_finding fd;
        json_t *po = json_object();
        double dt = x->t_now - x->t_first;

        json_object_set_new(po, "pid", json_integer(x->s.pid));
        json_object_set_new(po, "totals", json_sum(&x->in.total, x->s.fields_seen, false));
        json_object_set_new(po, "kinds", json_kinds(x->in.kinds, x->s.fields_seen));
        json_object_set_new(po, "since_previous", gp ? json_growth(gp) : json_null());
        if (dt > 0 && mb_inspect_growth(&x->first, &x->in, dt, &gs) == 0)
                json_object_set_new(po, "since_start", json_growth(&gs));
        else
                json_object_set_new(po, "since_start", json_null());
        json_object_set_new(po, "seconds_since_start", json_real(dt));
        if (dt > 0 && mb_inspect_dominant_growth(&x->first, &x->in, dt, 1 << 20, &fd) == 1) {
                json_t *d = json_object();
                json_object_set_new(d, "kind", json_string(mb_map_kinds[fd.kind].id));
                json_object_set_new(d, "delta_bytes", json_integer(fd.delta_bytes));
                json_object_set_new(d, "per_min_bytes",
                                    json_integer((json_int_t)llround(fd.rate_bytes_per_min)));
                json_object_set_new(d, "share", json_real(fd.share));
                json_object_set_new(po, "growing", d);
        } else {
                json_object_set_new(po, "growing", json_null());
        }
        return po;
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
                fprintf(f, "sampling %zu process%s every %.3g s%s\n", n, n == 1 ? "" : "es",
                        o->interval_s, o->count ? "" : " (Ctrl-C prints the summary)");
                fprintf(f, "%-9s %8s %10s %12s  %s\n", "ELAPSED", "PID", "RSS+SWAP", "PER MIN",
                        "CHANGE SINCE LAST SAMPLE");
                for (size_t i = 0; i < n; i++) {
                        char a[MB_SIZE_STRLEN];
                        fprintf(f, "%-9.1f %8d %10s %12s  %s\n", 0.0, t[i].s.pid,
                                fmt(mb_memsum_charge(&t[i].in.total), a), "-", "first sample");
                }
        }
        if (cli->json) {
                json_t *arr = json_array();
                for (size_t i = 0; i < n; i++)
                        json_array_append_new(arr, json_watch_proc(&t[i], NULL));
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
                        char a[MB_SIZE_STRLEN], b[MB_SIZE_STRLEN], grew[160];
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
                                        fprintf(f, "%-9.1f %8d  exited\n", x->t_prev - start, pid);
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
                                char rate[MB_SIZE_STRLEN + 2];
                                grew_text(grew, sizeof(grew), &gp, 64 * 1024);
                                fmt(llabs(llround((double)gp.total_delta * 60.0 / gp.seconds)), b);
                                snprintf(rate, sizeof(rate), "%c%s", gp.total_delta < 0 ? '-' : '+',
                                         b);
                                fprintf(f, "%-9.1f %8d %10s %12s  %s\n", x->t_now - start, pid,
                                        fmt(mb_memsum_charge(&x->in.total), a), rate, grew);
                                continue;
                        }
                        json_array_append_new(arr, json_watch_proc(x, &gp));
                }
                if (cli->json)
                        emit_sample(f, js, samples, start, arr);
                fflush(f);
        }
        if (!cli->json)
                for (size_t i = 0; i < n; i++)
                        if (t[i].t_now > t[i].t_first)
                                print_growth_summary(f, &t[i]);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        return MB_EXIT_OK;
}

int cmd_inspect(int argc, char **argv, struct mb_cli *cli)
{
        struct inspect_opts o = {.top = 10, .max_procs = 20};
        struct target *t = NULL;
        int *pids = NULL;
        size_t npids = 0, n = 0, more = 0;
        int r, code = MB_EXIT_OK;

        r = parse(argc, argv, cli, &o);
        if (r)
                goto out_opts;
        if ((r = mb_cli_root(cli)))
                goto out_opts;

        if (o.has_match) {
                r = match_pids(cli, &o, &pids, &npids, &more);
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

        if (cli->json) {
                json_t *j = json_object(), *arr = json_array();
                for (size_t i = 0; i < n; i++)
                        json_array_append_new(arr, json_target(&t[i], (size_t)o.top));
                json_object_set_new(j, "processes", arr);
                if (o.has_match) {
                        struct mb_inspect_summary sum;
                        const struct mb_inspect **ins = calloc(n, sizeof(*ins));
                        mb_inspect_summary_init(&sum);
                        if (ins) {
                                for (size_t i = 0; i < n; i++)
                                        ins[i] = &t[i].in;
                                if (mb_inspect_summarize(ins, n, &sum) == 0) {
                                        json_t *js = json_summary(&sum, (size_t)o.top);
                                        int64_t v = vram_sum(t, n);
                                        json_object_set_new(js, "vram_bytes",
                                                            v != MB_UNKNOWN ? json_integer(v)
                                                                            : json_null());
                                        json_object_set_new(j, "summary", js);
                                }
                        }
                        free(ins);
                        mb_inspect_summary_release(&sum);
                }
                mb_json_print(j, cli->out);
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                if (i)
                        fputc('\n', cli->out);
                render_text(cli->out, &t[i], (size_t)o.top);
        }
        if (o.has_match) {
                struct mb_inspect_summary sum;
                const struct mb_inspect **ins = calloc(n, sizeof(*ins));
                mb_inspect_summary_init(&sum);
                if (!ins) {
                        code = mb_runtime_error(cli, "out of memory");
                } else {
                        for (size_t i = 0; i < n; i++)
                                ins[i] = &t[i].in;
                        if (mb_inspect_summarize(ins, n, &sum) == 0)
                                render_summary_text(cli->out, &sum, o.top ? (size_t)o.top : 10,
                                                    o.match_text, vram_sum(t, n));
                        else
                                code = mb_runtime_error(cli, "out of memory");
                }
                free(ins);
                mb_inspect_summary_release(&sum);
        }
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
