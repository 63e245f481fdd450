/* dynlib.c: see dynlib.h. */
#include "dynlib.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t dl_lock = PTHREAD_MUTEX_INITIALIZER;

int mb_dl_load(void **handle, const char *soname, const struct mb_dl_sym *syms, size_t n, char *why,
               size_t whylen)
{
        void *lib;
        int r = 0;

        pthread_mutex_lock(&dl_lock);
        if (*handle)
                goto out;
        lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
                const char *e = dlerror();
                if (why && whylen)
                        snprintf(why, whylen, "cannot load %s: %s", soname, e ? e : "not found");
                r = -ELIBACC;
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                void *a = dlsym(lib, syms[i].name);
                if (!a) {
                        if (why && whylen)
                                snprintf(why, whylen, "%s has no %s", soname, syms[i].name);
                        dlclose(lib);
                        r = -ELIBBAD;
                        goto out;
                }
                *syms[i].slot = a;
        }
        *handle = lib;
out:
        pthread_mutex_unlock(&dl_lock);
        return r;
}
