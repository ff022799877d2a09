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
#include "channel.h"
#include "clock.h"
#include "confine.h"
#include "lockgraph.h"
#include "service.h"
#include "perturb.h"

/* After one scenario timed out, the later ones get this long at most. */
#define AFTER_TIMEOUT_S 1.0
#define STACKS_CAP (256 * 1024)

static _Atomic size_t armed_index;
static _Atomic uint64_t armed_deadline_ns;	/* 0: disarmed */
static _Atomic uint64_t armed_seconds_x10;

/* A stack dump asked of the watchdog by a confined thread (a crash). */
static _Atomic int dump_requested;		/* 1: asked, 0: done or none */
static _Atomic size_t dump_index;

static bool confined_ok;			/* set once by start_once() */
static char confine_why[256];

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The threads alive when the current scenario started (leak check only). */
static int tids_before[1024];
static int ntids_before;

static bool was_there_before(int tid)
{
	for (int i = 0; i < ntids_before; i++)
		if (tids_before[i] == tid)
			return true;
	return false;
}

/*
 * Drops from eu-stack's text (text[0..used)) the "TID n:" blocks of the
 * threads that were alive when the scenario started, in place: what stays
 * are the threads this scenario left, so that its count and its stacks
 * count the same threads. Returns the new length. gdb's text is left whole.
 */
static size_t only_new_threads(char *text, size_t used)
{
	size_t in = 0, out = 0;
	bool dropping = false;

	while (in < used) {
		size_t len = 0;
		int tid;

		while (in + len < used && text[in + len] != '\n')
			len++;
		if (in + len < used)
			len++;	/* the newline */
		if (len > 4 && strncmp(text + in, "TID ", 4) == 0 &&
		    sscanf(text + in, "TID %d:", &tid) == 1)
			dropping = was_there_before(tid);
		if (!dropping) {
			memmove(text + out, text + in, len);
			out += len;
		}
		in += len;
	}
	return out;
}

/*
 * Runs eu-stack (or gdb) on this process and sends what it prints as kind;
 * with new_only, only the threads started since the scenario began.
 * Forks and execs: only from an unconfined thread (the watchdog, or the
 * thread that called verdict_run()). No malloc: also runs after a crash.
 */
