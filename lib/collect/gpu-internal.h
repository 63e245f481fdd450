/*
 * gpu-internal.h: the GPU backends behind mb_gpu_collect() (gpu.c).
 *
 *   gpu-nvml.c  NVIDIA through NVML, dlopen()ed at run time
 *   gpu-drm.c   AMD and Intel: sysfs device counters and DRM fdinfo clients
 *
 * Facts: LINUX-MEMORY-REFERENCE.md §9.  Exposed here for gpu.c and the unit
 * tests only; nothing outside lib/collect includes it.
 */
#ifndef MB_GPU_INTERNAL_H
#define MB_GPU_INTERNAL_H

#include "gpu.h"

/* Append a device (zeroed, sizes MB_UNKNOWN, index = position); NULL on ENOMEM. */
struct mb_gpu *mb_gpus_add_dev(struct mb_gpus *g);

/* Append a per-process record; 0 or -ENOMEM. */
int mb_gpus_add_proc(struct mb_gpus *g, int pid, int gpu, int64_t bytes);

/*
 * NVIDIA: append one device per NVML device (a failing one keeps its row
 * with `error` set) and, when want_procs, its compute and graphics processes.
 * Fills g->nvml_status.  Never fails: a missing library or driver is a
 * status line.  The library stays loaded and initialised between calls
 * (nvmlInit can take a second); mb_gpu_shutdown() releases it.
 */
void mb_gpu_nvml_collect(struct mb_gpus *g, bool want_procs);

/* Initial capacity of the NVML process buffers (the retry grows it). */
#define MB_NVML_PROCS_FIRST 16

/*
 * AMD and Intel devices from <sys>/class/drm/cardN (connectors such as
 * card0-HDMI-A-1 and render nodes are skipped; NVIDIA cards are left to
 * NVML).  Returns the number of devices appended.
 */
size_t mb_gpu_drm_devices(struct mb_root *root, struct mb_gpus *g);

/*
 * Per-process memory of DRM clients (amdgpu, i915, xe) from
 * <proc>/PID/fdinfo/N for every process of t except kernel threads and
 * zombies.  Each (drm-pdev, drm-client-id) is counted once, for the first
 * process seen holding it.  Clients of a device not yet in g add a device
 * row.  Processes whose fd directory cannot be read are counted in
 * g->fdinfo_denied and marked in denied[] (t->n entries, may be NULL).
 */
void mb_gpu_drm_clients(struct mb_root *root, const struct mb_proctab *t, struct mb_gpus *g,
                        bool *denied);

/* One DRM client as its fdinfo describes it. */
struct mb_drm_client {
        char driver[32];    /* drm-driver; "" when the file is not a DRM one */
        char pdev[32];      /* drm-pdev; "" when absent */
        uint64_t client_id; /* drm-client-id */
        bool have_client_id;
        int64_t local;   /* resident bytes in device-local regions (vram*, local*) */
        int64_t other;   /* resident bytes in other regions except "cpu" */
        bool have_local; /* a device-local region was listed */
};

/*
 * Parse a fdinfo file.  Per region, drm-resident-R wins over its deprecated
 * alias drm-memory-R, which wins over drm-total-R.  Values are bytes with an
 * optional " KiB", " MiB" (or " kB", " GiB") suffix.  Returns 0, or -EINVAL
 * when there is no drm-driver key.
 */
int mb_drm_fdinfo_parse(const char *buf, size_t len, struct mb_drm_client *ret);

/* The bytes to charge to the process: device-local memory when the driver
 * lists a device-local region, else the other regions (integrated GPUs). */
static inline int64_t mb_drm_client_bytes(const struct mb_drm_client *c)
{
        return c->have_local ? c->local : c->other;
}

#endif
