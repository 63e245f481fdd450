/*
 * gpu-hold: hold a known amount of NVIDIA GPU memory until stdin closes or a
 * signal arrives, for the real-hardware check (tests/live/gpu-nvidia.sh).
 * Needs only the driver: libcuda.so.1 is dlopen()ed with our own
 * declarations of the five driver-API calls used, no CUDA toolkit.
 *
 *   gpu-hold MIB [DEVICE]   prints "ready PID BYTES" once the memory is
 *                           allocated and written, then waits.
 * Exit: 0 after release, 1 on bad usage, 2 when CUDA is not usable.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef int CUresult;
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef unsigned long long CUdeviceptr;

int main(int argc, char **argv)
{
        CUresult (*init)(unsigned int);
        CUresult (*device_get)(CUdevice *, int);
        CUresult (*ctx_create)(CUcontext *, unsigned int, CUdevice);
        CUresult (*mem_alloc)(CUdeviceptr *, size_t);
        CUresult (*memset_d8)(CUdeviceptr, unsigned char, size_t);
        CUdevice dev;
        CUcontext ctx;
        CUdeviceptr p;
        size_t bytes;
        char c;
        void *h;
        CUresult r;

        if (argc < 2 || atol(argv[1]) <= 0) {
                fprintf(stderr, "usage: gpu-hold MIB [DEVICE]\n");
                return 1;
        }
        bytes = (size_t)atol(argv[1]) << 20;
        h = dlopen("libcuda.so.1", RTLD_NOW);
        if (!h) {
                fprintf(stderr, "gpu-hold: %s\n", dlerror());
                return 2;
        }
        *(void **)&init = dlsym(h, "cuInit");
        *(void **)&device_get = dlsym(h, "cuDeviceGet");
        *(void **)&ctx_create = dlsym(h, "cuCtxCreate_v2");
        *(void **)&mem_alloc = dlsym(h, "cuMemAlloc_v2");
        *(void **)&memset_d8 = dlsym(h, "cuMemsetD8_v2");
        if (!init || !device_get || !ctx_create || !mem_alloc || !memset_d8) {
                fprintf(stderr, "gpu-hold: libcuda.so.1 lacks the driver API\n");
                return 2;
        }
        if ((r = init(0)) || (r = device_get(&dev, argc > 2 ? atoi(argv[2]) : 0)) ||
            (r = ctx_create(&ctx, 0, dev)) || (r = mem_alloc(&p, bytes)) ||
            (r = memset_d8(p, 0x5a, bytes))) {
                fprintf(stderr, "gpu-hold: CUDA error %d\n", r);
                return 2;
        }
        printf("ready %d %zu\n", (int)getpid(), bytes);
        fflush(stdout);
        while (read(0, &c, 1) > 0)
                ;
        return 0;
}
