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

#include "clock.h"

/* After one scenario timed out, the later ones get this long at most. */
#define AFTER_TIMEOUT_S 1.0

static char marker_dir[PATH_MAX - 64];	/* "" when no markers are wanted */
static _Atomic size_t armed_index;
static _Atomic uint64_t armed_deadline_ns;	/* 0: disarmed */
static _Atomic uint64_t armed_seconds_x10;

static void write_marker(size_t index, const char *suffix, const char *text)
{
	char path[PATH_MAX], number[24];
	int fd, n = 0;
	size_t v = index;

	if (!marker_dir[0])
		return;
	/* Only async-signal-safe calls: this also runs in signal handlers. */
	do {
		number[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	strcpy(path, marker_dir);
	strcat(path, "/");
	for (size_t len = strlen(path); n > 0; len++)
		path[len] = number[--n], path[len + 1] = '\0';
	strcat(path, suffix);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, text, strlen(text)) < 0) {
		/* Nothing more can be done from here. */
	}
	close(fd);
}


static void dump_stacks(size_t index)
{
	char path[PATH_MAX], pid[24];
	pid_t child;

	static atomic_flag dumped = ATOMIC_FLAG_INIT;

	if (!marker_dir[0] || getenv("TC_NO_STACKS") || atomic_flag_test_and_set(&dumped))
		return;
	/* Async-signal-safe enough for a crash handler: no locks, no malloc. */
	strcpy(path, marker_dir);
	{
		char number[24];
		int n = 0;
		size_t len = strlen(path);

		do {
			number[n++] = (char)('0' + index % 10);
			index /= 10;
		} while (index);
		path[len++] = '/';
		while (n > 0)
			path[len++] = number[--n];
		strcpy(path + len, ".stacks");
	}
	{
		char number[24];
		int n = 0, v = (int)getpid(), len = 0;

		do {
			number[n++] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		while (n > 0)
			pid[len++] = number[--n];
		pid[len] = '\0';
	}
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

	dump_stacks(index);
	write_marker(index, ".crash", text);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void *watchdog(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t deadline = atomic_load(&armed_deadline_ns);
		size_t index = atomic_load(&armed_index);
		char text[32];

		world_sleep_ns(20000000);
		if (!deadline || world_now_ns() < deadline)
			continue;
		snprintf(text, sizeof(text), "%.1f",
			 (double)atomic_load(&armed_seconds_x10) / 10.0);
		dump_stacks(index);
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

void verdict_run(size_t index, struct check *c, const struct scenario_env *env)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const struct scenario *s = &chapter_scenarios[index];
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

	s->run(c, env);

	atomic_store(&armed_deadline_ns, 0);
	if (c->failed) {
		char text[sizeof(c->message) + 64];

		snprintf(text, sizeof(text), "fail\t%s\t%s", c->clause, c->message);
		write_marker(index, ".end", text);
	} else {
		write_marker(index, ".end", "pass");
	}
}
