#define _GNU_SOURCE
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "spawn.h"

#define DEFAULT_CAP (64 * 1024)
#define CHANNEL_CAP (4 * 1024 * 1024)

double proc_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void proc_trace(const char *format, ...)
{
	static _Atomic double origin;
	const char *on = getenv("TC_TRACE_TIMES");
	char text[512];
	va_list ap;
	double now = proc_now_s(), zero = 0;

	if (!on || !*on)
		return;
	atomic_compare_exchange_strong(&origin, &zero, now);
	va_start(ap, format);
	vsnprintf(text, sizeof(text), format, ap);
	va_end(ap);
	fprintf(stderr, "[trace] %7.3f %s\n", now - atomic_load(&origin), text);
}

/*
 * The processes of one run: with a sandbox user of its own, every process of
 * that uid (setsid() or a double fork cannot escape it; Criterion gives each
 * test process a session of its own); otherwise the child's process group
 * and every descendant of the child still attached to it. Fills pids (up
 * to max) and returns how many; *rss_mb gets their resident memory.
 */
/* longer: reading /proc and picking the run's processes share one snapshot */
static size_t run_processes(pid_t child, unsigned uid, pid_t *pids, size_t max,
			    unsigned long *rss_mb, pid_t *stopped)
{
	DIR *proc = opendir("/proc");
	struct dirent *e;
	size_t n = 0, all = 0;
	unsigned long kb = 0;
	static __thread struct {
		pid_t pid, ppid, pgrp;
		long rss;
		unsigned uid;
		char state;
	} seen[8192];

	while (proc && (e = readdir(proc)) != NULL && all < 8192) {
		char path[300], buf[1024], *close_paren;
		struct stat st;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s", e->d_name);
		if (stat(path, &st) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && (close_paren = strrchr(buf, ')')) &&
		    sscanf(close_paren + 2, "%c %d %d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u "
			   "%*d %*d %*d %*d %*d %*d %*u %*u %ld", &seen[all].state, &seen[all].ppid,
			   &seen[all].pgrp, &seen[all].rss) == 4) {
			seen[all].pid = atoi(e->d_name);
			seen[all].uid = (unsigned)st.st_uid;
			all++;
		}
		fclose(f);
	}
	if (proc)
		closedir(proc);
	/* Repeated passes pick up descendants in any order of /proc. */
	for (bool grew = true; grew;) {
		grew = false;
		for (size_t i = 0; i < all; i++) {
			bool mine = uid ? seen[i].uid == uid :
				    seen[i].pid == child || seen[i].pgrp == child;

			for (size_t k = 0; !mine && !uid && k < n; k++)
				mine = seen[i].ppid == pids[k];
			if (!mine || seen[i].pid == 0)
				continue;
			if (n < max)
				pids[n++] = seen[i].pid;
			kb += (unsigned long)seen[i].rss * (unsigned long)(sysconf(_SC_PAGESIZE) / 1024);
			/* 'T' is a job-control stop; 't' (a tracer's stop) is eu-stack's. */
			if (stopped && seen[i].state == 'T' && !*stopped)
				*stopped = seen[i].pid;
			seen[i].pid = 0;
			grew = true;
		}
	}
	if (rss_mb)
		*rss_mb = kb / 1024;
	return n;
}

/* Kills every process of the run, until none is left (or 20 tries). */
static void kill_run(pid_t child, unsigned uid)
{
	pid_t pids[4096];

	kill(-child, SIGKILL);
	for (int round = 0; round < 20; round++) {
		size_t n = run_processes(child, uid, pids, 4096, NULL, NULL);

		if (n == 0 || (n == 1 && pids[0] == child && !uid))
			return;
		for (size_t i = 0; i < n; i++)
			if (pids[i] != getpid())
				kill(pids[i], SIGKILL);
		usleep(5000);
	}
}

static char *capture_stacks(pid_t pid)
{
	char pidtext[24];
	const char *argv[] = { "eu-stack", "-s", "-p", pidtext, NULL };
	struct proc_opts o = { .timeout_s = 15, .output_cap = 256 * 1024 };
	struct proc_result r;

	snprintf(pidtext, sizeof(pidtext), "%d", (int)pid);
	proc_run(argv, &o, &r);
	free(r.stacks);
	return r.output;
}

