/*
 * racer: test helper for the race test.  racer COUNT
 * Forks COUNT short-lived children (each exits at once) one after another,
 * reaping each, so PIDs are used and freed as fast as the kernel allows.
 * Children keep the parent's comm and command line, so a scan row whose
 * name and command line disagree would be two processes mixed.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;

        for (long i = 0; i < n; i++) {
                pid_t p = fork();
                if (p == 0)
                        _exit(0);
                if (p > 0)
                        waitpid(p, NULL, 0);
        }
        return 0;
}
