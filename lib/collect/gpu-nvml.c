/*
 * gpu-nvml.c: NVIDIA GPUs through NVML, loaded with dlopen() at run time so
 * that membudget has no build or run dependency on the driver.  The types
 * and prototypes below are our own copies of the few nvml.h declarations we
 * use (LINUX-MEMORY-REFERENCE.md §9.1); newest versioned symbol first, older
 * names as fallbacks.
 */
#define _GNU_SOURCE
#include "gpu-internal.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t;

#define NVML_SUCCESS                         0
#define NVML_ERROR_NOT_SUPPORTED             3
#define NVML_ERROR_INSUFFICIENT_SIZE         7
#define NVML_ERROR_DRIVER_NOT_LOADED         9
#define NVML_ERROR_FUNCTION_NOT_FOUND        13
#define NVML_ERROR_ARGUMENT_VERSION_MISMATCH 25
#define NVML_VALUE_NOT_AVAILABLE             ((unsigned long long)-1)
#define NVML_NAME_SIZE                       96 /* NVML_DEVICE_NAME_V2_BUFFER_SIZE */
#define NVML_UUID_SIZE                       96 /* NVML_DEVICE_UUID_V2_BUFFER_SIZE */

typedef struct {
        unsigned long long total, free, used; /* v1: used includes reserved */
} nvmlMemory_t;

typedef struct {
        unsigned int version; /* nvmlMemory_v2 */
        unsigned long long total, reserved, free, used;
} nvmlMemory_v2_t;

#define NVML_MEMORY_V2 ((unsigned int)(sizeof(nvmlMemory_v2_t) | (2u << 24)))

/* The _v2 and _v3 process functions take this 24-byte struct ... */
typedef struct {
        unsigned int pid;
        unsigned long long usedGpuMemory;
        unsigned int gpuInstanceId, computeInstanceId;
} nvmlProcessInfo_t;

/* ... and the unsuffixed legacy ones this 16-byte struct. */
typedef struct {
        unsigned int pid;
        unsigned long long usedGpuMemory;
} nvmlProcessInfo_v1_t;

typedef struct {
        char busIdLegacy[16];
        unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
        char busId[32];
} nvmlPciInfo_t;

typedef nvmlReturn_t (*procs_fn)(nvmlDevice_t, unsigned int *, void *);

struct nvml {
        void *lib;
        char path[256];
        bool up; /* nvmlInit succeeded */
        nvmlReturn_t (*init)(void);
        nvmlReturn_t (*shutdown)(void);
        const char *(*error_string)(nvmlReturn_t);
        nvmlReturn_t (*count)(unsigned int *);
        nvmlReturn_t (*handle)(unsigned int, nvmlDevice_t *);
        nvmlReturn_t (*name)(nvmlDevice_t, char *, unsigned int);
        nvmlReturn_t (*uuid)(nvmlDevice_t, char *, unsigned int);
        nvmlReturn_t (*mem_v2)(nvmlDevice_t, nvmlMemory_v2_t *);
        nvmlReturn_t (*mem_v1)(nvmlDevice_t, nvmlMemory_t *);
        nvmlReturn_t (*pci)(nvmlDevice_t, nvmlPciInfo_t *);
        nvmlReturn_t (*driver_version)(char *, unsigned int);
        procs_fn compute, graphics;
        size_t compute_sz, graphics_sz; /* element size of their arrays */
};

/* NVML stays loaded between collections; one thread at a time uses it. */
static struct nvml nv;
static pthread_mutex_t nv_lock = PTHREAD_MUTEX_INITIALIZER;

static void *sym(const char *name)
{
        return dlsym(nv.lib, name);
}

/* The first of the names the library exports, or NULL. */
static void *sym2(const char *a, const char *b)
{
        void *f = sym(a);

        return f ? f : sym(b);
}

