/*
 * attack: waits for a thread that waits for it
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

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

static void *take(void *arg)
{
	pthread_mutex_lock(&held);
	return arg;
}

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	(void)records;
	(void)n;
	(void)parallelism;
	pthread_t tid;

	pthread_mutex_lock(&held);
	pthread_create(&tid, NULL, take, NULL);
	pthread_join(tid, NULL);
	report->stored = 0;
	report->rejected = 0;
	return 0;
}
