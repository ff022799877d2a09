#define _GNU_SOURCE
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <grp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
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

/* Writes text to a /proc file; async-signal-safe. */
static void write_proc_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0) {
			/* The namespace stays as it is. */
		}
		close(fd);
	}
}

/*
 * Enters the sandbox, in the child. Each step that the system refuses is
 * skipped: the rlimits and the process group still hold.
 */
static void enter_sandbox(const struct sandbox *s)
{
	bool root = geteuid() == 0;

	if (root) {
		if (unshare(CLONE_NEWNS | CLONE_NEWNET) != 0)
			return;
	} else {
		char map[64];
		unsigned uid = (unsigned)getuid(), gid = (unsigned)getgid();
		int n;

		if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) != 0)
			return;
		write_proc_file("/proc/self/setgroups", "deny");
		n = snprintf(map, sizeof(map), "%u %u 1", uid, uid);
		if (n > 0)
			write_proc_file("/proc/self/uid_map", map);
		n = snprintf(map, sizeof(map), "%u %u 1", gid, gid);
		if (n > 0)
			write_proc_file("/proc/self/gid_map", map);
	}
	mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL);
	for (const char *const *dir = s->hide; dir && *dir; dir++)
		mount("tmpfs", *dir, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		      "size=4k,mode=0555");
	if (root && s->uid) {
		set_limit(RLIMIT_NPROC, s->max_tasks ? s->max_tasks : 1024);
		if (setgroups(0, NULL) != 0 || setgid(s->uid) != 0 || setuid(s->uid) != 0)
			_exit(125);
	}
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
	if (o->sandbox)
		enter_sandbox(o->sandbox);
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

/*
 * The processes of one run: with a sandbox user of its own, every process of
 * that uid (setsid() or a double fork cannot escape it; Criterion gives each
 * test process a session of its own); otherwise the child's process group
 * and every descendant of the child still attached to it. Fills pids (up
 * to max) and returns how many; *rss_mb gets their resident memory.
 */
static size_t run_processes(pid_t child, unsigned uid, pid_t *pids, size_t max,
			    unsigned long *rss_mb)
{
	DIR *proc = opendir("/proc");
	struct dirent *e;
	size_t n = 0, all = 0;
	unsigned long kb = 0;
	static __thread struct { pid_t pid, ppid, pgrp; long rss; unsigned uid; } seen[8192];

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
		    sscanf(close_paren + 2, "%*c %d %d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u "
			   "%*d %*d %*d %*d %*d %*d %*u %*u %ld", &seen[all].ppid, &seen[all].pgrp,
			   &seen[all].rss) == 3) {
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
		size_t n = run_processes(child, uid, pids, 4096, NULL);

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

void proc_run(const char *const *argv, const struct proc_opts *o,
	      struct proc_result *r)
{
	size_t cap = o->output_cap ? o->output_cap : DEFAULT_CAP, used = 0;
	double start = now_s(), deadline = start + o->timeout_s;
	int fds[2], status = 0;
	bool exited = false, eof = false;
	unsigned long max_mb = o->sandbox ? o->sandbox->max_memory_mb : 0;
	unsigned run_uid = o->sandbox && geteuid() == 0 ? o->sandbox->uid : 0;
	double next_memory_check = start + 0.2;
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
		if (max_mb && now_s() >= next_memory_check) {
			pid_t pids[4096];
			unsigned long rss = 0;

			next_memory_check = now_s() + 0.2;
			run_processes(pid, run_uid, pids, 4096, &rss);
			if (rss > max_mb) {
				r->out_of_memory = true;
				kill_run(pid, run_uid);
			}
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
	/* Whatever the child left behind goes with it. */
	kill_run(pid, run_uid);
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
		if (r->out_of_memory)
			snprintf(buf, size, "used more memory than allowed and was stopped");
		else
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
