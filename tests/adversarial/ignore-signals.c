/*
 * attack: ignores every signal it can, then hangs
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


int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	(void)records;
	(void)n;
	(void)parallelism;
	for (int sig = 1; sig < 32; sig++)
		signal(sig, SIG_IGN);
	for (;;)
		pause();
	report->stored = 0;
	report->rejected = 0;
	return 0;
}
