#define _GNU_SOURCE
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_CAP (64 * 1024)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_limit(int resource, rlim_t value)
{
	struct rlimit rl = { value, value };

	setrlimit(resource, &rl);
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void exec_child(const char *const *argv, const struct proc_opts *o,
		       int out_fd, char **envp)
{
	int null_fd = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	if (null_fd >= 0)
		dup2(null_fd, 0);
	dup2(out_fd, 1);
	dup2(out_fd, 2);
	if (o->cwd && chdir(o->cwd) != 0)
		_exit(126);
	set_limit(RLIMIT_CORE, 0);
	set_limit(RLIMIT_FSIZE, 256u << 20);
	set_limit(RLIMIT_NOFILE, 1024);
	set_limit(RLIMIT_CPU, (rlim_t)(o->timeout_s * 2 + 10));
	if (!o->big_address_space)
		set_limit(RLIMIT_AS, 8ull << 30);
	execvpe(argv[0], (char *const *)argv, envp);
	_exit(127);
}

static char **build_env(const char *const *extra)
{
	static const char *const base[] = {
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"LC_ALL=C",
	};
	size_t n = 0, k = 0;
	char **envp;

	while (extra && extra[n])
		n++;
	envp = calloc(n + 3, sizeof(*envp));
	if (!envp)
		return NULL;
	for (size_t i = 0; i < 2; i++)
		envp[k++] = (char *)base[i];
	for (size_t i = 0; i < n; i++)
		envp[k++] = (char *)extra[i];
	return envp;
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

void proc_run(const char *const *argv, const struct proc_opts *o,
	      struct proc_result *r)
{
	size_t cap = o->output_cap ? o->output_cap : DEFAULT_CAP, used = 0;
	double start = now_s(), deadline = start + o->timeout_s;
	int fds[2], status = 0;
	bool exited = false, eof = false;
	char **envp;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->end = PROC_NOT_STARTED;
	r->output = calloc(cap + 1, 1);
	envp = build_env(o->env);
	if (!r->output || !envp || pipe2(fds, O_CLOEXEC) != 0) {
		free(envp);
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		exec_child(argv, o, fds[1], envp);
	}
	close(fds[1]);
	free(envp);
	if (pid < 0) {
		close(fds[0]);
		return;
	}
	setpgid(pid, pid);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);

	while (!exited || !eof) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		double left = deadline - now_s();
		char chunk[8192];
		ssize_t got;

		if (!exited && waitpid(pid, &status, WNOHANG) == pid)
			exited = true;
		if (exited) {
			/* Drain what is there; a grandchild may hold the pipe open. */
			while ((got = read(fds[0], chunk, sizeof(chunk))) > 0) {
				size_t keep = (size_t)got < cap - used ? (size_t)got : cap - used;

				memcpy(r->output + used, chunk, keep);
				used += keep;
				r->output_dropped += (size_t)got - keep;
			}
			break;
		}
		if (left <= 0) {
			if (o->stacks_on_timeout)
				r->stacks = capture_stacks(pid);
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			r->end = PROC_TIMED_OUT;
			break;
		}
		if (eof) {
			usleep(left > 0.02 ? 20000 : (useconds_t)(left * 1e6));
			continue;
		}
		if (poll(&pfd, 1, left > 0.05 ? 50 : (int)(left * 1000) + 1) > 0) {
			got = read(fds[0], chunk, sizeof(chunk));
			if (got > 0) {
				size_t keep = (size_t)got < cap - used ? (size_t)got : cap - used;

				memcpy(r->output + used, chunk, keep);
				used += keep;
				r->output_dropped += (size_t)got - keep;
			} else if (got == 0) {
				eof = true;
			}
		}
	}
	close(fds[0]);
	/* Whatever the child left behind in its group goes with it. */
	kill(-pid, SIGKILL);
	r->wall_s = now_s() - start;
	r->output[used] = '\0';
	if (r->end == PROC_TIMED_OUT)
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
	r->output = r->stacks = NULL;
}

const char *proc_describe(const struct proc_result *r, char *buf, size_t size)
{
	switch (r->end) {
	case PROC_EXITED:
		snprintf(buf, size, "exited with status %d", r->code);
		break;
	case PROC_SIGNALED:
		snprintf(buf, size, "crashed (SIG%s)",
			 sigabbrev_np(r->sig) ? sigabbrev_np(r->sig) : "?");
		break;
	case PROC_TIMED_OUT:
		snprintf(buf, size, "timed out after %.1f s", r->wall_s);
		break;
	default:
		snprintf(buf, size, "could not be started");
	}
	return buf;
}
