/*
 * so-fake-nvml.c: a stand-in for libnvidia-ml.so.1, built as
 * BUILD/helpers/fake-nvml.so and loaded through MEMBUDGET_NVML_LIB.
 * so-fake-nvml-v1.c builds it again with FAKE_NVML_NO_V2: only the legacy
 * symbols (nvmlInit, nvmlDeviceGetMemoryInfo, 16-byte process structs).
 *
 * Its devices come from the file named by FAKE_NVML_CONFIG, read at
 * nvmlInit, one directive a line ('#' starts a comment):
 *
 *   init_fail CODE                  nvmlInit returns CODE
 *   driver VERSION                  nvmlSystemGetDriverVersion
 *   device TOTAL USED RESERVED UUID NAME...   a device (bytes; v2 semantics:
 *                                   v1 reports used + reserved as used)
 *   handle_fail CODE                the last device's handle lookup fails
 *   memory_fail CODE                the last device's memory query fails
 *   proc PID BYTES|NA [graphics]    a process of the last device
 *
 * No config file: nvmlInit fails with DRIVER_NOT_LOADED (9).
 * Exported counters for tests: fake_nvml_refs (inits not yet shut down),
 * fake_nvml_short (INSUFFICIENT_SIZE answers given).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXDEV  8
#define MAXPROC 256

typedef int nvmlReturn_t;

struct fproc {
        unsigned int pid;
        unsigned long long used;
        int graphics;
};

struct fdev {
        unsigned long long total, used, reserved;
        char uuid[96], name[96];
        int handle_fail, memory_fail;
        struct fproc procs[MAXPROC];
        int nprocs;
};

static struct fdev devs[MAXDEV];
static int ndev;
static int init_fail;
static char driver[64] = "999.99";
int fake_nvml_refs;
int fake_nvml_short;

static nvmlReturn_t load(void)
{
        const char *path = getenv("FAKE_NVML_CONFIG");
        char line[512];
        FILE *f;

        ndev = 0;
        init_fail = 0;
        memset(devs, 0, sizeof(devs));
        if (!path || !(f = fopen(path, "r")))
                return 9;
        while (fgets(line, sizeof(line), f)) {
                struct fdev *d = ndev ? &devs[ndev - 1] : NULL;
                char a[128] = "", b[128] = "";
                int code, n;

                line[strcspn(line, "\n#")] = '\0';
                if (sscanf(line, "init_fail %d", &code) == 1) {
                        init_fail = code;
                } else if (sscanf(line, "driver %63s", driver) == 1) {
                } else if (strncmp(line, "device ", 7) == 0 && ndev < MAXDEV) {
                        d = &devs[ndev++];
                        if (sscanf(line, "device %llu %llu %llu %95s %n", &d->total, &d->used,
                                   &d->reserved, d->uuid, &n) >= 4)
                                snprintf(d->name, sizeof(d->name), "%s", line + n);
                } else if (d && sscanf(line, "handle_fail %d", &code) == 1) {
                        d->handle_fail = code;
                } else if (d && sscanf(line, "memory_fail %d", &code) == 1) {
                        d->memory_fail = code;
                } else if (d && d->nprocs < MAXPROC &&
                           sscanf(line, "proc %127s %127s", a, b) == 2) {
                        struct fproc *p = &d->procs[d->nprocs++];
                        p->pid = (unsigned int)strtoul(a, NULL, 10);
                        p->used =
                            strcmp(b, "NA") == 0 ? (unsigned long long)-1 : strtoull(b, NULL, 10);
                        p->graphics = strstr(line, "graphics") != NULL;
                }
        }
        fclose(f);
        return init_fail;
}

static nvmlReturn_t init(void)
{
        nvmlReturn_t r = fake_nvml_refs ? 0 : load();

        if (r == 0)
                fake_nvml_refs++;
        return r;
}

nvmlReturn_t nvmlInit(void)
{
        return init();
}

nvmlReturn_t nvmlShutdown(void)
{
        if (fake_nvml_refs == 0)
                return 1; /* UNINITIALIZED */
        fake_nvml_refs--;
        return 0;
}

