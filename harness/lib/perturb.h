/*
 * perturb.h - a perturbation layer between the code under test and the
 * system: a steppable wall clock, and (with a seed) random yields, short
 * sleeps and spurious or stolen condition-variable wake-ups
 *
 * The scenario flavours (the Criterion suite and the race and leak drivers)
 * are linked with perturb.o and the linker's --wrap=<fn> for every function named in
 * PERTURB_WRAPPED below. --wrap rewrites the undefined references of every
 * object in that link, so the learner's code and the harness's own objects
 * (the world, the scenarios) both call the wrappers; the benchmark is linked
 * without them. Each wrapper calls the real function (__real_<fn>).
 *
 * Wall clock: perturb_wallclock_step() moves CLOCK_REALTIME as seen through
 * clock_gettime(), gettimeofday() and time(); every other clock passes
 * through untouched. The kernel's clock does not move: a condition variable
 * on CLOCK_REALTIME still times out against the real time, so a deadline
 * computed from the stepped clock is off by the step. That is the point (a
 * deadline must come from CLOCK_MONOTONIC), and it also applies to harness
 * code that computes a CLOCK_REALTIME deadline while a step is in force.
 *
 * Perturbation: TC_SEED (decimal) in the environment turns it on; unset or
 * empty, every wrapper is the real call after one predictable branch. Each
 * thread draws from its own SplitMix64 state, derived from the seed and the
 * order in which threads first call a wrapper (an atomic counter; no lock).
 * What is injected, at these rates per call:
 *  - lock, trylock, semaphore waits, join, signal and broadcast: first a
 *    yield (1 in 8) or a sleep of 10-200 us (1 in 1024);
 *  - unlock, sem_post, pthread_create: the same, after the real call;
 *  - condition waits: a spurious wake-up (1 in 4: unlock, yield, lock,
 *    return 0 without waiting), else the real wait and, after it, a stolen
 *    wake-up window (1 in 4: unlock, yield, lock again, so that another
 *    thread can take the mutex and consume what the waiter was woken for).
 *    A spurious return only happens on entry, never to a thread already
 *    blocked, so a wake-up that nobody sends still hangs the waiter;
 *  - sched_yield(): the real yield, and 1 in 64 also a short sleep.
 * With TC_PERTURB=waits as well, only the condition waits are perturbed
 * (spurious and stolen wake-ups): lock, unlock, signal and semaphore calls
 * keep their plain speed, so code cannot tell the run from a plain one by
 * timing its lock calls (the collider's run, harness/src/collider_run.c).
 * The same seed gives the same draws per thread, but the interleaving also
 * depends on the machine, so a replay reproduces the pressure, not always
 * the exact run. Everything injected is something POSIX allows the real
 * functions to do: a thread may be descheduled anywhere, and
 * pthread_cond_wait() and pthread_cond_timedwait() may return 0 without a
 * signal (spurious) or after another thread has taken the mutex first and
 * consumed the state it was woken for (stolen).
 *
 * The harness's watchdog (verdict.c) calls perturb_exempt_thread(), so its
 * clock readings and sleeps are never delayed by the layer.
 *
 * Safety: every function here is thread-safe and takes no lock of its own
 * (the wrappers take only the locks their caller asked for).
 */
#ifndef HARNESS_PERTURB_H
#define HARNESS_PERTURB_H

#include <stdbool.h>
#include <stdint.h>

/* The functions the scenario flavours link with -Wl,--wrap=<fn>. */
#define PERTURB_WRAPPED                                                        \
	"clock_gettime", "gettimeofday", "time",                               \
	"pthread_mutex_lock", "pthread_mutex_unlock", "pthread_mutex_trylock", \
	"pthread_cond_wait", "pthread_cond_timedwait",                         \
	"pthread_cond_clockwait", "pthread_cond_signal",                       \
	"pthread_cond_broadcast", "pthread_rwlock_rdlock",                     \
	"pthread_rwlock_wrlock", "pthread_rwlock_unlock", "sem_wait",          \
	"sem_post", "sem_timedwait", "pthread_create", "pthread_join",         \
	"sched_yield", "nanosleep", "clock_nanosleep", "usleep", "sleep"

/*
 * Adds ns (negative: backwards) to the wall clock as every wrapped caller
 * of this process sees it, from now on; steps add up. Never blocks.
 */
void perturb_wallclock_step(int64_t ns);

