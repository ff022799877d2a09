/*
 * clock.h - the simulated world's monotonic clock
 *
 * Every time the workbook measures (latency, deadlines, throughput) comes from
 * CLOCK_MONOTONIC, which never jumps when the wall clock is set.
 *
 * Safety: both functions are thread-safe and hold no locks.
 */
#ifndef WORLD_CLOCK_H
#define WORLD_CLOCK_H

#include <stdint.h>

/* Nanoseconds on CLOCK_MONOTONIC since an unspecified start. Never blocks. */
uint64_t world_now_ns(void);

/*
 * Sleeps for at least ns nanoseconds, resuming after signal interruptions.
 * Blocks the calling thread only; holds no lock.
 */
void world_sleep_ns(uint64_t ns);

#endif
