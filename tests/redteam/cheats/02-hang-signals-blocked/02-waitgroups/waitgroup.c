/*
 * cheat: tries to hang the grader: every call blocks all signals it can and
 *        spins forever in several threads, so only SIGKILL can end the run
 * target: the grader itself (a hang), all gates
 */
#include "waitgroup.h"

#include <errno.h>
#include <signal.h>

static void *spin(void *arg)
{
	sigset_t all;
	volatile unsigned long *x = arg;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;)
		(*x)++;
	return NULL;
}

static void forever(void)
{
	static volatile unsigned long sink[4];
	pthread_t t;

	for (int i = 0; i < 3; i++)
		pthread_create(&t, NULL, spin, (void *)&sink[i]);
	spin((void *)&sink[3]);
}

int waitgroup_init(struct waitgroup *wg)
{
	wg->count = 0;
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
	forever();
}

int vitals_nightly_batch(size_t npatients, unsigned parallelism)
{
	(void)npatients;
	(void)parallelism;
	forever();
	return 0;
}
