/* proclimits.c: see proclimits.h. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/util.h"
#include "proclimits.h"

static char *read_text(const char *proc_root, int pid, const char *file)
{
        struct mb_buf b = MB_BUF_INIT;
        char path[256];
        int fd;

        snprintf(path, sizeof(path), "%s/%d/%s", proc_root ? proc_root : "/proc", pid, file);
        fd = open(path, O_RDONLY | O_CLOEXEC);
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

int64_t mb_proc_rlimit_as(const char *proc_root, int pid)
{
        char *t = read_text(proc_root, pid, "limits"), *p;
        int64_t v = MB_UNKNOWN;

        if (!t)
                return MB_UNKNOWN;
        p = strstr(t, "Max address space");
        if (p) {
                p += strlen("Max address space");
                while (*p == ' ')
                        p++;
                if (!strncmp(p, "unlimited", 9))
                        v = -1;
                else
                        v = strtoll(p, NULL, 10);
        }
        free(t);
        return v;
}

int mb_proc_maps_cuda(const char *proc_root, int pid)
{
        char *t = read_text(proc_root, pid, "maps");
        int r;

        if (!t)
                return -1;
        r = strstr(t, "libcuda") != NULL; /* libcuda.so and libcudart.so */
        free(t);
        return r;
}
