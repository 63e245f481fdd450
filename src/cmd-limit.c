/* cmd-limit.c: "membudget limit": memory limits for a unit or matching processes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/act/cgroup.h"
#include "../lib/act/sysctl.h"
#include "../lib/act/match.h"
#include "../lib/act/proclimits.h"
#include "../lib/act/systemd.h"
#include "../lib/collect/proc.h"
#include "../lib/config/config.h"
#include "../lib/out/json.h"
#include "../lib/out/table.h"
#include "../lib/util/size.h"
#include "../lib/util/users.h"
#include "act-common.h"

const char cmd_limit_help[] =
    "usage: membudget limit --unit NAME[.service] [--max SIZE] [--high SIZE] [--swap-max SIZE] "
    "[--apply]\n"
    "       membudget limit --match REGEX [--max SIZE] [--high SIZE] [--swap-max SIZE]\n"
    "                       [--name N] [--user NAME | --force] [--apply]\n"
    "       membudget limit --release N [--apply]\n"
    "       membudget limit --show [--unit NAME | --match REGEX]\n"
    "\n"
    "  --unit NAME       systemd drop-in /etc/systemd/system/NAME.service.d/" MB_DROPIN_NAME "\n"
    "                    (MemoryMax, MemoryHigh, MemorySwapMax; never MemoryLimit=)\n"
    "  --match REGEX     processes whose command line matches (POSIX ERE), and their\n"
    "                    descendants, moved into cgroup membudget/N (v2 or v1)\n"
    "  --max SIZE        hard limit (default: memory.ram_max_mb of the budget)\n"
    "  --high SIZE       throttle limit (v2 memory.high; v1 soft limit; unit default 90%%\n"
    "                    of --max)\n"
    "  --swap-max SIZE   swap limit (0 = no swap)\n"
    "  --name N          cgroup name under membudget/ (default: limit)\n"
    "  --user NAME       --match only processes of user NAME (needed when other users'\n"
    "                    processes match, or more than 16)\n"
    "  --force           --match past those checks (never PID 1, kernel threads or\n"
    "                    membudget and its ancestors)\n"
    "  --release N       move the processes back where they were, remove membudget/N\n"
    "  --show            limits in force now: cgroup values, drop-in, RLIMIT_AS\n"
    "  --apply           make the changes (default: print the plan only)\n";

struct limit_opts {
        const char *unit, *match_s, *name, *release, *user;
        bool has_match, show, apply, force;
        uid_t uid;
        regex_t match;
        struct mb_cg_limits lim;
};

static int parse(int argc, char **argv, struct mb_cli *cli, struct limit_opts *o)
{
        enum {
                OPT_UNIT = 0x100,
                OPT_MATCH,
                OPT_MAX,
                OPT_HIGH,
                OPT_SWAP,
                OPT_NAME,
                OPT_RELEASE,
                OPT_SHOW,
                OPT_APPLY,
                OPT_USER,
                OPT_FORCE
        };
        static const struct option longopts[] = {
            {"unit", required_argument, NULL, OPT_UNIT},
            {"match", required_argument, NULL, OPT_MATCH},
            {"max", required_argument, NULL, OPT_MAX},
            {"high", required_argument, NULL, OPT_HIGH},
            {"swap-max", required_argument, NULL, OPT_SWAP},
            {"name", required_argument, NULL, OPT_NAME},
            {"release", required_argument, NULL, OPT_RELEASE},
            {"show", no_argument, NULL, OPT_SHOW},
            {"apply", no_argument, NULL, OPT_APPLY},
            {"user", required_argument, NULL, OPT_USER},
            {"force", no_argument, NULL, OPT_FORCE},
            {NULL, 0, NULL, 0},
        };
        int c, r;

        o->lim.max = o->lim.high = o->lim.swap_max = -1;
        mb_getopt_reset();
        while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_UNIT:
                        o->unit = optarg;
                        break;
                case OPT_MATCH:
                        if ((r = mb_opt_regex(cli, "--match", optarg, &o->match, &o->has_match)))
                                return r;
                        o->match_s = optarg;
                        break;
                case OPT_MAX:
                        if ((r = mb_opt_size(cli, "--max", optarg, &o->lim.max)))
                                return r;
                        break;
                case OPT_HIGH:
                        if ((r = mb_opt_size(cli, "--high", optarg, &o->lim.high)))
                                return r;
                        break;
                case OPT_SWAP:
                        if ((r = mb_opt_size(cli, "--swap-max", optarg, &o->lim.swap_max)))
                                return r;
                        break;
                case OPT_NAME:
                        o->name = optarg;
                        break;
                case OPT_RELEASE:
                        o->release = optarg;
                        break;
                case OPT_SHOW:
                        o->show = true;
                        break;
                case OPT_APPLY:
                        o->apply = true;
                        break;
                case OPT_USER:
                        if (mb_user_lookup(optarg, &o->uid) < 0)
                                return mb_usage_error(cli, "unknown user '%s' for --user", optarg);
                        o->user = optarg;
                        break;
                case OPT_FORCE:
                        o->force = true;
                        break;
                default:
                        return mb_bad_option(cli, argc, argv, c);
                }
        }
        if (optind < argc)
                return mb_usage_error(cli, "unexpected argument '%s'", argv[optind]);
        if (o->unit && o->has_match)
                return mb_usage_error(cli, "--unit and --match exclude each other");
        if ((o->user || o->force) && !o->has_match)
                return mb_usage_error(cli, "--user and --force go with --match");
        if (o->release && (o->unit || o->has_match || o->show))
                return mb_usage_error(cli, "--release takes no --unit, --match or --show");
        if (!o->show && !o->release && !o->unit && !o->has_match)
                return mb_usage_error(cli, "say what to limit: --unit NAME, --match REGEX, "
                                           "--release N or --show");
        if (o->name && !mb_cgroup_name_valid(o->name))
                return mb_usage_error(cli,
                                      "invalid name '%s' for --name (letters, digits, '_', "
                                      "'.', '-'; at most 64)",
                                      o->name);
        if (o->release && !mb_cgroup_name_valid(o->release))
                return mb_usage_error(cli, "invalid name '%s' for --release", o->release);
        if (o->lim.max == 0)
                return mb_usage_error(cli, "invalid size '0' for --max (a limit of 0 kills "
                                           "everything)");
        if (o->lim.high >= 0 && o->lim.max > 0 && o->lim.high > o->lim.max)
                return mb_usage_error(cli, "--high must not be above --max");
        return 0;
}

static char *read_text(const char *path)
{
        struct mb_buf b = MB_BUF_INIT;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return NULL;
        if (mb_pread_all(fd, &b) < 0) {
                close(fd);
                mb_buf_release(&b);
                return NULL;
        }
        close(fd);
        return b.data ? b.data : strdup("");
}

/* The default --max (memory.ram_max_mb): 0 or an exit code after one line. */
static int default_max(struct mb_cli *cli, int64_t *ret)
{
        const struct mb_config *cfg;
        char msg[1200];
        int r;

        if ((r = mb_cli_config(cli, &cfg)))
                return r;
        if (mb_config_default_max(cfg, ret, msg, sizeof(msg)) < 0)
                return mb_usage_error(cli, "%s", msg);
        return 0;
}

