/*
 * spawn.h - the start of one proc_run() run; private to proc.c
 */
#ifndef GRADER_SPAWN_H
#define GRADER_SPAWN_H

#include <sys/types.h>

#include "proc.h"

/*
 * Makes the run's channel (when o->channel_dir: a FIFO, its token in
 * r->token), the pipe for the child's output, then forks and execs argv in
 * the child with o's limits and sandbox. Returns the child's pid, or -1;
 * either way the caller closes *out_fd (when the pid is valid),
 * *chan_fd and *chan_keep (when >= 0), unlinks and frees *chan_path.
 * Thread-safe.
 */
pid_t proc_start(const char *const *argv, const struct proc_opts *o,
		 struct proc_result *r, int *out_fd, int *chan_fd, int *chan_keep,
		 char **chan_path);

#endif
