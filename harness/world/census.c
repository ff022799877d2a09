#include "census.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

int census_dir_entries(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *entry;
	int count = 0;

	if (!dir)
		return -1;
	while ((entry = readdir(dir)) != NULL)
		if (entry->d_name[0] != '.')
			count++;
	closedir(dir);
	return count;
}

int census_threads(void)
{
	return census_dir_entries("/proc/self/task");
}

int census_thread_ids(int *tids, int max)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *entry;
	int n = 0;

	if (!dir)
		return -1;
	while (n < max && (entry = readdir(dir)) != NULL)
		if (entry->d_name[0] != '.')
			tids[n++] = atoi(entry->d_name);
	closedir(dir);
	return n;
}

void census_tids_take(struct census_tids *s)
{
	s->n = census_thread_ids(s->tid, CENSUS_MAX_TIDS);
	if (s->n < 0)
		s->n = 0;
}

bool census_tids_has(const struct census_tids *s, int tid)
{
	for (int i = 0; i < s->n; i++)
		if (s->tid[i] == tid)
			return true;
	return false;
}

long census_wakeups(void)
{
	int *tids = malloc(4096 * sizeof(*tids));
	int nthreads = tids ? census_thread_ids(tids, 4096) : -1;
	long total = 0;

	if (nthreads < 0) {
		free(tids);
		return -1;
	}
	for (int i = 0; i < nthreads; i++) {
		char path[64], line[128];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%d/status", tids[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			long n;

			if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1 ||
			    sscanf(line, "nonvoluntary_ctxt_switches: %ld", &n) == 1)
				total += n;
		}
		fclose(f);
	}
	free(tids);
	return total;
}

int census_settle(int baseline, unsigned timeout_ms)
{
	uint64_t deadline = world_now_ns() + (uint64_t)timeout_ms * 1000000u;
	int count;

	while ((count = census_threads()) > baseline && world_now_ns() < deadline)
		world_sleep_ns(2000000);
	return count;
}

void census_span_start(struct census_span *s)
{
	*s = (struct census_span){ .before = census_threads() };
}

void census_span_end(struct census_span *s)
{
	s->at_return = census_settle(s->before, 10);
	s->after = census_settle(s->before, 300);
}

bool census_span_outlived(const struct census_span *s)
{
	return census_threads() > s->before;
}

static void read_first_line(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "r");

	out[0] = '\0';
	if (!f)
		return;
	if (fgets(out, (int)size, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

void census_thread_wchan(int tid, char *out, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", tid);
	read_first_line(path, out, size);
}

void census_describe(char *buf, size_t size)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *entry;
	size_t used = 0;

	if (size)
		buf[0] = '\0';
	if (!dir)
		return;
	while ((entry = readdir(dir)) != NULL && used + 1 < size) {
		char path[300], comm[64], wchan[64];
		int n;

		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", entry->d_name);
		read_first_line(path, comm, sizeof(comm));
		census_thread_wchan(atoi(entry->d_name), wchan, sizeof(wchan));
		n = snprintf(buf + used, size - used, "  thread %s (%s) parked in %s\n",
			     entry->d_name, comm, wchan[0] ? wchan : "?");
		if (n < 0)
			break;
		used += (size_t)n < size - used ? (size_t)n : size - used - 1;
	}
	closedir(dir);
}

char census_thread_state(int tid)
{
	char path[64], line[512], *paren;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	/* "tid (comm) S ...": comm may hold spaces and parentheses; the last ')' ends it. */
	paren = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
	fclose(f);
	return paren && paren[1] == ' ' ? paren[2] : 0;
}