/*
 * Makes a later pthread_create() fail: after `calls` more calls succeed, the
 * next one returns EAGAIN (as when the system is out of threads), once; 0
 * or less cancels. For scenarios that check what a function does after a
 * partial start. Thread-safe; independent of the seed.
 */
void perturb_fail_create_after(int calls);

/* The next pthread_create() fails with EAGAIN, once (as _after(0) would). */
void perturb_fail_create_next(void);

/*
 * From now on (until called with 0), every thread pthread_create() starts
 * lingers ns after its start routine returns before it ends (a real sleep,
 * after the routine's result is kept): a caller that joins its threads
 * waits that much longer, and one that detached them or never joined them
 * still has them running right after it returned, for the census to see
 * (census_span). For scenarios of a partial start. A thread that calls
 * pthread_exit() does not linger. At most 256 lingering threads a process;
 * later ones end as usual. Thread-safe; never blocks.
 */
void perturb_linger_threads(uint64_t ns);

/*
 * Holds back the start of a later thread: after `calls` more
 * pthread_create() calls, the next one creates its thread as usual, but the
 * thread waits (sleeping, 1 ms at a time) before it runs its start routine
 * until perturb_release_start(), once (0: the very next thread); a negative
 * count cancels. A legal schedule
 * (a thread may start running at any time after pthread_create() returned)
 * that shows code which counts a thread as live only once it runs. One held
 * thread at a time: release it, and let it end, before holding another.
 * perturb_start_held() tells whether the held thread is waiting now.
 * Thread-safe; independent of the seed.
 */
void perturb_hold_start_after(int calls);
void perturb_release_start(void);
bool perturb_start_held(void);

/*
 * The monotonic warp, for contracts with limits longer than a scenario can
 * wait (a 30 s ttl, deadline or cool-down): perturb_monotonic_step(ns)
 * moves CLOCK_MONOTONIC (and _RAW, _COARSE, CLOCK_BOOTTIME) forwards by ns
 * as clock_gettime() shows it to every thread but the exempt watchdog, from
 * now on, and the wall clock with it (as perturb_wallclock_step(ns) does:
 * time passed, so the two clocks keep their distance and a program cannot
 * tell a step from a wait by comparing them); steps add up, and the
 * monotonic clock never goes back. Once armed (the first
 * step, or perturb_warp_arm() before the waits begin), timed waits on a
 * monotonic clock (pthread_cond_timedwait() on a condition variable set to
 * CLOCK_MONOTONIC, pthread_cond_clockwait()) and sleeps (nanosleep(),
 * clock_nanosleep() on a monotonic clock, usleep(), sleep()) look at the
 * warped clock every 5 ms of real time, so a step ends a wait or a sleep
 * whose deadline it passed: a condition wait returns ETIMEDOUT, or 0 after a
 * slice (a spurious wake-up), a sleep returns once the warped time is up.
 * Everything it shows is what a machine suspended for ns would show.
 * CLOCK_REALTIME and semaphores' timed waits are left alone.
 * perturb_warp_disarm() ends the slicing (a scenario calls it at its end, so
 * that later scenarios in the same process wait as usual: a slice would read
 * as polling) and takes the wall clock back by what the steps added to it
 * (later wall-clock deadlines stay exact); the monotonic steps stay, and
 * deadlines on the warped clock are still translated. All three never block; thread-safe.
 */
void perturb_warp_arm(void);
void perturb_warp_disarm(void);
void perturb_monotonic_step(int64_t ns);

/* The total of all steps so far, in nanoseconds. Never blocks. */
int64_t perturb_wallclock_offset(void);

/*
 * True when perturbation is on (TC_SEED set), with the seed in *seed.
 * Never blocks.
 */
bool perturb_seed(uint64_t *seed);

/*
 * The calling thread is never perturbed from now on (the harness's own
 * watchdog calls it first thing). Never blocks.
 */
void perturb_exempt_thread(void);

/*
 * Turns the perturbation off for every thread (pause true) and on again.
 * For a scenario that checks a wait returns with no wake-up at all: an
 * injected spurious wake-up would hide a wait that sleeps for ever.
 * Thread-safe.
 */
void perturb_pause(bool pause);

/*
 * Counts of what was injected so far in this process (for tests and
 * diagnostics): spurious and stolen wake-ups, yields, sleeps. Never blocks.
 */
struct perturb_counts {
	uint64_t spurious, stolen, yields, sleeps;
};
void perturb_counts(struct perturb_counts *out);

#endif