/* Appends got bytes of chunk to a capped buffer. */
static void keep_bytes(char *buf, size_t cap, size_t *used, size_t *dropped,
		       const char *chunk, size_t got)
{
	size_t keep = got < cap - *used ? got : cap - *used;

	memcpy(buf + *used, chunk, keep);
	*used += keep;
	*dropped += got - keep;
}

/* Reads what fd has now; false at end of file (or error other than EAGAIN). */
static bool drain(int fd, char *buf, size_t cap, size_t *used, size_t *dropped)
{
	char chunk[8192], shown[2 * sizeof(chunk)];

	for (;;) {
		ssize_t got = read(fd, chunk, sizeof(chunk));

		if (got > 0) {
			size_t n = 0;

			/* A NUL byte would end the text early: it reads "\0". */
			for (ssize_t i = 0; i < got; i++) {
				if (chunk[i] == '\0') {
					shown[n++] = '\\';
					shown[n++] = '0';
				} else {
					shown[n++] = chunk[i];
				}
			}
			keep_bytes(buf, cap, used, dropped, shown, n);
			continue;
		}
		return got < 0 && (errno == EAGAIN || errno == EINTR);
	}
}

/* Creates the hurry file once a genuine "timeout" message has arrived. */
static void maybe_hurry(const struct proc_opts *o, struct proc_result *r, bool *hurried)
{
	char needle[64];
	int fd;

	if (*hurried || !o->hurry_path || !r->channel)
		return;
	snprintf(needle, sizeof(needle), "%s timeout ", r->token);
	if (!strstr(r->channel, needle))
		return;
	*hurried = true;
	fd = open(o->hurry_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

/* longer: one watch loop, its ways out (exit, stop, memory, deadline) side by side */
void proc_run(const char *const *argv, const struct proc_opts *o,
	      struct proc_result *r)
{
	size_t cap = o->output_cap ? o->output_cap : DEFAULT_CAP, used = 0;
	double start = proc_now_s(), deadline = start + o->timeout_s;
	int out_fd = -1, chan_fd = -1, chan_keep = -1, status = 0;
	char *chan_path = NULL;
	bool exited = false, out_open = true, chan_open, hurried = false;
	unsigned long max_mb = o->sandbox ? o->sandbox->max_memory_mb : 0;
	unsigned run_uid = o->sandbox && geteuid() == 0 ? o->sandbox->uid : 0;
	double next_check = start + 0.2;
	pid_t pid, last_stop = 0;

	memset(r, 0, sizeof(*r));
	r->end = PROC_NOT_STARTED;
	r->output = xcalloc(cap + 1, 1);
	if (o->channel_dir)
		r->channel = xcalloc(CHANNEL_CAP + 1, 1);
	pid = proc_start(argv, o, r, &out_fd, &chan_fd, &chan_keep, &chan_path);
	if (pid < 0) {
		if (chan_fd >= 0)
			close(chan_fd);
		if (chan_keep >= 0)
			close(chan_keep);
		if (chan_path)
			unlink(chan_path);
		free(chan_path);
		return;
	}
	setpgid(pid, pid);
	fcntl(out_fd, F_SETFL, O_NONBLOCK);
	if (chan_fd >= 0)
		fcntl(chan_fd, F_SETFL, O_NONBLOCK);
	chan_open = chan_fd >= 0;

	for (;;) {
		struct pollfd pfd[2] = { { .fd = out_open ? out_fd : -1, .events = POLLIN },
					 { .fd = chan_open ? chan_fd : -1, .events = POLLIN } };
		double left = deadline - proc_now_s();
		pid_t w;
		bool stopped = false;

		w = exited ? 0 : waitpid(pid, &status, WNOHANG | WUNTRACED);
		if (w == pid && WIFSTOPPED(status))
			stopped = true;
		else if (w == pid)
			exited = true;
		if (exited) {
			/* Drain what is there; a grandchild may hold a pipe open. */
			drain(out_fd, r->output, cap, &used, &r->output_dropped);
			if (chan_fd >= 0)
				drain(chan_fd, r->channel, CHANNEL_CAP, &r->channel_len,
				      &r->channel_dropped);
			break;
		}
		if (o->sandbox && proc_now_s() >= next_check) {
			pid_t pids[4096];
			unsigned long rss = 0;

			pid_t stop = 0;

			next_check = proc_now_s() + 0.2;
			run_processes(pid, run_uid, pids, 4096, &rss, &stop);
			/*
			 * Criterion's test processes stop themselves for a moment as
			 * they start (BoxFort's SIGSTOP, until its parent continues
			 * them): a stop counts when a process is still stopped at the
			 * next check, 0.2 s later.
			 */
			stopped = stopped || (stop && stop == last_stop);
			last_stop = stop;
			if (max_mb && rss > max_mb) {
				r->out_of_memory = true;
				kill_run(pid, run_uid);
			}
		}
		if (stopped) {
			kill_run(pid, run_uid);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			r->end = PROC_STOPPED;
			break;
		}
		if (left <= 0) {
			if (o->stacks_on_timeout)
				r->stacks = capture_stacks(pid);
			kill_run(pid, run_uid);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			r->end = PROC_TIMED_OUT;
			break;
		}
		if (!out_open && !chan_open) {
			usleep(left > 0.02 ? 20000 : (useconds_t)(left * 1e6));
			continue;
		}
		if (poll(pfd, 2, left > 0.05 ? 50 : (int)(left * 1000) + 1) > 0) {
			if (out_open && pfd[0].revents)
				out_open = drain(out_fd, r->output, cap, &used, &r->output_dropped);
			if (chan_open && pfd[1].revents) {
				chan_open = drain(chan_fd, r->channel, CHANNEL_CAP,
						  &r->channel_len, &r->channel_dropped);
				maybe_hurry(o, r, &hurried);
			}
		}
	}
	/* Whatever the child left behind goes with it. */
	kill_run(pid, run_uid);
	close(out_fd);
	if (chan_fd >= 0) {
		drain(chan_fd, r->channel, CHANNEL_CAP, &r->channel_len, &r->channel_dropped);
		close(chan_fd);
		close(chan_keep);
		unlink(chan_path);
	}
	free(chan_path);
	r->wall_s = proc_now_s() - start;
	{
		size_t last = 0;

		while (argv[last + 1])
			last++;
		proc_trace("ran %.2f s: %s ... %s", r->wall_s, argv[0],
			   strrchr(argv[last], '/') ? strrchr(argv[last], '/') + 1 : argv[last]);
	}
	r->output[used] = '\0';
	if (r->channel)
		r->channel[r->channel_len] = '\0';
	if (r->end == PROC_TIMED_OUT || r->end == PROC_STOPPED)
		return;
	if (WIFEXITED(status)) {
		r->end = PROC_EXITED;
		r->code = WEXITSTATUS(status);
		if (r->code == 127 && used == 0)
			r->end = PROC_NOT_STARTED;
	} else if (WIFSIGNALED(status)) {
		r->end = PROC_SIGNALED;
		r->sig = WTERMSIG(status);
	}
}

void proc_result_free(struct proc_result *r)
{
	free(r->output);
	free(r->stacks);
	free(r->channel);
	r->output = r->stacks = r->channel = NULL;
}

const char *proc_describe(const struct proc_result *r, char *buf, size_t size)
{
	switch (r->end) {
	case PROC_EXITED:
		snprintf(buf, size, "exited with status %d", r->code);
		break;
	case PROC_SIGNALED:
		if (r->out_of_memory)
			snprintf(buf, size, "used more memory than allowed and was stopped");
		else
			snprintf(buf, size, "crashed (SIG%s)",
				 sigabbrev_np(r->sig) ? sigabbrev_np(r->sig) : "?");
		break;
	case PROC_TIMED_OUT:
		snprintf(buf, size, "timed out after %.1f s", r->wall_s);
		break;
	case PROC_STOPPED:
		snprintf(buf, size, "stopped itself (a job-control stop such as SIGSTOP) and "
			 "was ended");
		break;
	default:
		snprintf(buf, size, "could not be started");
	}
	return buf;
}

