/*
 * census.h - counts the live threads of this process, like a goroutine dump
 *
 * The count comes from /proc/self/task, so it sees every thread, including
 * detached ones that nobody can join any more.
 *
 * Safety: thread-safe; takes no locks; reads /proc.
 */
#ifndef WORLD_CENSUS_H
#define WORLD_CENSUS_H

#include <stddef.h>

/* Number of threads in this process now, or -1 if /proc is unreadable. */
int census_threads(void);

/*
 * Context switches of every live thread of this process so far (voluntary
 * and not), or -1. A thread asleep in a wait has none while it sleeps; one
 * that polls (wakes every few milliseconds to look) has one per look, even
 * when it uses almost no CPU. Compare two readings around a quiet period:
 * threads that ended in between are not counted.
 */
long census_wakeups(void);

/*
 * Waits up to timeout_ms for the thread count to fall to at most `baseline`
 * (a joined thread can stay listed for a moment after pthread_join returns).
 * Returns the last count seen.
 */
int census_settle(int baseline, unsigned timeout_ms);

/*
 * Writes one line per thread into buf: "tid <n> <state> in <wchan>", up to
 * size bytes, NUL-terminated. Used to show where leaked threads are parked.
 */
void census_describe(char *buf, size_t size);

#endif
