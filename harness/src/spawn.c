/*
 * spawn.c - starting one run of proc_run(): the report channel, the
 * environment, and the child's side (limits, sandbox, exec)
 */
#define _GNU_SOURCE
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"

#define PASSED_CHILD_FD 4

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
 * Enters the sandbox, in the child. A namespace step the system refuses is
 * skipped (sandbox_layers() tells which hold); the uid change and the
 * limits never are: a child that cannot take its uid does not run.
 */
static void enter_sandbox(const struct sandbox *s)
{
	bool root = geteuid() == 0, namespaces;

	if (root) {
		namespaces = unshare(CLONE_NEWNS | CLONE_NEWNET) == 0;
	} else {
		char map[64];
		unsigned uid = (unsigned)getuid(), gid = (unsigned)getgid();
		int n;

		namespaces = unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) == 0;
		if (namespaces) {
			write_proc_file("/proc/self/setgroups", "deny");
			n = snprintf(map, sizeof(map), "%u %u 1", uid, uid);
			if (n > 0)
				write_proc_file("/proc/self/uid_map", map);
			n = snprintf(map, sizeof(map), "%u %u 1", gid, gid);
			if (n > 0)
				write_proc_file("/proc/self/gid_map", map);
		}
	}
	if (namespaces) {
		mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL);
		for (const char *const *dir = s->hide; dir && *dir; dir++)
			mount("tmpfs", *dir, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			      "size=4k,mode=0555");
		/* Private scratch places: nothing shared with other runs. */
		if (s->private_tmp) {
			mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=256m,mode=1777");
			mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			      "size=64m,mode=1777");
		}
	}
	if (root && s->uid) {
		set_limit(RLIMIT_NPROC, s->max_tasks ? s->max_tasks : 1024);
		if (setgroups(0, NULL) != 0 || setgid(s->uid) != 0 || setuid(s->uid) != 0 ||
		    getuid() == 0)
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
	/* The handed-over descriptor becomes 4. */
	if (o->pass_fd > 0 && o->pass_fd != PASSED_CHILD_FD)
		dup2(o->pass_fd, PASSED_CHILD_FD);
	else if (o->pass_fd > 0)
		fcntl(PASSED_CHILD_FD, F_SETFD, 0);
	/* Nothing else of the grader's reaches the child. */
	close_range(PASSED_CHILD_FD + 1, ~0u, 0);
	if (o->cwd && chdir(o->cwd) != 0)
		_exit(126);
	set_limit(RLIMIT_CORE, 0);
	set_limit(RLIMIT_FSIZE, 256u << 20);
	set_limit(RLIMIT_NOFILE, 1024);
	set_limit(RLIMIT_CPU, (rlim_t)(o->timeout_s * 2 + 10));
	if (!o->big_address_space)
		set_limit(RLIMIT_AS, 8ull << 30);
	if (o->no_aslr)
		personality(ADDR_NO_RANDOMIZE);
	if (o->sandbox)
		enter_sandbox(o->sandbox);
	execvpe(argv[0], (char *const *)argv, envp);
	_exit(127);
}

static char **build_env(const char *const *extra, char **owned)
{
	static const char *const base[] = {
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"LC_ALL=C",
	};
	size_t n = 0, k = 0;
	char **envp;

	while (extra && extra[n])
		n++;
	envp = xcalloc(n + 5, sizeof(*envp));
	for (size_t i = 0; i < 2; i++)
		envp[k++] = (char *)base[i];
	for (size_t i = 0; i < n; i++)
		envp[k++] = (char *)extra[i];
	for (size_t i = 0; owned && owned[i]; i++)
		envp[k++] = owned[i];
	return envp;
}

/* A fresh secret for one run: 32 hex digits. False when none can be had. */
static bool make_token(char *out, size_t size)
{
	unsigned char bytes[16];

	if (size < 33 || getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes))
		return false;
	for (size_t i = 0; i < sizeof(bytes); i++)
		snprintf(out + 2 * i, 3, "%02x", bytes[i]);
	return true;
}

/*
 * Makes the run's FIFO in dir: writable by anyone (learner processes open it;
 * only messages with the token count), read by the grader. The grader also
 * holds a write end, so that the read end never sees end-of-file between
 * two test processes. Returns the read end, or -1.
 */
static int open_channel(const char *dir, char **path, int *keep)
{
	int fd;

	*keep = -1;
	*path = xasprintf("%s/channel.%d.%lx", dir, (int)getpid(), (unsigned long)random());
	unlink(*path);
	if (mkfifo(*path, 0600) != 0 || chmod(*path, 0622) != 0)
		return -1;
	fd = open(*path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0)
		*keep = open(*path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && *keep < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

pid_t proc_start(const char *const *argv, const struct proc_opts *o,
		 struct proc_result *r, int *out_fd, int *chan_fd, int *chan_keep,
		 char **chan_path)
{
	int fds[2];
	char *owned[3] = { NULL, NULL, NULL }, **envp;
	pid_t pid;

	*chan_fd = *chan_keep = -1;
	*chan_path = NULL;
	if (o->channel_dir) {
		if (!make_token(r->token, sizeof(r->token)))
			return -1;
		*chan_fd = open_channel(o->channel_dir, chan_path, chan_keep);
		if (*chan_fd < 0)
			return -1;
		owned[0] = xasprintf("TC_CHANNEL=%s", *chan_path);
		owned[1] = xasprintf("TC_TOKEN=%s", r->token);
	}
	envp = build_env(o->env, owned);
	if (pipe2(fds, O_CLOEXEC) != 0) {
		free(envp);
		free(owned[0]);
		free(owned[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		exec_child(argv, o, fds[1], envp);
	}
	close(fds[1]);
	free(envp);
	free(owned[0]);
	free(owned[1]);
	*out_fd = fds[0];
	if (pid < 0)
		close(fds[0]);
	return pid;
}