/* What the unit uses now (bytes), from systemd or its cgroup; -1 unknown. */
static int64_t unit_usage(struct mb_cli *cli, const char *unit, const char *props)
{
        const char *p = props ? strstr(props, "MemoryCurrent=") : NULL;
        struct mb_cgroup_fs fs;
        char dir[1400];
        int64_t v;

        if (p && p[14] >= '0' && p[14] <= '9')
                return strtoll(p + 14, NULL, 10);
        if (mb_cgroup_detect(cli->sys_root, &fs) < 0)
                return -1;
        snprintf(dir, sizeof(dir), "%s/system.slice/%s", fs.mount, unit);
        if (mb_cgroup_read_i64(
                dir, fs.version == MB_CG_V2 ? "memory.current" : "memory.usage_in_bytes", &v) < 0)
                return -1;
        return v;
}

/* The plan, then (with --apply) the changes; an exit code. */
static int show_and_apply(struct mb_cli *cli, struct mb_plan *plan, bool apply, bool rollback)
{
        int r;

        if (!apply)
                return act_plan_show(cli, plan, false);
        if (!cli->json)
                act_plan_show(cli, plan, true);
        r = act_apply(cli, plan, rollback);
        if (cli->json && r == MB_EXIT_OK)
                act_plan_show(cli, plan, true);
        return r;
}