static void dump_stacks_of(size_t index, const char *kind, bool new_only)
{
	static char text[STACKS_CAP];
	char pid[24];
	int fds[2];
	size_t used = 0;
	pid_t child;

	if (getenv("TC_NO_STACKS") || pipe(fds) != 0)
		return;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	child = fork();
	if (child == 0) {
		close(fds[0]);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		execlp("eu-stack", "eu-stack", "-s", "-p", pid, (char *)NULL);
		execlp("gdb", "gdb", "-q", "-batch", "-p", pid,
		       "-ex", "thread apply all bt", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	used = tc_child_output(child, fds[0], text, sizeof(text), 500);	/* at most 10 s */
	if (new_only)
		used = only_new_threads(text, used);
	tc_channel_send(kind, index, text, used);
}

static void dump_stacks(size_t index, const char *kind)
{
	dump_stacks_of(index, kind, false);
}

/* From a confined thread: has the watchdog dump the stacks; waits for it. */
static void request_dump(size_t index)
{
	atomic_store(&dump_index, index);
	atomic_store(&dump_requested, 1);
	for (int i = 0; i < 600 && atomic_load(&dump_requested); i++)	/* 12 s */
		sleep_ms(20);
}

/*
 * Marks where a scenario's share of the process's stdout and stderr (one
 * pipe) begins and ends, so that the grader can show learners what their
 * code printed in each test (harness/src/learner_output.h). Only for the
 * learner's eyes: no verdict is read from the output. Async-signal-safe
 * when flush is false.
 */
static void output_mark(const char *what, size_t index, bool flush)
{
	char line[64], digits[24];
	size_t len = 0, nd = 0;

	if (!tc_channel_ready())
		return;
	if (flush) {
		fflush(stdout);
		fflush(stderr);
	}
	do
		digits[nd++] = (char)('0' + index % 10);
	while ((index /= 10) > 0 && nd < sizeof(digits));
	memcpy(line, "\n\036tc-output ", 12);
	len = 12;
	for (; *what && len < 40; what++)
		line[len++] = *what;
	line[len++] = ' ';
	while (nd > 0)
		line[len++] = digits[--nd];
	line[len++] = '\036';
	line[len++] = '\n';
	if (write(1, line, len) < 0) {
		/* Nobody reads the output: nothing to mark. */
	}
}

static void on_fatal_signal(int sig)
{
	char text[4] = { (char)('0' + sig / 10), (char)('0' + sig % 10), '\0' };
	size_t index = atomic_load(&armed_index);
	static atomic_flag dumped = ATOMIC_FLAG_INIT;

	output_mark("end", index, false);
	tc_channel_send_text("crash", index, text);
	if (!atomic_flag_test_and_set(&dumped) && !getenv("TC_NO_STACKS"))
		request_dump(index);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* This process's resident memory in MiB, or -1. */
static long resident_mb(void)
{
	long pages = -1;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%*d %ld", &pages) != 1)
			pages = -1;
		fclose(f);
	}
	return pages < 0 ? -1 : pages * (sysconf(_SC_PAGESIZE) / 1024) / 1024;
}

/* Told by the grader (TC_HURRY_FILE exists) that a scenario timed out. */
static bool earlier_timeout_seen(void)
{
	const char *path = getenv("TC_HURRY_FILE");

	return path && *path && access(path, F_OK) == 0;
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
		if (atomic_load(&dump_requested)) {
			dump_stacks(atomic_load(&dump_index), "stacks");
			atomic_store(&dump_requested, 0);
		}
		if (!deadline || world_now_ns() < deadline)
			continue;
		snprintf(text, sizeof(text), "%.1f\t%ld",
			 (double)atomic_load(&armed_seconds_x10) / 10.0, resident_mb());
		output_mark("end", index, false);
		lockgraph_report(index);	/* a cycle of mutexes, named */
		dump_stacks(index, "stacks");
		tc_channel_send_text("timeout", index, text);
		_exit(3);
	}
	return NULL;
}

static void start_once(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGTRAP };
	pthread_t dog;

	tc_channel_open();
	/* Line by line: what a test printed before it crashed still shows. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], on_fatal_signal);
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	if (pthread_create(&dog, NULL, watchdog, NULL) == 0)
		pthread_detach(dog);
	/* Valgrind does not support seccomp filters: under it, the grader says so. */
	if (getenv("TC_NO_SECCOMP"))
		snprintf(confine_why, sizeof(confine_why), "n/a");
	else
		confined_ok = confine_prepare(confine_why, sizeof(confine_why));
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
 * the scenario, and reports "leak" ("threads<TAB>descriptors" left over)
 * and "leakstacks" when something stayed behind: the stacks of the threads
 * this scenario left, not of those an earlier scenario left (so the two
 * counts agree).
 */
static void check_leaks_after(size_t index, int threads_before, int fds_before)
{
	int threads = census_settle(threads_before, 500);
	int fds = count_descriptors();
	char text[64];

	if (threads <= threads_before && fds <= fds_before)
		return;
	dump_stacks_of(index, "leakstacks", true);
	snprintf(text, sizeof(text), "%d\t%d", threads - threads_before, fds - fds_before);
	tc_channel_send_text("leak", index, text);
}

/* The leak build's heap counter (heapcount.h; weak: absent in other builds). */
extern long long heapcount_in_use(void) __attribute__((weak));

/*
 * Every thread the learner's code started has ended once the scenario is
 * over (whatever the harness's own bookkeeping says): measured here, from
 * the process's thread list, after a grace of 0.5 s (times the tools'
 * slow-down factor) for threads that are just finishing.
 */
static void check_threads_ended(struct check *c, const struct scenario *s, int before)
{
	int after = census_settle(before, (unsigned)(500 * scenario_timeout_factor()));

	if (after > before)
		check_fail(c, s->clause, "%d thread%s your code started %s still running %.1f s "
			   "after the test's last call returned; every thread must have ended "
			   "(joined) by then", after - before, after - before == 1 ? "" : "s",
			   after - before == 1 ? "was" : "were", 0.5 * scenario_timeout_factor());
}

struct scenario_run {
	const struct scenario *s;
	struct check *c;
	const struct scenario_env *env;
	size_t index;
	atomic_bool completed;
};

/* The scenario's own thread: confined, then the scenario. */
static void *run_confined(void *arg)
{
	struct scenario_run *r = arg;
	static atomic_flag told = ATOMIC_FLAG_INIT;
	char why[256] = "";
	bool on = confined_ok && confine_thread(why, sizeof(why));

	if (!atomic_flag_test_and_set(&told)) {
		char text[300];

		if (on)
			snprintf(text, sizeof(text), "on");
		else if (!strcmp(confine_why, "n/a"))
			snprintf(text, sizeof(text), "n/a");
		else
			snprintf(text, sizeof(text), "off\t%s", confined_ok ? why : confine_why);
		tc_channel_send_text("seccomp", r->index, text);
	}
	r->s->run(r->c, r->env);
	atomic_store(&r->completed, true);
	return NULL;
}

/*
 * Heap still in use after a scenario, even if a static still points to it:
 * runs the scenario a second time (the first paid for one-time set-up, such
 * as stdio's buffers) and reports "heap" with the bytes it added, when it
 * added any. LeakSanitizer alone counts only blocks nothing points to.
 */
static void check_heap_growth(struct scenario_run *first, pthread_attr_t *attr)
{
	struct check again;
	struct scenario_run r = { .s = first->s, .c = &again, .env = first->env,
			    .index = first->index };
	long long before, after;
	pthread_t thread;
	char text[64];

	memset(&again, 0, sizeof(again));
	before = heapcount_in_use();
	if (pthread_create(&thread, attr, run_confined, &r) != 0)
		return;
	pthread_join(thread, NULL);
	after = heapcount_in_use();
	if (!atomic_load(&r.completed) || after <= before)
		return;
	snprintf(text, sizeof(text), "%lld", after - before);
	tc_channel_send_text("heap", first->index, text);
}

void verdict_run(size_t index, struct check *c, const struct scenario_env *env)
{
	bool leak_check = getenv("TC_LEAK_CHECK") != NULL;
	int threads_before = 0, fds_before = 0;
	unsigned long busy_before;
	const char *busy_name = NULL;
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct scenario_run r = { .s = scenario_get(index), .c = c, .env = env, .index = index };
	double seconds = r.s->timeout_s;
	pthread_attr_t attr;
	pthread_t thread;

	pthread_once(&once, start_once);
	memset(c, 0, sizeof(*c));
	if (earlier_timeout_seen() && seconds > AFTER_TIMEOUT_S)
		seconds = AFTER_TIMEOUT_S;
	seconds *= scenario_timeout_factor();
	tc_channel_send_text("begin", index, r.s->name);
	output_mark("begin", index, true);
	atomic_store(&armed_index, index);
	atomic_store(&armed_seconds_x10, (uint64_t)(seconds * 10));
	atomic_store(&armed_deadline_ns, world_now_ns() + (uint64_t)(seconds * 1e9));

	threads_before = census_threads();
	busy_before = service_destroyed_busy(NULL);
	if (leak_check) {
		fds_before = count_descriptors();
		ntids_before = census_thread_ids(tids_before, 1024);
		if (ntids_before < 0)
			ntids_before = 0;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 16u << 20);
	if (pthread_create(&thread, &attr, run_confined, &r) != 0) {
		check_fail(c, r.s->clause, "the harness could not start the scenario's thread");
	} else {
		pthread_join(thread, NULL);
		if (!atomic_load(&r.completed)) {
			atomic_store(&armed_deadline_ns, 0);
			output_mark("end", index, true);
			tc_channel_send_text("early", index, "");
			pthread_attr_destroy(&attr);
			return;
		}
	}
	if (leak_check)
		check_leaks_after(index, threads_before, fds_before);
	else if (!c->failed && !env->small)
		check_threads_ended(c, r.s, threads_before);
	if (!c->failed && service_destroyed_busy(&busy_name) > busy_before)
		check_fail(c, r.s->clause, "a call to the %s was still in progress when the test "
			   "ended: work went on after your function returned (every call must "
			   "have finished by then)", busy_name ? busy_name : "service");
	if (leak_check && !c->failed && heapcount_in_use)
		check_heap_growth(&r, &attr);
	pthread_attr_destroy(&attr);

	atomic_store(&armed_deadline_ns, 0);
	output_mark("end", index, true);
	if (c->failed) {
		char text[sizeof(c->message) + 64];

		snprintf(text, sizeof(text), "fail\t%s\t%s", c->clause, c->message);
		tc_channel_send_text("end", index, text);
	} else {
		tc_channel_send_text("end", index, "pass");
	}
}

void verdict_done(size_t count)
{
	char text[32];

	snprintf(text, sizeof(text), "%zu", count);
	tc_channel_send_text("done", 0, text);
}
