/*
 * test_files.c - the grader never blocks on, or follows, what a learner made
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "workspace.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

Test(files, a_fifo_reads_as_missing_at_once)
{
	char dir[] = "/tmp/threadclinic-files-XXXXXX", path[128];
	double start;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	start = now_s();
	cr_assert_null(read_text(path, 1024));
	cr_assert_lt(now_s() - start, 1.0);
	unlink(path);
	rmdir(dir);
}

Test(files, a_link_is_not_followed)
{
	char dir[] = "/tmp/threadclinic-files-XXXXXX", target[128], link[128];
	FILE *f;
	char *text;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	f = fopen(target, "w");
	fputs("secret", f);
	fclose(f);
	cr_assert_eq(symlink(target, link), 0);
	cr_assert_null(read_text(link, 1024));
	text = read_text(target, 1024);
	cr_assert_str_eq(text, "secret");
	free(text);
	unlink(link);
	unlink(target);
	rmdir(dir);
}

Test(files, reads_are_bounded)
{
	char *text = read_text("/dev/zero", 16);

	cr_assert_null(text, "a device is not a regular file");
}
