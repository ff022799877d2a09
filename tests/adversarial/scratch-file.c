/*
 * attack: creates a file in its working directory to leave a verdict behind
 * cheats: correctness
 * reason: fcntl.h
 * bound: 60
 */
#include "clean.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	(void)records;
	(void)n;
	if (parallelism == 0)
		return EINVAL;
	report->stored = 0;
	report->rejected = 0;
	{
		int fd = open("verdict", O_WRONLY | O_CREAT, 0644);

		if (fd >= 0)
			close(fd);
	}
	return 0;
}