static int do_unit(struct mb_cli *cli, struct limit_opts *o)
{
        char unit[256], path[1200], props[512], msg[256], what[300];
        char *cur;
        struct mb_plan plan;
        bool pid1 = mb_systemd_is_pid1(cli->proc_root), have_props = false;
        int r;

        if (mb_unit_name(o->unit, unit, sizeof(unit)) < 0)
                return mb_usage_error(cli,
                                      "invalid unit '%s' for --unit (expected NAME or "
                                      "NAME.service)",
                                      o->unit);
        snprintf(path, sizeof(path), "%s/etc/systemd/system/%s.d/%s", mb_cli_etc(cli), unit,
                 MB_DROPIN_NAME);
        cur = read_text(path);
        if (pid1) {
                have_props =
                    mb_systemd_unit_props(unit, true, props, sizeof(props), msg, sizeof(msg)) == 0;
                if (!have_props)
                        mb_warn("cannot read the properties of %s: %s", unit, msg);
        }
        mb_plan_init(&plan);
        /* the values before, without MemoryCurrent (a reading, not a setting) */
        {
                const char *nl = have_props && !strncmp(props, "MemoryCurrent=", 14)
                                     ? strchr(props, '\n')
                                     : NULL;
                const char *before = have_props ? (nl ? nl + 1 : props) : NULL;
                r = mb_systemd_limit_plan(unit, path, cur, &o->lim, pid1, before, &plan);
        }
        free(cur);
        if (r < 0) {
                mb_plan_release(&plan);
                return mb_runtime_error(cli, "out of memory");
        }
        snprintf(what, sizeof(what), "the unit %s", unit);
        mb_limit_usage_note(&plan, what, unit_usage(cli, unit, have_props ? props : NULL),
                            o->lim.max);
        r = show_and_apply(cli, &plan, o->apply, true);
        mb_plan_release(&plan);
        return r;
}

static int do_match(struct mb_cli *cli, struct limit_opts *o)
{
        struct mb_cgroup_fs fs;
        struct mb_proctab tab;
        struct mb_member_list ml = {0};
        struct mb_cg_values now = {0};
        struct mb_plan plan;
        const char *name = o->name ? o->name : "limit";
        char dir[1200];
        bool exists;
        int r;

        if (mb_cgroup_detect(cli->sys_root, &fs) < 0)
                return mb_runtime_error(cli,
                                        "no cgroup memory controller under '%s/fs/cgroup' "
                                        "(neither v2 with memory nor v1 memory)",
                                        cli->sys_root ? cli->sys_root : "/sys");
        mb_proctab_init(&tab);
        r = mb_match_members(&cli->root, cli->proc_root, &fs, &o->match, o->user != NULL, o->uid,
                             &tab, &ml);
        if (r < 0) {
                mb_proctab_release(&tab);
                free(ml.m);
                return mb_runtime_error(cli, "cannot scan processes: %s", mb_strerror(r));
        }
        mb_cgroup_dir(&fs, name, dir, sizeof(dir));
        exists = access(dir, F_OK) == 0;
        if (exists)
                mb_cgroup_values_read(&fs, dir, &now);
        mb_plan_init(&plan);
        r = mb_cgroup_limit_plan(&fs, name, &o->lim, exists, &now, ml.m, ml.n, &plan);
        if (r == 0 && ml.n == 0)
                mb_plan_note(&plan,
                             "no process matches '%s' now: the group gets its limits, "
                             "nothing is moved",
                             o->match_s);
        if (r == 0) {
                char what[64];
                mb_limit_match_policy(&plan, ml.m, ml.n, (uint32_t)getuid(), o->user != NULL,
                                      o->force);
                snprintf(what, sizeof(what), "the %zu matching process%s", ml.n,
                         ml.n == 1 ? "" : "es");
                mb_limit_usage_note(&plan, what, mb_members_usage(&tab, &ml), o->lim.max);
        }
        if (r < 0) {
                r = mb_runtime_error(cli, "out of memory");
        } else {
                r = show_and_apply(cli, &plan, o->apply, true);
                if (o->apply && r == MB_EXIT_OK && !cli->json)
                        fprintf(cli->out, "release with: membudget limit --release %s --apply\n",
                                name);
        }
        mb_plan_release(&plan);
        mb_proctab_release(&tab);
        free(ml.m);
        return r;
}

