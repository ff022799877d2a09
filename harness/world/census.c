#include "census.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"

int census_threads(void)
{
	DIR *dir = opendir("/proc/self/task");
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

long census_wakeups(void)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *entry;
	long total = 0;

	if (!dir)
		return -1;
	while ((entry = readdir(dir)) != NULL) {
		char path[300], line[128];
		FILE *f;

		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", entry->d_name);
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
	closedir(dir);
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
		snprintf(path, sizeof(path), "/proc/self/task/%s/wchan", entry->d_name);
		read_first_line(path, wchan, sizeof(wchan));
		n = snprintf(buf + used, size - used, "  thread %s (%s) parked in %s\n",
			     entry->d_name, comm, wchan[0] ? wchan : "?");
		if (n < 0)
			break;
		used += (size_t)n < size - used ? (size_t)n : size - used - 1;
	}
	closedir(dir);
}
