/*
 * collider.h - a race detector that runs at nearly full speed, so that a
 * program cannot tell it from a plain run (after DataCollider, Erickson,
 * Musuvathi et al., OSDI 2010)
 *
 * The collider build compiles the learner's file with gcc
 * -fsanitize=thread, so that each of its loads and stores calls
 * __tsan_readN/__tsan_writeN first, and links it WITHOUT ThreadSanitizer's
 * runtime, against collider.c, which defines those hooks: the heap, the
 * stacks and the addresses are those of a plain run; only speed differs a
 * little. Atomics do the real operation. A plain access checks the table of
 * watched accesses (collider_table.h); a sample of them (the first few of
 * each call site in each thread, then about one in 500, within a budget of
 * pauses per thread and per scenario) is itself watched: published in the
 * table while its thread sleeps for 200 us, before it happens. Another
 * thread touching the same bytes meanwhile, one of the two writing, is a
 * race (see collider_table.h for why it always is one); both call sites are
 * kept. The learner's clocks discount the hooks' cost
 * (tc_collider_clock_gettime), so that self-timing code sees plain speed.
 *
 * Usage, in the driver (harness code, in the collider build only):
 *	tc_collider_always_watch(&canary, sizeof(canary));
 *	... the canary race, again while !tc_collider_canary_caught() (a few times) ...
 *	tc_collider_report(0);		// "collidercanary" on the channel
 *	... each scenario i ...
 *	tc_collider_report(i);		// "collider": the learner's races
 *
 * Safety: the __tsan_ hooks are thread-safe and async-signal-safe (no lock;
 * the pause is nanosleep). tc_collider_report() forks eu-addr2line: call it
 * from the driver's main thread (unconfined), while no scenario runs.
 * tc_collider_always_watch() before the threads it concerns start.
 */
#ifndef HARNESS_COLLIDER_H
#define HARNESS_COLLIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/time.h>
#include <time.h>

/*
 * Watches every write to [addr, addr + size) until a conflict is found on
 * it (at most 10 s each): the canary's race is caught every time its two
 * threads run. One range; the first tc_collider_report() ends it.
 */
void tc_collider_always_watch(const void *addr, size_t size);

/* True once a race on the always-watched range was caught. */
bool tc_collider_canary_caught(void);

/*
 * Sends the races found since the last call on the channel, as scenario
 * index's: "collidercanary" for those on the always-watched range,
 * "collider" for the others, one line each: "clean.c:50 (write) and
 * clean.c:50 (read)". Gives the next scenario a fresh budget of pauses.
 * Returns how many races it sent.
 */
size_t tc_collider_report(size_t index);

/*
 * The most threads that had run instrumented code (the learner's file, the
 * driver) and were still alive at one moment since the last call; starts
 * the count again from those alive now. The driver calls it after the
 * canary (whose threads are the harness's) and at the end: 1 then means
 * the learner's code never ran in two threads at once.
 */
int tc_collider_peak_reset(void);

/*
 * clock_gettime() and gettimeofday() as the learner's file calls them in
 * the collider build (objcopy renames its references): every clock runs
 * behind by what the hooks and pauses have cost the calling thread (the
 * CPU-time clocks without its sleep), so that code timing itself sees about
 * the speed of a plain run. The monotonic and CPU clocks never go backwards
 * for a thread; the wall clock moves as perturb.h moves it. Thread-safe.
 */
int tc_collider_clock_gettime(clockid_t clock, struct timespec *ts);
int tc_collider_gettimeofday(struct timeval *restrict tv, void *restrict tz);

#endif
