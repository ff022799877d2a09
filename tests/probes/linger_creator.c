/*
 * linger_creator.c - a probe linked through the perturbation layer
 * (harness/lib/perturb.h), for tests/unit/test_perturb.c: threads started
 * while perturb_linger_threads() is set outlive their start routine by the
 * linger, and perturb_fail_create_next() fails the next pthread_create().
 *
 * Prints one line: "join_ms A result B detached_alive C next_rc D plain_ms
 * E", where A is how long joining a thread whose routine returns at once
 * took with a 100 ms linger, B what the join gave back (42 expected), C
 * whether a detached thread was still listed in /proc/self/task 50 ms after
 * its routine had returned (1: yes), D what pthread_create() returned after
 * perturb_fail_create_next(), and E how long a join took once the linger
 * was set back to 0.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <pthread.h>

#include "perturb.h"

int __real_clock_gettime(clockid_t clock, struct timespec *ts);
int __real_nanosleep(const struct timespec *req, struct timespec *rem);

static atomic_int returned;

static int64_t real_ns(void)
{
	struct timespec ts;

	__real_clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void real_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	__real_nanosleep(&ts, NULL);
}

static int threads_now(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void *answer(void *arg)
{
	(void)arg;
	atomic_store(&returned, 1);
	return (void *)(intptr_t)42;
}

int main(void)
{
	pthread_t t;
	void *result = NULL;
	int64_t start, join_ns, plain_ns;
	int before, alive, next_rc;

	perturb_linger_threads(100 * 1000000ull);
	start = real_ns();
	if (pthread_create(&t, NULL, answer, NULL))
		return 1;
	pthread_join(t, &result);
	join_ns = real_ns() - start;

	before = threads_now();
	atomic_store(&returned, 0);
	if (pthread_create(&t, NULL, answer, NULL))
		return 1;
	pthread_detach(t);
	while (!atomic_load(&returned))
		real_sleep_ms(1);
	real_sleep_ms(50);
	alive = threads_now() > before;
	perturb_linger_threads(0);

	perturb_fail_create_next();
	next_rc = pthread_create(&t, NULL, answer, NULL);
	if (next_rc == 0)
		pthread_join(t, NULL);

	start = real_ns();
	if (pthread_create(&t, NULL, answer, NULL))
		return 1;
	pthread_join(t, NULL);
	plain_ns = real_ns() - start;

	printf("join_ms %.1f result %d detached_alive %d next_rc %d plain_ms %.1f\n",
	       join_ns / 1e6, (int)(intptr_t)result, alive, next_rc, plain_ns / 1e6);
	return 0;
}
