/* hog.c: allocate N MiB of anonymous memory, touch every page, optionally
 * hold it for S seconds, exit 0.   usage: hog MIB [SECONDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        size_t mib, len;
        double hold = 0;
        char *p;

        if (argc < 2) {
                fprintf(stderr, "usage: hog MIB [SECONDS]\n");
                return 2;
        }
        mib = strtoul(argv[1], NULL, 10);
        if (argc > 2)
                hold = strtod(argv[2], NULL);
        len = mib << 20;
        p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
                perror("hog: mmap");
                return 1;
        }
        for (size_t off = 0; off < len; off += 4096)
                p[off] = (char)(off >> 12 | 1); /* non-zero: no zero-page dedup */
        if (hold > 0)
                usleep((useconds_t)(hold * 1e6));
        printf("hog: touched %zu MiB\n", mib);
        return 0;
}
