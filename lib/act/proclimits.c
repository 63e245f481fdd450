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
        char path[256];

        snprintf(path, sizeof(path), "%s/%d/%s", proc_root ? proc_root : "/proc", pid, file);
        return mb_read_text(path);
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
