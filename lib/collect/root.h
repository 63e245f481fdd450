/*
 * root.h: where membudget reads the kernel from.  The live /proc and /sys,
 * or captured trees given with --proc-root / --sys-root.  Every reader takes
 * a root; nothing reads a global path.  Long-running commands keep the root
 * (and the fds of the system-wide files) open between samples.
 */
#ifndef MB_ROOT_H
#define MB_ROOT_H

#include "../util/util.h"

enum mb_sysfile {
        MB_F_MEMINFO,
        MB_F_VMSTAT,
        MB_F_PSI_MEMORY,
        MB_F_SWAPS,
        MB_F_SWAPPINESS,
        MB_F_COUNT
};

struct mb_root {
        char proc_path[1024];
        char sys_path[1024];
        int proc_fd;           /* O_DIRECTORY fd of proc_path */
        int sys_fd;            /* O_DIRECTORY fd of sys_path, -1 when absent */
        bool live;             /* proc_path is the real /proc */
        int sysfd[MB_F_COUNT]; /* cached fds of system-wide files, -1 = not open */
        struct mb_buf scratch; /* reused read buffer for system files */
        /* The root of /etc (sysctl files, unit drop-ins): "" = the real one;
         * another tree with mb_root_set_etc (the CLI: $MEMBUDGET_ETC_ROOT). */
        char etc_path[1024];
        bool etc_set; /* etc_path names another tree: read it for a captured root */
};

/*
 * Open the roots ("/proc" and "/sys" when NULL).  Returns 0, or -errno when
 * proc_path cannot be opened as a directory (a missing sys root is not an
 * error: GPU and zram data are then absent).
 */
int mb_root_open(struct mb_root *root, const char *proc_path, const char *sys_path);
void mb_root_close(struct mb_root *root);
/* Read /etc under etc (NULL or "": the real /etc, etc_set false; "/": the
 * real one, etc_set true).  mb_root_open resets it: set it after. */
void mb_root_set_etc(struct mb_root *root, const char *etc);

/* Read a system-wide file through its cached fd (opened on first use).
 * Returns the length read into root->scratch, or -errno. */
ssize_t mb_root_read(struct mb_root *root, enum mb_sysfile f);

/* Path (relative to the proc root) of a system-wide file, for messages. */
const char *mb_sysfile_path(enum mb_sysfile f);

#endif
