/* root.c: see root.h. */
#define _GNU_SOURCE
#include "root.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const sysfile_paths[MB_F_COUNT] = {
    [MB_F_MEMINFO] = "meminfo",
    [MB_F_VMSTAT] = "vmstat",
    [MB_F_PSI_MEMORY] = "pressure/memory",
    [MB_F_SWAPS] = "swaps",
    [MB_F_SWAPPINESS] = "sys/vm/swappiness",
};

const char *mb_sysfile_path(enum mb_sysfile f)
{
        return sysfile_paths[f];
}

int mb_root_open(struct mb_root *root, const char *proc_path, const char *sys_path)
{
        memset(root, 0, sizeof(*root));
        root->proc_fd = root->sys_fd = -1;
        for (int i = 0; i < MB_F_COUNT; i++)
                root->sysfd[i] = -1;
        root->scratch.max = 1u << 20;
        mb_strlcpy(root->proc_path, proc_path ? proc_path : "/proc", sizeof(root->proc_path));
        mb_strlcpy(root->sys_path, sys_path ? sys_path : "/sys", sizeof(root->sys_path));
        root->live = strcmp(root->proc_path, "/proc") == 0;
        root->proc_fd = open(root->proc_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root->proc_fd < 0)
                return -errno;
        root->sys_fd = open(root->sys_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return 0;
}

void mb_root_set_etc(struct mb_root *root, const char *etc)
{
        root->etc_path[0] = '\0';
        root->etc_set = etc && *etc;
        if (root->etc_set && strcmp(etc, "/") != 0)
                mb_strlcpy(root->etc_path, etc, sizeof(root->etc_path));
}

void mb_root_close(struct mb_root *root)
{
        if (!root)
                return;
        for (int i = 0; i < MB_F_COUNT; i++) {
                if (root->sysfd[i] >= 0)
                        close(root->sysfd[i]);
                root->sysfd[i] = -1;
        }
        if (root->proc_fd >= 0)
                close(root->proc_fd);
        if (root->sys_fd >= 0)
                close(root->sys_fd);
        root->proc_fd = root->sys_fd = -1;
        mb_buf_release(&root->scratch);
}

ssize_t mb_root_read(struct mb_root *root, enum mb_sysfile f)
{
        ssize_t r;

        if (root->sysfd[f] < 0) {
                root->sysfd[f] = openat(root->proc_fd, sysfile_paths[f], O_RDONLY | O_CLOEXEC);
                if (root->sysfd[f] < 0)
                        return -errno;
        }
        r = mb_pread_all(root->sysfd[f], &root->scratch);
        if (r == -ESPIPE) {
                /* Not seekable (some container /proc emulations): reopen. */
                close(root->sysfd[f]);
                root->sysfd[f] = -1;
                return mb_read_file_at(root->proc_fd, sysfile_paths[f], &root->scratch, 0);
        }
        return r;
}
