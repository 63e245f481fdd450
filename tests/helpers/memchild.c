/*
 * memchild: test helper.  memchild MIB [CGROUP_PROCS_FILE]
 * Optionally joins a cgroup (writes its pid to the given cgroup.procs file)
 * first, then allocates and touches MIB MiB of private anonymous memory,
 * prints "ready" and sleeps until killed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        size_t mib, len;
        char *p;

        if (argc < 2)
                return 2;
        mib = strtoul(argv[1], NULL, 10);
        if (argc > 2) {
                FILE *f = fopen(argv[2], "w");
                if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0) {
                        perror(argv[2]);
                        return 1;
                }
        }
        len = mib << 20;
        p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                return 1;
        for (size_t i = 0; i < len; i += 4096)
                p[i] = (char)(i / 4096 + 1); /* non-zero: no zero-page merging */
        printf("ready\n");
        fflush(stdout);
        for (;;)
                pause();
}
