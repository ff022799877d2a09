/*
 * if_waiter.c - a waiter that checks its condition with `if`, not `while`,
 * linked through the perturbation layer (harness/lib/perturb.h) for
 * tests/unit/test_perturb.c
 *
 * ROUNDS times: the waiter announces it is about to wait for round r, waits
 * once if round r has not been released, and records whether it was; the
 * main thread releases round r only after the announcement (and 1 ms more),
 * under the same mutex, so without perturbation the waiter is always inside
 * pthread_cond_wait() when the release comes and always sees it, however
 * the threads are scheduled. Prints
 * "early N spurious S" (N: rounds in which the waiter returned before its
 * release, S: spurious wake-ups the layer injected) and exits 0.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "perturb.h"

#define ROUNDS 64

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int announced, released, finished;	/* guarded by lock */
static int early;				/* guarded by lock */

static void *waiter(void *arg)
{
	(void)arg;
	for (int r = 1; r <= ROUNDS; r++) {
		pthread_mutex_lock(&lock);
		announced = r;
		pthread_cond_broadcast(&changed);
		if (released < r)
			pthread_cond_wait(&changed, &lock);
		if (released < r)
			early++;
		finished = r;
		pthread_cond_broadcast(&changed);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

int main(void)
{
	struct perturb_counts counts;
	pthread_t t;

	if (pthread_create(&t, NULL, waiter, NULL) != 0)
		return 2;
	for (int r = 1; r <= ROUNDS; r++) {
		pthread_mutex_lock(&lock);
		while (announced < r && finished < r)
			pthread_cond_wait(&changed, &lock);
		/*
		 * Let the waiter settle first, out of the lock: a spurious
		 * wake-up lets go of the mutex for a moment, and the release
		 * must not slip in then (that would hide it).
		 */
		pthread_mutex_unlock(&lock);
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		pthread_mutex_lock(&lock);
		released = r;
		/* After an early return, a broadcast would wake the next round. */
		if (finished < r)
			pthread_cond_broadcast(&changed);
		while (finished < r)
			pthread_cond_wait(&changed, &lock);
		pthread_mutex_unlock(&lock);
	}
	pthread_join(t, NULL);
	perturb_counts(&counts);
	printf("early %d spurious %llu\n", early, (unsigned long long)counts.spurious);
	return 0;
}
