/*
 * maptest: a process with known mappings, for tests/live/inspect.sh.
 *
 *   maptest basic DIR [TMPFS_DIR]
 *       48 MiB anonymous private region (touched), a 16 MiB file created in
 *       DIR (mmap'd read-only and read), a 24 MiB POSIX shm segment
 *       (/dev/shm/inspect-maptest-PID, touched), the heap grown by 32 MiB
 *       with sbrk (touched), and with TMPFS_DIR an 8 MiB file there (mmap'd
 *       shared and touched).  Prints "ready" and waits; SIGTERM removes the
 *       files it created and exits.
 *   maptest share
 *       64 MiB MAP_SHARED|MAP_ANONYMOUS, touched; forks two children that
 *       touch it and sleep; the parent then unmaps it, so only the two
 *       children map it.  Prints "ready CHILD1 CHILD2" and waits.
 *   maptest grow [MIB_PER_S]
 *       touches a further part of a 1 GiB anonymous reservation every 125 ms
 *       (default 8 MiB per second), nothing else changes.  Prints "ready".
 *
 * Children die with the parent (PR_SET_PDEATHSIG).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024L * 1024L)

static char file_path[4096], tmpfs_path[4096], shm_name[64];
static pid_t kids[2];

static void remove_all(void)
{
        if (file_path[0])
                unlink(file_path);
        if (tmpfs_path[0])
                unlink(tmpfs_path);
        if (shm_name[0])
                shm_unlink(shm_name);
        for (int i = 0; i < 2; i++)
                if (kids[i] > 0)
                        kill(kids[i], SIGKILL);
}

static void cleanup(int sig)
{
        (void)sig;
        remove_all();
        _exit(0);
}

static void touch(volatile char *p, long len)
{
        for (long i = 0; i < len; i += 4096)
                p[i] = (char)(i | 1);
}

static long readall(volatile const char *p, long len)
{
        long s = 0;
        for (long i = 0; i < len; i += 4096)
                s += p[i];
        return s;
}

static void die(const char *what)
{
        perror(what);
        remove_all();
        _exit(1);
}

static char *map_file(const char *dir, const char *name, long len, char *path, size_t cap, int prot,
                      int flags)
{
        static char page[1 << 16];
        char *p;
        int fd;

        snprintf(path, cap, "%s/%s", dir, name);
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                die(path);
        memset(page, 'x', sizeof(page));
        for (long off = 0; off < len; off += (long)sizeof(page))
                if (write(fd, page, sizeof(page)) != (ssize_t)sizeof(page))
                        die("write");
        p = mmap(NULL, (size_t)len, prot, flags, fd, 0);
        if (p == MAP_FAILED)
                die("mmap file");
        close(fd);
        return p;
}

static void wait_forever(void)
{
        for (;;)
                pause();
}

static int basic(int argc, char **argv)
{
        char *anon, *shm, *brk0;
        volatile long sink = 0;
        int fd;

        if (argc < 3) {
                fprintf(stderr, "usage: maptest basic DIR [TMPFS_DIR]\n");
                return 2;
        }
        anon = mmap(NULL, 48 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (anon == MAP_FAILED)
                die("mmap anon");
        madvise(anon, 48 * MIB, MADV_NOHUGEPAGE);
        touch(anon, 48 * MIB);

        sink += readall(map_file(argv[2], "inspect-maptest-data", 16 * MIB, file_path,
                                 sizeof(file_path), PROT_READ, MAP_PRIVATE),
                        16 * MIB);

        snprintf(shm_name, sizeof(shm_name), "/inspect-maptest-%d", (int)getpid());
        fd = shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL, 0600);
        if (fd < 0 || ftruncate(fd, 24 * MIB) < 0)
                die("shm_open");
        shm = mmap(NULL, 24 * MIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (shm == MAP_FAILED)
                die("mmap shm");
        close(fd);
        touch(shm, 24 * MIB);

        brk0 = sbrk(32 * MIB);
        if (brk0 == (void *)-1)
                die("sbrk");
        touch(brk0, 32 * MIB);

        if (argc > 3)
                touch(map_file(argv[3], "inspect-maptest-tmpfs", 8 * MIB, tmpfs_path,
                               sizeof(tmpfs_path), PROT_READ | PROT_WRITE, MAP_SHARED),
                      8 * MIB);
        (void)sink;
        printf("ready\n");
        fflush(stdout);
        wait_forever();
        return 0;
}

static int share(void)
{
        char *p = mmap(NULL, 64 * MIB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        int pipefd[2];
        char c;

        if (p == MAP_FAILED)
                die("mmap shared");
        touch(p, 64 * MIB);
        if (pipe(pipefd) < 0)
                die("pipe");
        for (int i = 0; i < 2; i++) {
                kids[i] = fork();
                if (kids[i] < 0)
                        die("fork");
                if (kids[i] == 0) {
                        volatile long s;
                        prctl(PR_SET_PDEATHSIG, SIGKILL);
                        signal(SIGTERM, SIG_DFL);
                        s = readall(p, 64 * MIB);
                        (void)s;
                        if (write(pipefd[1], "x", 1) != 1)
                                _exit(1);
                        wait_forever();
                }
        }
        for (int i = 0; i < 2; i++)
                if (read(pipefd[0], &c, 1) != 1)
                        die("read");
        munmap(p, 64 * MIB);
        printf("ready %d %d\n", (int)kids[0], (int)kids[1]);
        fflush(stdout);
        wait_forever();
        return 0;
}

static int grow(int argc, char **argv)
{
        long rate = argc > 2 ? atol(argv[2]) : 8, step, done = 0;
        const long reserve = 1024 * MIB;
        struct timespec ts = {0, 125 * 1000 * 1000};
        char *p;

        if (rate <= 0)
                rate = 8;
        step = rate * MIB / 8;
        p = mmap(NULL, (size_t)reserve, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED)
                die("mmap reserve");
        madvise(p, (size_t)reserve, MADV_NOHUGEPAGE);
        printf("ready\n");
        fflush(stdout);
        for (;;) {
                if (done + step <= reserve) {
                        touch(p + done, step);
                        done += step;
                }
                nanosleep(&ts, NULL);
        }
        return 0;
}

int main(int argc, char **argv)
{
        signal(SIGTERM, cleanup);
        signal(SIGINT, cleanup);
        signal(SIGHUP, cleanup);
        if (argc > 1 && !strcmp(argv[1], "basic"))
                return basic(argc, argv);
        if (argc > 1 && !strcmp(argv[1], "share"))
                return share();
        if (argc > 1 && !strcmp(argv[1], "grow"))
                return grow(argc, argv);
        fprintf(stderr, "usage: maptest basic DIR [TMPFS_DIR] | share | grow [MIB_PER_S]\n");
        return 2;
}