static int do_release(struct mb_cli *cli, struct limit_opts *o)
{
        struct mb_journal_entries all = {0};
        struct mb_cgroup_fs fs;
        struct mb_error err = {0};
        struct mb_plan plan;
        const char *state;
        char dir[1200];
        int *pids = NULL, r;
        size_t npids = 0;

        if (mb_cgroup_detect(cli->sys_root, &fs) < 0)
                return mb_runtime_error(cli, "no cgroup memory controller found");
        mb_cgroup_dir(&fs, o->release, dir, sizeof(dir));
        if ((r = mb_cli_state_dir(cli, false, &state)))
                return r;
        if (mb_journal_read(state, &all, &err) < 0)
                return mb_runtime_error(cli, "%s: %s", err.where, err.msg);
        if (all.skipped)
                mb_warn("%s/%s:%d: %zu corrupt line%s skipped (not a journal record)", state,
                        MB_JOURNAL_FILE, all.first_bad, all.skipped, all.skipped == 1 ? "" : "s");
        mb_cgroup_pids(dir, &pids, &npids);
        mb_plan_init(&plan);
        r = mb_release_plan(&all, dir, access(dir, F_OK) == 0, fs.mount, pids, npids, &plan);
        free(pids);
        if (r == -ENOENT)
                r = mb_runtime_error(cli, "no group '%s' (%s) to release", o->release, dir);
        else if (r < 0)
                r = mb_runtime_error(cli, "out of memory");
        else {
                mb_undo_refuse_foreign(&plan, mb_cli_etc(cli), cli->proc_root, cli->sys_root);
                r = show_and_apply(cli, &plan, o->apply, false);
        }
        mb_plan_release(&plan);
        mb_journal_entries_release(&all);
        return r;
}

static void fmt_limit(const char *s, char *buf, size_t len)
{
        char *e;
        long long v;

        if (!s[0]) {
                snprintf(buf, len, "-");
                return;
        }
        v = strtoll(s, &e, 10);
        if (!strcmp(s, "max") || (*e == '\0' && (v < 0 || v >= (1LL << 62))))
                snprintf(buf, len, "unlimited");
        else if (*e == '\0')
                mb_size_format(v, buf, len);
        else
                snprintf(buf, len, "%s", s);
}

/* Text with every line through the escaping printer, newlines kept. */
static void print_lines(FILE *f, const char *indent, const char *t)
{
        char line[1024];

        for (const char *p = t; *p;) {
                size_t l = strcspn(p, "\n");
                snprintf(line, sizeof(line), "%.*s", (int)l, p);
                fputs(indent, f);
                mb_print_clean(f, line);
                fputc('\n', f);
                p += l + (p[l] ? 1 : 0);
        }
}