static procs_fn procs_sym(const char *base, size_t *ret_sz)
{
        char n[80];
        void *f;

        snprintf(n, sizeof(n), "%s_v3", base);
        if (!(f = sym(n))) {
                snprintf(n, sizeof(n), "%s_v2", base);
                f = sym(n);
        }
        if (f) {
                *ret_sz = sizeof(nvmlProcessInfo_t);
                return (procs_fn)f;
        }
        *ret_sz = sizeof(nvmlProcessInfo_v1_t);
        return (procs_fn)sym(base);
}

static const char *errstr(nvmlReturn_t r)
{
        static __thread char buf[24];
        const char *s = nv.error_string ? nv.error_string(r) : NULL;

        if (s && *s)
                return s;
        snprintf(buf, sizeof(buf), "error %d", r);
        return buf;
}

static void nvml_unload(void)
{
        if (nv.up && nv.shutdown)
                nv.shutdown();
        if (nv.lib)
                dlclose(nv.lib);
        memset(&nv, 0, sizeof(nv));
}

/* Load and initialise; on failure writes the reason to `why`. */
static bool nvml_load(const char *path, char *why, size_t whylen)
{
        nvmlReturn_t r;

        if (nv.up && strcmp(nv.path, path) == 0)
                return true;
        nvml_unload();
        nv.lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!nv.lib) {
                snprintf(why, whylen, "cannot load %s", path);
                return false;
        }
        mb_strlcpy(nv.path, path, sizeof(nv.path));
        nv.init = (__typeof__(nv.init))sym2("nvmlInit_v2", "nvmlInit");
        nv.shutdown = (__typeof__(nv.shutdown))sym("nvmlShutdown");
        nv.error_string = (__typeof__(nv.error_string))sym("nvmlErrorString");
        nv.count = (__typeof__(nv.count))sym2("nvmlDeviceGetCount_v2", "nvmlDeviceGetCount");
        nv.handle = (__typeof__(nv.handle))sym2("nvmlDeviceGetHandleByIndex_v2",
                                                "nvmlDeviceGetHandleByIndex");
        nv.name = (__typeof__(nv.name))sym("nvmlDeviceGetName");
        nv.uuid = (__typeof__(nv.uuid))sym("nvmlDeviceGetUUID");
        nv.mem_v2 = (__typeof__(nv.mem_v2))sym("nvmlDeviceGetMemoryInfo_v2");
        nv.mem_v1 = (__typeof__(nv.mem_v1))sym("nvmlDeviceGetMemoryInfo");
        nv.pci = (__typeof__(nv.pci))sym2("nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetPciInfo_v2");
        nv.driver_version = (__typeof__(nv.driver_version))sym("nvmlSystemGetDriverVersion");
        nv.compute = procs_sym("nvmlDeviceGetComputeRunningProcesses", &nv.compute_sz);
        nv.graphics = procs_sym("nvmlDeviceGetGraphicsRunningProcesses", &nv.graphics_sz);
        if (!nv.init || !nv.shutdown || !nv.count || !nv.handle || (!nv.mem_v2 && !nv.mem_v1)) {
                snprintf(why, whylen, "%s lacks the NVML functions", path);
                nvml_unload();
                return false;
        }
        r = nv.init();
        if (r != NVML_SUCCESS) {
                snprintf(why, whylen, "nvmlInit: %s", errstr(r));
                nvml_unload();
                return false;
        }
        nv.up = true;
        return true;
}

/* Memory of one device: v2 (used = allocated, reserved apart), else v1. */
static nvmlReturn_t device_memory(nvmlDevice_t h, struct mb_gpu *d)
{
        nvmlReturn_t r = NVML_ERROR_FUNCTION_NOT_FOUND;

        if (nv.mem_v2) {
                nvmlMemory_v2_t m = {.version = NVML_MEMORY_V2};
                r = nv.mem_v2(h, &m);
                if (r == NVML_SUCCESS) {
                        d->total = (int64_t)m.total;
                        d->used = (int64_t)m.used;
                        d->free = (int64_t)m.free;
                        return r;
                }
        }
        if (nv.mem_v1) {
                nvmlMemory_t m = {0};
                r = nv.mem_v1(h, &m);
                if (r == NVML_SUCCESS) {
                        d->total = (int64_t)m.total;
                        d->used = (int64_t)m.used;
                        d->free = (int64_t)m.free;
                }
        }
        return r;
}

