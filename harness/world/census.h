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

#include <stdbool.h>
#include <stddef.h>

/* Number of threads in this process now, or -1 if /proc is unreadable. */
int census_threads(void);

/*
 * The ids of this process's threads now: up to max of them into tids.
 * Returns how many were stored, or -1 if /proc is unreadable.
 */
int census_thread_ids(int *tids, int max);

/*
 * The threads of this process at one moment, by kernel thread id: a
 * snapshot taken by census_tids_take (n 0 when /proc is unreadable; at most
 * CENSUS_MAX_TIDS kept). Plain data: the caller owns it and its locking.
 */
#define CENSUS_MAX_TIDS 1024

struct census_tids {
	int n;
	int tid[CENSUS_MAX_TIDS];
};

/* Takes the snapshot of this process's threads now into s. */
void census_tids_take(struct census_tids *s);

/* Whether thread tid was in the snapshot s. */
bool census_tids_has(const struct census_tids *s, int tid);

/*
 * The kernel function thread tid of this process is blocked in, into out
 * ("0" when it is running; empty when it is gone or /proc is unreadable).
 */
void census_thread_wchan(int tid, char *out, size_t size);

/*
 * The entries of a /proc directory ("/proc/self/task", "/proc/self/fd"),
 * "." and ".." left out, or -1 if it cannot be read. The census's own
 * counter, shared with descriptors.c.
 */
int census_dir_entries(const char *path);

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
 * The scheduler state letter of thread tid of this process, as the kernel
 * reports it in /proc/self/task/<tid>/stat ('R' running, 'S' asleep in a
 * wait, 'D', 't', ...), or 0 when the thread is gone or /proc is unreadable.
 * A snapshot: the thread may change state at once.
 */
char census_thread_state(int tid);

/*
 * Writes one line per thread into buf: "tid <n> <state> in <wchan>", up to
 * size bytes, NUL-terminated. Used to show where leaked threads are parked.
 */
void census_describe(char *buf, size_t size);

/*
 * The thread counts around one call of the learner's code that must leave
 * no thread of its own behind (a batch that joins what it starts).
 *
 * Usage:
 *	census_span_start(&span);
 *	ret = clean_records(...);
 *	census_span_end(&span);
 *	if (span.at_return > span.before) ... threads outlived the call
 *	...
 *	if (!census_span_outlived(&span)) free what the call used
 */
struct census_span {
	int before;	/* census_threads() before the call */
	int at_return;	/* within 10 ms of its return: a joined thread leaves /proc within microseconds */
	int after;	/* within 300 ms of its return */
};

/* Counts the threads before the call. Thread-safe; reads /proc. */
void census_span_start(struct census_span *s);

/*
 * Right after the call returned: at_return and then after, each the count
 * once it fell back to `before` or its bound passed. Blocks up to 310 ms
 * (only when threads outlive the call).
 */
void census_span_end(struct census_span *s);

/*
 * True when more threads run now than before the call: they may still use
 * what the call was given, which must then stay allocated for the rest of
 * the process.
 */
bool census_span_outlived(const struct census_span *s);

#endif