/* The drop-in, and what systemd enforces now (systemctl show). */
static int show_unit(struct mb_cli *cli, const char *unit, json_t *j)
{
        char u[256], path[1200], props[512], msg[256], *t;
        bool pid1 = mb_systemd_is_pid1(cli->proc_root), have = false;

        if (mb_unit_name(unit, u, sizeof(u)) < 0)
                return mb_usage_error(cli, "invalid unit '%s'", unit);
        snprintf(path, sizeof(path), "%s/etc/systemd/system/%s.d/%s", mb_cli_etc(cli), u,
                 MB_DROPIN_NAME);
        t = read_text(path);
        if (pid1) {
                have = mb_systemd_unit_props(u, true, props, sizeof(props), msg, sizeof(msg)) == 0;
                if (!have)
                        mb_warn("cannot read the properties of %s: %s", u, msg);
        }
        if (j) {
                json_t *sd = json_object();
                json_object_set_new(j, "unit", json_string(u));
                json_object_set_new(j, "dropin_path", mb_json_str(path));
                json_object_set_new(j, "dropin", t ? mb_json_str(t) : json_null());
                for (const char *p = have ? props : ""; *p;) {
                        size_t l = strcspn(p, "\n");
                        const char *eq = memchr(p, '=', l);
                        if (eq) {
                                char k[64], v[128];
                                snprintf(k, sizeof(k), "%.*s", (int)(eq - p), p);
                                snprintf(v, sizeof(v), "%.*s", (int)(p + l - eq - 1), eq + 1);
                                json_object_set_new(sd, k, mb_json_str(v));
                        }
                        p += l + (p[l] ? 1 : 0);
                }
                json_object_set_new(j, "systemd", have ? sd : (json_decref(sd), json_null()));
        } else {
                fprintf(cli->out, "unit %s: drop-in %s: %s\n", u, path, t ? "present" : "absent");
                if (t)
                        print_lines(cli->out, "  ", t);
                if (have) {
                        fprintf(cli->out, "enforced by systemd now (systemctl show):\n");
                        print_lines(cli->out, "  ", props);
                } else if (!pid1) {
                        fprintf(cli->out, "systemd is not PID 1 here: unit properties "
                                          "cannot be read\n");
                }
        }
        free(t);
        return 0;
}

/* Each matching process's limits: cgroup, RLIMIT_AS, CUDA (table, or
 * into arr with --json). */
static int show_match(struct mb_cli *cli, const struct mb_cgroup_fs *fs, const regex_t *re,
                      json_t *arr)
{
        bool have_fs = fs != NULL;
        struct mb_proctab tab;
        struct mb_member_list ml = {0};
        struct mb_table t;
        int r;

        mb_proctab_init(&tab);
        r = mb_match_members(&cli->root, cli->proc_root, fs, re, false, 0, &tab, &ml);
        if (r < 0) {
                mb_proctab_release(&tab);
                free(ml.m);
                return mb_runtime_error(cli, "cannot scan processes: %s", mb_strerror(r));
        }
        mb_table_init(&t);
        mb_table_col(&t, "PID", true, 0);
        mb_table_col(&t, "COMMAND", false, 40);
        mb_table_col(&t, "CGROUP", false, 60);
        mb_table_col(&t, "MAX", true, 0);
        mb_table_col(&t, "HIGH/SOFT", true, 0);
        mb_table_col(&t, "SWAP/MEMSW", true, 0);
        mb_table_col(&t, "RLIMIT_AS", true, 0);
        mb_table_col(&t, "CUDA", false, 0);
        for (size_t i = 0; i < ml.n; i++) {
                struct mb_cg_values v = {0};
                int64_t as = mb_proc_rlimit_as(cli->proc_root, ml.m[i].pid);
                int cuda = mb_proc_maps_cuda(cli->proc_root, ml.m[i].pid);
                char a[40], b[40], c[40], d[40];
                if (have_fs)
                        mb_cgroup_values_read(fs, ml.m[i].from, &v);
                fmt_limit(v.max, a, sizeof(a));
                fmt_limit(v.high, b, sizeof(b));
                fmt_limit(v.swap, c, sizeof(c));
                if (as == MB_UNKNOWN)
                        snprintf(d, sizeof(d), "?");
                else if (as < 0)
                        snprintf(d, sizeof(d), "unlimited");
                else
                        mb_size_format(as, d, sizeof(d));
                if (as >= 0 && as != MB_UNKNOWN && cuda == 1)
                        mb_warn("process %d (%s) has RLIMIT_AS %s and CUDA libraries "
                                "mapped: CUDA reserves huge address ranges and fails "
                                "under it; limit memory with cgroups instead",
                                ml.m[i].pid, ml.m[i].comm, d);
                if (arr) {
                        json_t *x = json_object();
                        json_object_set_new(x, "pid", json_integer(ml.m[i].pid));
                        json_object_set_new(x, "name", mb_json_str(ml.m[i].comm));
                        json_object_set_new(x, "cgroup", mb_json_str(ml.m[i].from));
                        json_object_set_new(x, "memory_max", mb_json_str(v.max));
                        json_object_set_new(x, "memory_high", mb_json_str(v.high));
                        json_object_set_new(x, "memory_swap", mb_json_str(v.swap));
                        json_object_set_new(x, "rlimit_as_bytes",
                                            as == MB_UNKNOWN || as < 0 ? json_null()
                                                                       : json_integer(as));
                        json_object_set_new(x, "rlimit_as_unlimited", json_boolean(as == -1));
                        json_object_set_new(x, "cuda_mapped",
                                            cuda < 0 ? json_null() : json_boolean(cuda == 1));
                        json_array_append_new(arr, x);
                }
                mb_table_cellf(&t, "%d", ml.m[i].pid);
                mb_table_cell(&t, ml.m[i].comm);
                mb_table_cell(&t, ml.m[i].from[0] ? ml.m[i].from : "-");
                mb_table_cell(&t, a);
                mb_table_cell(&t, b);
                mb_table_cell(&t, c);
                mb_table_cell(&t, d);
                mb_table_cell(&t, cuda < 0 ? "?" : cuda ? "yes" : "no");
        }
        if (!arr) {
                if (ml.n)
                        mb_table_print(&t, cli->out, true);
                else
                        fprintf(cli->out, "no process matches\n");
        }
        mb_table_release(&t);
        mb_proctab_release(&tab);
        free(ml.m);
        return MB_EXIT_OK;
}