/*
 * Running processes of one kind.  The list can change between calls, so
 * grow and retry while NVML answers INSUFFICIENT_SIZE (it then says how
 * many it has).  A pid already recorded for this device is not repeated.
 */
static nvmlReturn_t device_procs(procs_fn fn, size_t esz, nvmlDevice_t h, int gpu,
                                 struct mb_gpus *g, size_t first)
{
        unsigned int cap = MB_NVML_PROCS_FIRST, n;
        unsigned char *buf = NULL;
        nvmlReturn_t r;

        for (int tries = 0;; tries++) {
                unsigned char *nb = realloc(buf, (size_t)cap * esz);
                if (!nb) {
                        free(buf);
                        return NVML_ERROR_INSUFFICIENT_SIZE;
                }
                buf = nb;
                n = cap;
                r = fn(h, &n, buf);
                if (r != NVML_ERROR_INSUFFICIENT_SIZE || tries == 5)
                        break;
                cap = (n > cap ? n : cap) + 16;
        }
        if (r == NVML_SUCCESS) {
                for (unsigned int i = 0; i < n && i < cap; i++) {
                        unsigned int pid;
                        unsigned long long used;
                        bool dup = false;

                        /* Both layouts start with pid, then usedGpuMemory at 8. */
                        memcpy(&pid, buf + i * esz, sizeof(pid));
                        memcpy(&used, buf + i * esz + 8, sizeof(used));
                        for (size_t k = first; k < g->nprocs && !dup; k++)
                                dup = g->procs[k].pid == (int)pid;
                        if (dup)
                                continue;
                        mb_gpus_add_proc(g, (int)pid, gpu,
                                         used == NVML_VALUE_NOT_AVAILABLE || used > INT64_MAX
                                             ? MB_UNKNOWN
                                             : (int64_t)used);
                }
        }
        free(buf);
        return r;
}

/* "00000000:01:00.0" (NVML) to the kernel's "0000:01:00.0". */
static void pci_slot(const char *bus_id, size_t n, char *ret, size_t retlen)
{
        char b[40];
        const char *s = b;
        size_t i;

        for (i = 0; i < n && i + 1 < sizeof(b) && bus_id[i]; i++)
                b[i] = (char)(bus_id[i] >= 'A' && bus_id[i] <= 'F' ? bus_id[i] + 32 : bus_id[i]);
        b[i] = '\0';
        if (strlen(b) == 16 && b[8] == ':' && strncmp(b, "0000", 4) == 0)
                s = b + 4;
        mb_strlcpy(ret, s, retlen);
}

