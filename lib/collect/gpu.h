/*
 * gpu.h: GPU memory, per device and per process.
 *
 *   NVIDIA  NVML, loaded with dlopen("libnvidia-ml.so.1") at run time
 *           (MEMBUDGET_NVML_LIB overrides the path); our own declarations.
 *   AMD     /sys/class/drm/card* /device/mem_info_vram_{total,used}
 *   per-process for amdgpu, i915, xe: DRM fdinfo (/proc/PID/fdinfo/N)
 *
 * No library, no driver, no device: zero devices and a status line, never an
 * error.  A failure on one device is kept in that device's `error`.
 */
#ifndef MB_GPU_H
#define MB_GPU_H

#include "proc.h"

struct mb_gpu {
        int index;
        char vendor[16]; /* "nvidia", "amd", "intel" */
        char name[96];
        char uuid[96];
        char pci[32];                /* PCI slot ("0000:01:00.0") where known */
        int64_t total, used, free;   /* bytes; MB_UNKNOWN when unreadable */
        int64_t gtt_total, gtt_used; /* AMD GTT; MB_UNKNOWN otherwise */
        char error[128];             /* non-empty: this device failed */
};

struct mb_gpu_proc {
        int pid;
        int gpu;       /* index into mb_gpus.dev */
        int64_t bytes; /* MB_UNKNOWN when the driver does not say */
};

struct mb_gpus {
        struct mb_gpu *dev;
        size_t n;
        struct mb_gpu_proc *procs;
        size_t nprocs;
        char nvml_status[160];  /* "no NVIDIA GPU (...)" or "NVML 12.535" */
        unsigned fdinfo_denied; /* processes whose DRM fds could not be read */
};

/*
 * Collect devices; when `t` is non-NULL also per-process memory, summed
 * into each process's `gpu` field (left MB_UNKNOWN where nothing is known).
 * Returns 0; never fails for lack of a GPU.
 */
int mb_gpu_collect(struct mb_root *root, struct mb_proctab *t, struct mb_gpus *ret);

/*
 * GPU memory the drivers charge to each of n PIDs (VRAM is not in smaps:
 * a CUDA process's mappings of /dev/nvidia* are host memory), into vram[i];
 * MB_UNKNOWN for all when there is no GPU.  0 or -ENOMEM.
 */
int mb_gpu_charge_pids(struct mb_root *root, const int *pids, size_t n, int64_t *vram);
void mb_gpus_release(struct mb_gpus *g);

/*
 * Unload NVML (nvmlShutdown, dlclose).  mb_gpu_collect keeps it loaded
 * between calls because nvmlInit can take a second; call this at exit or
 * to pick up a new MEMBUDGET_NVML_LIB.  Safe to call at any time.
 */
void mb_gpu_shutdown(void);

#endif
