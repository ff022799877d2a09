/*
 * attack: opens a network socket
 * cheats: correctness
 * reason: netinet/in.h
 */
#include "clean.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	(void)records;
	(void)n;
	(void)parallelism;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	close(fd);
	report->stored = 0;
	report->rejected = 0;
	return 0;
}
