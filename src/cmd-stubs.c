/*
 * cmd-stubs.c: weak placeholders for subcommands whose file has not landed
 * yet.  A cmd-NAME.c that defines cmd_NAME and cmd_NAME_help replaces them
 * at link time.  They say so and exit 3; no placeholder claims to work.
 */
#include "cli.h"

#define STUB(name)                                                                                 \
        __attribute__((weak)) const char cmd_##name##_help[] =                                     \
            "usage: membudget " #name "\n\nnot implemented yet in this build\n";                   \
        __attribute__((weak)) int cmd_##name(int argc, char **argv, struct mb_cli *cli)            \
        {                                                                                          \
                (void)argc;                                                                        \
                (void)argv;                                                                        \
                return mb_runtime_error(cli, "not implemented yet in this build");                 \
        }

STUB(check)
STUB(baseline)
STUB(config)
STUB(watch)
STUB(report)
STUB(inspect)
STUB(tune)
STUB(limit)
STUB(run)
STUB(undo)
STUB(serve)
