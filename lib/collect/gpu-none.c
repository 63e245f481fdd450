/* gpu-none.c: placeholder until the GPU backends land (issue 4). */
#include "gpu.h"

#include <stdlib.h>
#include <string.h>

int mb_gpu_collect(struct mb_root *root, struct mb_proctab *t, struct mb_gpus *ret)
{
        (void)root;
        (void)t;
        memset(ret, 0, sizeof(*ret));
        mb_strlcpy(ret->nvml_status, "no GPU backend", sizeof(ret->nvml_status));
        return 0;
}

void mb_gpus_release(struct mb_gpus *g)
{
        if (!g)
                return;
        free(g->dev);
        free(g->procs);
        memset(g, 0, sizeof(*g));
}
