/*
 * proc.h - runs one child program the grader does not trust
 *
 * The child gets its own process group (killed whole on timeout and after it
 * exits, so a daemonised grandchild cannot outlive its run), a clean
 * environment, stdin from /dev/null, resource limits, and a capped capture of
 * its stdout and stderr. The grader reads verdicts from files and exit
 * statuses, never from this captured text.
 *
 * With a sandbox (opts.sandbox), the child also gets a network namespace of
 * its own (no network), a mount namespace in which the listed directories
 * are hidden under empty read-only tmpfs mounts, and, when the grader runs
 * as root, a user id of its own with a process limit (threads count), so
 * it cannot write outside its scratch directory or fork without end. The
 * parent stops the whole group when its memory use passes the limit.
 *
 * Safety: thread-safe: each call waits for its own child by pid; nothing is
 * shared between calls. Between fork and exec the child makes only
 * async-signal-safe calls.
 */
#ifndef GRADER_PROC_H
#define GRADER_PROC_H

#include <stdbool.h>
#include <stddef.h>

enum proc_end {
	PROC_EXITED,		/* code holds the exit status */
	PROC_SIGNALED,		/* sig holds the signal */
	PROC_TIMED_OUT,		/* killed by the grader at the deadline */
	PROC_NOT_STARTED,	/* fork or exec failed */
	PROC_STOPPED,		/* a process of the run stopped itself (SIGSTOP) */
};

struct proc_opts {
	double timeout_s;		/* wall-clock limit */
	const char *cwd;		/* NULL: the grader's */
	const char *const *env;		/* extra NAME=value entries, NULL-ended */
	size_t output_cap;		/* bytes of output kept (0: 64 KiB) */
	bool stacks_on_timeout;		/* run eu-stack before the kill */
	bool big_address_space;		/* no RLIMIT_AS (ThreadSanitizer, Valgrind) */
	const struct sandbox *sandbox;	/* NULL: none */
	/*
	 * A channel (harness/lib/channel.h): a FIFO the grader makes in this
	 * directory (which must be the grader's own) and a fresh secret token,
	 * both named in the child's environment (TC_CHANNEL, TC_TOKEN). Every
	 * process of the run may open it (Criterion's test processes do not
	 * inherit descriptors); what arrives is kept in r->channel. NULL: none.
	 */
	const char *channel_dir;
	/* With a channel: created (empty) when a "timeout" message arrives. */
	const char *hurry_path;
	/* A descriptor of the grader's to hand over as the child's fd 4. */
	int pass_fd;			/* 0: none */
	/* Address-space randomisation off for the child (ThreadSanitizer). */
	bool no_aslr;
};

struct sandbox {
	unsigned uid;			/* run as this uid/gid when root; 0: keep */
	const char *const *hide;	/* directories to hide, NULL-ended */
	unsigned max_tasks;		/* RLIMIT_NPROC with a uid of its own */
	unsigned long max_memory_mb;	/* resident memory of the whole group */
	bool private_tmp;		/* fresh /tmp and /dev/shm in the namespace */
};

struct proc_result {
	enum proc_end end;
	int code;
	int sig;
	double wall_s;
	char *output;			/* malloc'd, NUL-terminated, capped */
	size_t output_dropped;		/* bytes beyond the cap */
	char *stacks;			/* malloc'd eu-stack output, or NULL */
	bool out_of_memory;		/* stopped for passing max_memory_mb */
	char *channel;			/* malloc'd channel bytes (NUL-ended), or NULL */
	size_t channel_len;
	size_t channel_dropped;		/* channel bytes beyond its cap */
	char token[40];			/* the token the run was given */
};

/* Runs argv[0] (looked up in PATH) with argv; fills *r. Always returns. */
void proc_run(const char *const *argv, const struct proc_opts *opts,
	      struct proc_result *r);

/* Frees what proc_run() allocated in r. */
void proc_result_free(struct proc_result *r);

/* "exited with status 3", "killed by SIGSEGV", "timed out after 5.0 s" */
const char *proc_describe(const struct proc_result *r, char *buf, size_t size);

/* Seconds on the monotonic clock (for durations only). Thread-safe. */
double proc_now_s(void);

/*
 * With TC_TRACE_TIMES set in the grader's environment: one line on stderr,
 * "[trace] <seconds since the grader's first trace> <text>", for the
 * timing breakdown of a grading (make bench-loop's notes). Does nothing
 * otherwise. Thread-safe (one fprintf per line).
 */
void proc_trace(const char *format, ...) __attribute__((format(printf, 1, 2)));

#endif