const char *nvmlErrorString(nvmlReturn_t r)
{
        switch (r) {
        case 0:
                return "Success";
        case 3:
                return "Not Supported";
        case 7:
                return "Insufficient Size";
        case 9:
                return "Driver Not Loaded";
        case 15:
                return "GPU is lost";
        case 25:
                return "Argument Version Mismatch";
        default:
                return "Unknown Error";
        }
}

nvmlReturn_t nvmlSystemGetDriverVersion(char *v, unsigned int len)
{
        if (!fake_nvml_refs)
                return 1;
        snprintf(v, len, "%s", driver);
        return 0;
}

nvmlReturn_t nvmlDeviceGetCount(unsigned int *n)
{
        if (!fake_nvml_refs)
                return 1;
        *n = (unsigned int)ndev;
        return 0;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int i, void **h)
{
        if (!fake_nvml_refs)
                return 1;
        if (i >= (unsigned int)ndev)
                return 2;
        if (devs[i].handle_fail)
                return devs[i].handle_fail;
        *h = &devs[i];
        return 0;
}

static nvmlReturn_t str(const char *s, char *buf, unsigned int len)
{
        if (strlen(s) >= len)
                return 7;
        strcpy(buf, s);
        return 0;
}

nvmlReturn_t nvmlDeviceGetName(void *h, char *buf, unsigned int len)
{
        return str(((struct fdev *)h)->name, buf, len);
}

nvmlReturn_t nvmlDeviceGetUUID(void *h, char *buf, unsigned int len)
{
        return str(((struct fdev *)h)->uuid, buf, len);
}

typedef struct {
        unsigned long long total, free, used;
} mem1_t;

nvmlReturn_t nvmlDeviceGetMemoryInfo(void *h, mem1_t *m)
{
        struct fdev *d = h;

        if (d->memory_fail)
                return d->memory_fail;
        m->total = d->total;
        m->used = d->used + d->reserved;
        m->free = d->total - d->used - d->reserved;
        return 0;
}

/* One element of the caller's array: 16 bytes (v1) or 24 (v2/v3). */
static nvmlReturn_t procs(struct fdev *d, int graphics, unsigned int *count, void *infos,
                          size_t esz)
{
        unsigned int n = 0, k = 0;

        for (int i = 0; i < d->nprocs; i++)
                n += d->procs[i].graphics == graphics;
        if (*count < n) {
                *count = n;
                fake_nvml_short++;
                return 7;
        }
        for (int i = 0; i < d->nprocs; i++) {
                unsigned char *e = (unsigned char *)infos + (size_t)k * esz;
                if (d->procs[i].graphics != graphics)
                        continue;
                memset(e, 0xff, esz); /* MIG ids: 0xFFFFFFFF */
                memcpy(e, &d->procs[i].pid, 4);
                memcpy(e + 8, &d->procs[i].used, 8);
                k++;
        }
        *count = n;
        return 0;
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(void *h, unsigned int *c, void *p)
{
        return procs(h, 0, c, p, 16);
}

nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses(void *h, unsigned int *c, void *p)
{
        return procs(h, 1, c, p, 16);
}

#ifndef FAKE_NVML_NO_V2
typedef struct {
        unsigned int version;
        unsigned long long total, reserved, free, used;
} mem2_t;

nvmlReturn_t nvmlInit_v2(void)
{
        return init();
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *n)
{
        return nvmlDeviceGetCount(n);
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **h)
{
        return nvmlDeviceGetHandleByIndex(i, h);
}

nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(void *h, mem2_t *m)
{
        struct fdev *d = h;

        if (m->version != (unsigned int)(sizeof(mem2_t) | (2u << 24)))
                return 25;
        if (d->memory_fail)
                return d->memory_fail;
        m->total = d->total;
        m->reserved = d->reserved;
        m->used = d->used;
        m->free = d->total - d->used - d->reserved;
        return 0;
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(void *h, unsigned int *c, void *p)
{
        return procs(h, 0, c, p, 24);
}

nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v3(void *h, unsigned int *c, void *p)
{
        return procs(h, 1, c, p, 24);
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(void *h, unsigned int *c, void *p)
{
        return procs(h, 0, c, p, 24);
}

nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v2(void *h, unsigned int *c, void *p)
{
        return procs(h, 1, c, p, 24);
}
#endif
