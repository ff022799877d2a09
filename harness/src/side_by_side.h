/*
 * side_by_side.h - running gates of one grading side by side, each in a
 * copy of the workspace with a sandbox uid and a scratch directory of its
 * own, so that no run can see, signal or be ended with another (proc.h
 * ends every process of a run's uid)
 *
 * Used by grade.c for the race and leak gates; throughput never runs here
 * (it always runs alone). Each side_run belongs to its caller; the threads
 * write only their own gate's result in g->result. Not reentrant for one
 * grading.
 */
#ifndef GRADER_SIDE_BY_SIDE_H
#define GRADER_SIDE_BY_SIDE_H

#include <pthread.h>
#include <stdbool.h>

#include "grade.h"

/* One gate's run beside the others. */
struct side_run {
	struct grading *g;
	enum gate i;
	struct workspace w;		/* the copy: its own uid and scratch_dir */
	pthread_t thread;
	bool started;
};

/* Runs gate i with its row of the table into g's result, and times it. Blocks. */
void run_gate_in(struct grading *g, const struct workspace *w, enum gate i);

/*
 * Starts the gates of runs[0..n) side by side (each runs[k] needs .g and
 * .i); the caller joins each started thread, then calls side_close(). False
 * (nothing left running, results cleared) when that cannot be done safely:
 * no sandbox uid of its own to give each run, or a copy or a thread that
 * could not be made; the caller then runs the gates one after another.
 */
bool run_side_by_side(struct grading *g, struct side_run *runs, size_t n);

/* Removes what a side run made (every process of its uid has ended). */
void side_close(struct side_run *s);

#endif