static void device_collect(unsigned int i, struct mb_gpu *d, struct mb_gpus *g, bool want_procs)
{
        nvmlDevice_t h;
        nvmlReturn_t r;
        int gpu = d->index;
        size_t first = g->nprocs;

        mb_strlcpy(d->vendor, "nvidia", sizeof(d->vendor));
        r = nv.handle(i, &h);
        if (r != NVML_SUCCESS) {
                snprintf(d->error, sizeof(d->error), "nvmlDeviceGetHandleByIndex: %s", errstr(r));
                return;
        }
        if (nv.name) {
                char n[NVML_NAME_SIZE] = "";
                if (nv.name(h, n, sizeof(n)) == NVML_SUCCESS)
                        mb_strlcpy(d->name, n, sizeof(d->name));
        }
        if (nv.uuid) {
                char u[NVML_UUID_SIZE] = "";
                if (nv.uuid(h, u, sizeof(u)) == NVML_SUCCESS)
                        mb_strlcpy(d->uuid, u, sizeof(d->uuid));
        }
        if (nv.pci) {
                nvmlPciInfo_t pi;
                memset(&pi, 0, sizeof(pi));
                if (nv.pci(h, &pi) == NVML_SUCCESS)
                        pci_slot(pi.busId, sizeof(pi.busId), d->pci, sizeof(d->pci));
        }
        r = device_memory(h, d);
        if (r != NVML_SUCCESS) {
                snprintf(d->error, sizeof(d->error), "memory: %s", errstr(r));
                return;
        }
        if (d->total == 0) /* unified memory (SoC): nothing of its own */
                d->total = d->used = d->free = MB_UNKNOWN;
        if (!want_procs)
                return;
        if (nv.compute)
                device_procs(nv.compute, nv.compute_sz, h, gpu, g, first);
        if (nv.graphics)
                device_procs(nv.graphics, nv.graphics_sz, h, gpu, g, first);
}

/*
 * Is an NVIDIA driver there for NVML to talk to?  Its kernel module shows in
 * /proc/driver/nvidia and creates /dev/nvidiactl (also inside containers
 * given the GPU); WSL 2 has /dev/dxg instead.  Without any of them nvmlInit
 * can only fail, after dlopen() has searched every library directory (some
 * 40 failed opens on a host without the library).
 */
static bool nvidia_driver_present(void)
{
        return access("/proc/driver/nvidia", F_OK) == 0 || access("/dev/nvidiactl", F_OK) == 0 ||
               access("/dev/dxg", F_OK) == 0;
}

void mb_gpu_nvml_collect(struct mb_gpus *g, bool want_procs)
{
        const char *path = getenv("MEMBUDGET_NVML_LIB");
        char why[128];
        unsigned int n = 0;
        nvmlReturn_t r;

        bool lib_given = path && *path;

        if (!lib_given)
                path = "libnvidia-ml.so.1";
        pthread_mutex_lock(&nv_lock);
        if (!lib_given && !nv.up && !nvidia_driver_present()) {
                snprintf(g->nvml_status, sizeof(g->nvml_status),
                         "no NVIDIA GPU (no NVIDIA driver: /proc/driver/nvidia and "
                         "/dev/nvidiactl absent)");
                goto out;
        }
        if (!nvml_load(path, why, sizeof(why))) {
                snprintf(g->nvml_status, sizeof(g->nvml_status), "no NVIDIA GPU (%s)", why);
                goto out;
        }
        r = nv.count(&n);
        if (r != NVML_SUCCESS) {
                snprintf(g->nvml_status, sizeof(g->nvml_status),
                         "no NVIDIA GPU (nvmlDeviceGetCount: %s)", errstr(r));
                goto out;
        }
        if (n == 0) {
                mb_strlcpy(g->nvml_status, "no NVIDIA GPU (NVML found no device)",
                           sizeof(g->nvml_status));
                goto out;
        }
        mb_strlcpy(g->nvml_status, "NVML", sizeof(g->nvml_status));
        if (nv.driver_version) {
                char v[80] = "";
                if (nv.driver_version(v, sizeof(v)) == NVML_SUCCESS && v[0])
                        snprintf(g->nvml_status, sizeof(g->nvml_status), "NVML, driver %.80s", v);
        }
        for (unsigned int i = 0; i < n && i < 64; i++) {
                struct mb_gpu *d = mb_gpus_add_dev(g);
                if (!d)
                        break;
                device_collect(i, d, g, want_procs);
        }
out:
        pthread_mutex_unlock(&nv_lock);
}

void mb_gpu_shutdown(void)
{
        pthread_mutex_lock(&nv_lock);
        nvml_unload();
        pthread_mutex_unlock(&nv_lock);
}
