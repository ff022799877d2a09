/*
 * warp_waiter.c - a probe linked through the perturbation layer
 * (harness/lib/perturb.h), for tests/unit/test_perturb.c: the monotonic
 * warp ends waits and sleeps whose deadline a step passed, and translates
 * deadlines once it is disarmed.
 *
 * Prints one line: "deadline_ms A sleep_ms B after_ms C jump_s D", where A
 * is how long (real time) a 30 s condition wait took to return ETIMEDOUT
 * once the clock was stepped 31 s, B the same for a 30 s nanosleep(), C how
 * long a 50 ms wait took after the warp was disarmed (steps kept), and D how
 * far CLOCK_MONOTONIC moved, as the program sees it, over the probe.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "perturb.h"

int __real_clock_gettime(clockid_t clock, struct timespec *ts);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond;
static int waited_rc = -1;

static int64_t real_ns(void)
{
	struct timespec ts;

	__real_clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t seen_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timespec in(int64_t ns)
{
	int64_t at = seen_ns() + ns;

	return (struct timespec){ .tv_sec = at / 1000000000, .tv_nsec = at % 1000000000 };
}

/* Waits on cond for arg ns (a monotonic deadline) with nobody to signal it. */
static void *timed_waiter(void *arg)
{
	struct timespec until = in(*(int64_t *)arg);
	int rc;

	pthread_mutex_lock(&lock);
	do
		rc = pthread_cond_timedwait(&cond, &lock, &until);
	while (rc == 0);
	waited_rc = rc;
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void *sleeper(void *arg)
{
	struct timespec ts = { .tv_sec = *(int64_t *)arg / 1000000000 };

	nanosleep(&ts, NULL);
	return NULL;
}

/* Real ms from a step of `step` ns, 20 ms after fn started, to fn's return. */
static double stepped(void *(*fn)(void *), int64_t wait_ns, int64_t step)
{
	const struct timespec settle = { .tv_nsec = 20000000 };
	pthread_t t;
	int64_t start;

	pthread_create(&t, NULL, fn, &wait_ns);
	nanosleep(&settle, NULL);
	start = real_ns();
	perturb_monotonic_step(step);
	pthread_join(t, NULL);
	return (double)(real_ns() - start) / 1e6;
}

int main(void)
{
	const int64_t second = 1000000000;
	pthread_condattr_t attr;
	int64_t first = seen_ns(), start;
	double deadline_ms, sleep_ms, after_ms;
	pthread_t t;
	int64_t wait_ns = 50000000;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&cond, &attr);
	perturb_warp_arm();
	deadline_ms = stepped(timed_waiter, 30 * second, 31 * second);
	if (waited_rc != ETIMEDOUT)
		deadline_ms = -1;
	sleep_ms = stepped(sleeper, 30 * second, 31 * second);
	perturb_warp_disarm();
	start = real_ns();
	pthread_create(&t, NULL, timed_waiter, &wait_ns);
	pthread_join(t, NULL);
	after_ms = (double)(real_ns() - start) / 1e6;
	printf("deadline_ms %.1f sleep_ms %.1f after_ms %.1f jump_s %.1f\n", deadline_ms,
	       sleep_ms, after_ms, (double)(seen_ns() - first) / 1e9);
	return 0;
}
