/*
 * lockgraph.h - which thread holds which mutex and waits for which, kept by
 * the perturbation layer's wrappers, so that a hang can be explained as a
 * cycle ("thread 1 holds A and waits for B; thread 2 holds B and waits for
 * A") at the learner's file:line
 *
 * Every scenario flavour goes through perturb.c's wrappers (linked with
 * -Wl,--wrap); those of pthread_mutex_lock, pthread_mutex_trylock and
 * pthread_mutex_unlock call the three hooks below with the return address
 * of the wrapper, which is the learner's (or the harness's) call site. Each
 * thread writes only its own slot of a fixed table; the watchdog (verdict.c)
 * reads the whole table once, when a scenario has timed out, looks for a
 * cycle in the wait-for graph (thread -> the holder of the lock it waits
 * for), turns the call sites into file:line with eu-addr2line, and sends the
 * sentence on the channel as a "cycle" message.
 *
 * What is not tracked: condition-variable waits (a waiter is still listed as
 * holding its mutex, which cannot make a false cycle: it waits for no lock),
 * reader-writer locks and semaphores. A thread waiting for a wake-up that
 * never comes is no cycle of locks; the stack dump shows it.
 *
 * Usage, in harness code (names make the sentence readable; unnamed locks
 * are called "the mutex at 0x...", with where they were taken):
 *	lockgraph_name(&sites[1].lock, "site 1's lock");
 *	... run the learner's code ...
 *	lockgraph_forget_names();
 *
 * Safety: the hooks are thread-safe and take no lock (relaxed atomics on the
 * caller's own slot). lockgraph_name() and lockgraph_forget_names() are for
 * the harness, while no learner thread runs. lockgraph_report() is for the
 * watchdog: it forks and execs, so only from an unconfined thread.
 */
#ifndef HARNESS_LOCKGRAPH_H
#define HARNESS_LOCKGRAPH_H

#include <stddef.h>
#include <stdint.h>

/* The calling thread is about to block for lock; site is its call site. */
void lockgraph_waiting(const void *lock, const void *site);

/*
 * The calling thread now holds lock (acquired), or gave up waiting
 * (!acquired), after a blocking lock call at site.
 */
void lockgraph_acquired(const void *lock, const void *site, int acquired);

/* The calling thread now holds lock, taken with a trylock at site. */
void lockgraph_tried(const void *lock, const void *site);

/* The calling thread let go of lock. */
void lockgraph_released(const void *lock);

/*
 * Names lock in the sentence (name is copied, up to 47 bytes). Up to 64
 * names; more are ignored.
 */
void lockgraph_name(const void *lock, const char *name);

/*
 * Gives a named lock a rank in a lock order: a thread that blocks for a
 * ranked lock while it holds one of a higher rank breaks the order, and the
 * first such acquisition is kept for lockgraph_order_error(). A trylock
 * never breaks it (it does not wait). Call after lockgraph_name().
 */
void lockgraph_rank(const void *lock, int rank);

/*
 * The first acquisition that broke the order since the names were given:
 * "took <name> while holding <name>" into out; returns its length, or 0.
 */
size_t lockgraph_order_error(char *out, size_t size);

/*
 * How many threads wait for lock now: blocked in pthread_mutex_lock(lock),
 * or past the wrapper's perturbation and about to block in it. For a
 * scenario that must know a thread is stuck behind a lock it holds. Never
 * blocks.
 */
unsigned lockgraph_waiters(const void *lock);
/* Forgets every name and rank, and the order error. */
void lockgraph_forget_names(void);

/*
 * Looks for a cycle of threads each waiting for a mutex another one of them
 * holds. Writes the sentence into out (with file:line when eu-addr2line can
 * tell) and returns its length, or 0 when there is no cycle.
 */
size_t lockgraph_cycle(char *out, size_t size);

/*
 * For the watchdog, after a timeout: lockgraph_cycle(), and when there is a
 * cycle, sends it on the channel as "cycle" for scenario index.
 */
void lockgraph_report(size_t index);

/*
 * file:line of each call site (return addresses), as "at clean.c:41", "by
 * the test itself" for the harness's own files, "at ?" when unknown; n at
 * most 32. Forks and execs eu-addr2line on this process (at most 5 s): only
 * from an unconfined thread (the watchdog, a driver's main thread).
 */
void lockgraph_symbolise(const uintptr_t *sites, int n, char where[][160]);

#endif
