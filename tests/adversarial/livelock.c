/*
 * attack: two threads back off from each other for ever
 * cheats: correctness
 * reason: timed out
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;

static void *polite(void *arg)
{
	for (;;) {
		pthread_mutex_lock(arg ? &a : &b);
		if (pthread_mutex_trylock(arg ? &b : &a) == 0)
			pthread_mutex_unlock(arg ? &b : &a);
		pthread_mutex_unlock(arg ? &a : &b);
		sched_yield();
	}
	return NULL;
}

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	(void)records;
	(void)n;
	(void)parallelism;
	pthread_t tid;

	pthread_create(&tid, NULL, polite, &tid);
	polite(NULL);
	report->stored = 0;
	report->rejected = 0;
	return 0;
}