static int do_show(struct mb_cli *cli, struct limit_opts *o)
{
        const struct mb_config *cfg;
        struct mb_cgroup_fs fs;
        bool have_fs;
        regex_t cre;
        const regex_t *re = NULL;
        bool own_re = false;
        const char *unit = o->unit;
        json_t *j = cli->json ? json_object() : NULL, *arr = cli->json ? json_array() : NULL;
        int r = MB_EXIT_OK;

        if (!unit && !o->has_match) {
                if ((r = mb_cli_config(cli, &cfg)))
                        return r;
                if (cfg->target_unit[0])
                        unit = cfg->target_unit;
                if (cfg->target_match[0]) {
                        if ((r = mb_opt_regex(cli, "target.match", cfg->target_match, &cre,
                                              &own_re)))
                                return r;
                        re = &cre;
                }
                if (!unit && !re) {
                        json_decref(j);
                        json_decref(arr);
                        return mb_usage_error(cli, "--show needs --unit or --match (the "
                                                   "configuration names no target)");
                }
        } else if (o->has_match) {
                re = &o->match;
        }
        have_fs = mb_cgroup_detect(cli->sys_root, &fs) == 0;
        if (unit && (r = show_unit(cli, unit, j)))
                goto out;
        if (re && (r = show_match(cli, have_fs ? &fs : NULL, re, arr)))
                goto out;
        if (j) {
                json_object_set_new(j, "processes", arr);
                arr = NULL;
                mb_json_print(j, cli->out);
                j = NULL;
        }
out:
        json_decref(arr);
        json_decref(j);
        if (own_re)
                regfree(&cre);
        return r;
}

int cmd_limit(int argc, char **argv, struct mb_cli *cli)
{
        struct limit_opts o = {0};
        int r;

        r = parse(argc, argv, cli, &o);
        if (r)
                goto out;
        if ((r = mb_cli_root(cli)))
                goto out;
        if (o.show) {
                r = do_show(cli, &o);
                goto out;
        }
        if (o.release) {
                r = do_release(cli, &o);
                goto out;
        }
        if (o.lim.max < 0 && (r = default_max(cli, &o.lim.max)))
                goto out;
        if (o.lim.high >= 0 && o.lim.high > o.lim.max) {
                r = mb_usage_error(cli, "--high must not be above --max");
                goto out;
        }
        r = o.unit ? do_unit(cli, &o) : do_match(cli, &o);
out:
        if (o.has_match)
                regfree(&o.match);
        return r;
}
