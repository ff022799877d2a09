/*
 * attack: starts threads until the system refuses
 * cheats: correctness
 * reason: violated
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *park(void *arg)
{
	pause();
	return arg;
}

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	(void)records;
	(void)n;
	(void)parallelism;
	pthread_t tid;

	while (pthread_create(&tid, NULL, park, NULL) == 0)
		;
	report->stored = 0;
	report->rejected = 0;
	return 0;
}
