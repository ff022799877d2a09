#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "verdict.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "census.h"
#include "clock.h"
#include "perturb.h"

/* After one scenario timed out, the later ones get this long at most. */
#define AFTER_TIMEOUT_S 1.0

static char marker_dir[PATH_MAX - 64];	/* "" when no markers are wanted */
static _Atomic size_t armed_index;
static _Atomic uint64_t armed_deadline_ns;	/* 0: disarmed */
static _Atomic uint64_t armed_seconds_x10;

/* Writes v in decimal into out; async-signal-safe. */
static void format_unsigned(char *out, unsigned long v)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n > 0)
		*out++ = digits[--n];
	*out = '\0';
}

/* "<dir>/<index><suffix>" into path (PATH_MAX bytes); async-signal-safe. */
static void marker_path(char *path, size_t index, const char *suffix)
{
	size_t len;

	strcpy(path, marker_dir);
	len = strlen(path);
	path[len++] = '/';
	format_unsigned(path + len, index);
	strcat(path, suffix);
}

static void write_marker(size_t index, const char *suffix, const char *text)
{
	char path[PATH_MAX];
	int fd;

	if (!marker_dir[0])
		return;
	/* Only async-signal-safe calls: this also runs in signal handlers. */
	marker_path(path, index, suffix);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, text, strlen(text)) < 0) {
		/* Nothing more can be done from here. */
	}
	close(fd);
}

/*
 * Writes every thread's stack to <dir>/<index><suffix> with eu-stack (or
 * gdb). Also called from the crash handler: no locks, no malloc.
 */
static void dump_stacks(size_t index, const char *suffix)
{
	char path[PATH_MAX], pid[24];
	pid_t child;

	if (!marker_dir[0] || getenv("TC_NO_STACKS"))
		return;
	marker_path(path, index, suffix);
	format_unsigned(pid, (unsigned long)getpid());
	child = fork();
	if (child == 0) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("eu-stack", "eu-stack", "-s", "-p", pid, (char *)NULL);
		execlp("gdb", "gdb", "-q", "-batch", "-p", pid,
		       "-ex", "thread apply all bt", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; child > 0 && i < 200; i++) {	/* at most 10 s */
		if (waitpid(child, NULL, WNOHANG) != 0)
			return;
		usleep(50000);
	}
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
}

static void on_fatal_signal(int sig)
{
	char text[4] = { (char)('0' + sig / 10), (char)('0' + sig % 10), '\0' };
	size_t index = atomic_load(&armed_index);
	static atomic_flag dumped = ATOMIC_FLAG_INIT;

	if (!atomic_flag_test_and_set(&dumped))
		dump_stacks(index, ".stacks");
	write_marker(index, ".crash", text);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* This process's resident memory in MiB, or -1. */
static long resident_mb(void)
{
	long pages = -1;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%*ld %ld", &pages) != 1)
			pages = -1;
		fclose(f);
	}
	return pages < 0 ? -1 : pages * (sysconf(_SC_PAGESIZE) / 1024) / 1024;
}

static void *watchdog(void *arg)
{
	(void)arg;
	perturb_exempt_thread();
	for (;;) {
		uint64_t deadline = atomic_load(&armed_deadline_ns);
		size_t index = atomic_load(&armed_index);
		char text[32];

		world_sleep_ns(20000000);
		if (!deadline || world_now_ns() < deadline)
			continue;
		snprintf(text, sizeof(text), "%.1f\t%ld",
			 (double)atomic_load(&armed_seconds_x10) / 10.0, resident_mb());
		dump_stacks(index, ".stacks");
		write_marker(index, ".timeout", text);
		_exit(3);
	}
	return NULL;
}

static bool earlier_timeout_seen(void)
{
	DIR *d = marker_dir[0] ? opendir(marker_dir) : NULL;
	struct dirent *e;
	bool seen = false;

	while (d && (e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".timeout"))
			seen = true;
	if (d)
		closedir(d);
	return seen;
}

static void start_once(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGTRAP };
	const char *dir = getenv("TC_MARKERS");
	pthread_t dog;

	if (dir && *dir)
		snprintf(marker_dir, sizeof(marker_dir), "%s", dir);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], on_fatal_signal);
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	if (pthread_create(&dog, NULL, watchdog, NULL) == 0)
		pthread_detach(dog);
}

static int count_descriptors(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int count = 0;

	while (d && (e = readdir(d)) != NULL)
		count += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return count;
}

/*
 * With TC_LEAK_CHECK set: compares threads and descriptors before and after
 * the scenario, and leaves <i>.leak ("threads<TAB>descriptors" left over)
 * and <i>.leakstacks when something stayed behind.
 */
static void check_leaks_after(size_t index, int threads_before, int fds_before)
{
	int threads = census_settle(threads_before, 500);
	int fds = count_descriptors();
	char text[64];

	if (threads <= threads_before && fds <= fds_before)
		return;
	dump_stacks(index, ".leakstacks");
	snprintf(text, sizeof(text), "%d\t%d", threads - threads_before, fds - fds_before);
	write_marker(index, ".leak", text);
}

void verdict_run(size_t index, struct check *c, const struct scenario_env *env)
{
	bool leak_check = getenv("TC_LEAK_CHECK") != NULL;
	int threads_before = 0, fds_before = 0;
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const struct scenario *s = scenario_get(index);
	double seconds = s->timeout_s;

	pthread_once(&once, start_once);
	memset(c, 0, sizeof(*c));
	if (earlier_timeout_seen() && seconds > AFTER_TIMEOUT_S)
		seconds = AFTER_TIMEOUT_S;
	seconds *= scenario_timeout_factor();
	write_marker(index, ".begin", s->name);
	atomic_store(&armed_index, index);
	atomic_store(&armed_seconds_x10, (uint64_t)(seconds * 10));
	atomic_store(&armed_deadline_ns, world_now_ns() + (uint64_t)(seconds * 1e9));

	if (leak_check) {
		threads_before = census_threads();
		fds_before = count_descriptors();
	}
	s->run(c, env);
	if (leak_check)
		check_leaks_after(index, threads_before, fds_before);

	atomic_store(&armed_deadline_ns, 0);
	if (c->failed) {
		char text[sizeof(c->message) + 64];

		snprintf(text, sizeof(text), "fail\t%s\t%s", c->clause, c->message);
		write_marker(index, ".end", text);
	} else {
		write_marker(index, ".end", "pass");
	}
}
