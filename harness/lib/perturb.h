/*
 * perturb.h - a perturbation layer between the code under test and the
 * system: for now, a wall clock that a scenario can step
 *
 * The scenario flavours (the Criterion suite and the race and leak drivers)
 * are linked with perturb.o and the linker's --wrap=<fn> for every function
 * named in PERTURB_WRAPPED below. --wrap rewrites the undefined references of
 * every object in that link, so the learner's code and the harness's own
 * objects (the world, the scenarios) both call the wrappers; the benchmark is
 * linked without them. Each wrapper calls the real function (__real_<fn>).
 *
 * Wall clock: perturb_wallclock_step() moves CLOCK_REALTIME as seen through
 * clock_gettime(), gettimeofday() and time(); every other clock passes
 * through untouched. The kernel's clock does not move: a condition variable
 * on CLOCK_REALTIME still times out against the real time, so a deadline
 * computed from the stepped clock is off by the step. That is the point (a
 * deadline must come from CLOCK_MONOTONIC), and it also applies to harness
 * code that computes a CLOCK_REALTIME deadline while a step is in force.
 *
 * Safety: every function here is thread-safe and takes no lock.
 */
#ifndef HARNESS_PERTURB_H
#define HARNESS_PERTURB_H

#include <stdint.h>

/* The functions the scenario flavours link with -Wl,--wrap=<fn>. */
#define PERTURB_WRAPPED "clock_gettime", "gettimeofday", "time"

/*
 * Adds ns (negative: backwards) to the wall clock as every wrapped caller
 * of this process sees it, from now on; steps add up. Never blocks.
 */
void perturb_wallclock_step(int64_t ns);

/* The total of all steps so far, in nanoseconds. Never blocks. */
int64_t perturb_wallclock_offset(void);

#endif
