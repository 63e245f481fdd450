/* match.c: see match.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "match.h"

/* Processes matching re and all their descendants: never PID 1, kernel
 * threads, zombies, membudget or its ancestors; only user `uid` when
 * has_uid. */
int mb_match_members(struct mb_root *root, const char *proc_root, const struct mb_cgroup_fs *fs,
                     const regex_t *re, bool has_uid, uint32_t uid, struct mb_proctab *tab,
                     struct mb_member_list *ret)
{
        struct mb_scan_filter f = {.skip_kthreads = true};
        bool *mark, *skip, changed = true;
        int n;

        memset(ret, 0, sizeof(*ret));
        n = mb_proc_scan(root, MB_SCAN_CMDLINE | MB_SCAN_STAT, &f, tab);
        if (n < 0)
                return n;
        mark = calloc(tab->n + 1, sizeof(*mark));
        ret->m = calloc(tab->n + 1, sizeof(*ret->m));
        if (!mark || !ret->m) {
                free(mark);
                return -ENOMEM;
        }
        /* membudget itself and its ancestors (sudo, timeout, a shell running
         * it) carry the pattern in their command lines: never theirs */
        skip = calloc(tab->n + 1, sizeof(*skip));
        if (!skip) {
                free(mark);
                return -ENOMEM;
        }
        for (int pid = getpid(), hops = 0; pid > 1 && hops < 4096; hops++) {
                int ppid = 0;
                for (size_t i = 0; i < tab->n; i++)
                        if (tab->p[i].pid == pid) {
                                skip[i] = true;
                                ppid = tab->p[i].ppid;
                        }
                pid = ppid;
        }
        for (size_t i = 0; i < tab->n; i++) {
                const struct mb_proc *p = &tab->p[i];
                skip[i] |= p->pid <= 1 || (p->flags & (MB_P_ZOMBIE | MB_P_KTHREAD)) ||
                           (has_uid && p->uid != uid);
        }
        for (size_t i = 0; i < tab->n; i++) {
                const struct mb_proc *p = &tab->p[i];
                const char *cl = mb_proc_cmdline(tab, p);
                if (skip[i])
                        continue;
                mark[i] = regexec(re, *cl ? cl : p->name, 0, NULL, 0) == 0;
        }
        while (changed) {
                changed = false;
                for (size_t i = 0; i < tab->n; i++) {
                        if (mark[i] || skip[i] || (tab->p[i].flags & MB_P_ZOMBIE))
                                continue;
                        for (size_t k = 0; k < tab->n; k++)
                                if (mark[k] && tab->p[k].pid == tab->p[i].ppid) {
                                        mark[i] = changed = true;
                                        break;
                                }
                }
        }
        for (size_t i = 0; i < tab->n; i++) {
                struct mb_cg_member *m;
                if (!mark[i])
                        continue;
                m = &ret->m[ret->n];
                m->pid = tab->p[i].pid;
                m->uid = tab->p[i].uid;
                m->starttime = tab->p[i].starttime;
                mb_strlcpy(m->comm, tab->p[i].name, sizeof(m->comm));
                if (fs && mb_cgroup_of(fs, proc_root, m->pid, m->from, sizeof(m->from)) < 0)
                        continue; /* vanished */
                ret->n++;
        }
        free(mark);
        free(skip);
        return 0;
}

/* RSS of the members now (from the scan); what the limit must hold. */
int64_t mb_members_usage(const struct mb_proctab *tab, const struct mb_member_list *ml)
{
        int64_t sum = 0;

        for (size_t i = 0; i < ml->n; i++)
                for (size_t k = 0; k < tab->n; k++)
                        if (tab->p[k].pid == ml->m[i].pid && tab->p[k].rss != MB_UNKNOWN)
                                sum += tab->p[k].rss;
        return sum;
}
