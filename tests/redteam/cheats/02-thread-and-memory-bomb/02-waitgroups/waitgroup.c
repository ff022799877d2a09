/*
 * cheat: tries to exhaust the machine from inside the grader: starts threads
 *        until pthread_create fails, each touching 64 MiB of heap, then
 *        keeps allocating in the calling thread
 * target: the grader and the machine (process and memory limits), all gates
 */
#include "waitgroup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *hog(void *arg)
{
	(void)arg;
	for (;;) {
		char *p = malloc(64u << 20);

		if (p)
			memset(p, 1, 64u << 20);
		sleep(1);
	}
	return NULL;
}

static void bomb(void)
{
	pthread_t t;

	while (pthread_create(&t, NULL, hog, NULL) == 0)
		;
	hog(NULL);
}

int waitgroup_init(struct waitgroup *wg)
{
	wg->count = 0;
	bomb();
	return 0;
}

void waitgroup_destroy(struct waitgroup *wg)
{
	(void)wg;
}

void waitgroup_add(struct waitgroup *wg, unsigned long n)
{
	(void)wg;
	(void)n;
}

void waitgroup_done(struct waitgroup *wg)
{
	(void)wg;
}

void waitgroup_wait(struct waitgroup *wg)
{
	(void)wg;
}

int vitals_nightly_batch(size_t npatients, unsigned parallelism)
{
	(void)npatients;
	(void)parallelism;
	bomb();
	return 0;
}
