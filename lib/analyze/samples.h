/*
 * samples.h: the recorded samples as plain data: one host row per tick and
 * one process identity with its statistics.  The history store
 * (lib/store/history.h) writes and reads them; the period statistics
 * (period.h) compute on them.
 */
#ifndef MB_SAMPLES_H
#define MB_SAMPLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One tick of host data.  Sizes in bytes, MB_UNKNOWN when unknown; rates
 * and pressure NAN when unknown; target_nprocs -1 when no target. */
struct mb_history_host {
        double t; /* wall clock, seconds since the epoch */
        int64_t ram_total, ram_used, ram_available;
        int64_t swap_total, swap_used;
        int64_t vram_total, vram_used;
        double swapin_ps, swapout_ps; /* pages per second */
        double psi_some10, psi_full10;
        int target_nprocs;
        int64_t target_ram, target_swap, target_vram;
};

/* A process identity with its statistics over a period. */
struct mb_history_ident {
        int64_t id;
        int pid;
        uint64_t starttime;
        char name[64];
        char cmdline[256];
        bool target;
        double first_t, last_t;
        size_t nsamples;
        int64_t peak;   /* max RSS+swap */
        double mean;    /* mean RSS+swap over its samples */
        int64_t last_v; /* RSS+swap at its last sample */
};

#endif
