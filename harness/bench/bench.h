/*
 * bench.h - the throughput gate's driver, shared by every chapter
 *
 * A chapter's bench file (harness/bench/NN-slug.c) defines chapter_bench.
 * bench_main.c times the serial baseline and the learner's code in the same
 * process, alternating them trial by trial so both see the same machine
 * load, takes the median of each, and writes the figures as JSON.
 *
 * The target efficiency and the number of trials are the chapter's manifest's
 * (harness/manifests/NN-slug.json); the grader passes them on the command line.
 *
 * The workload is dominated by simulated I/O latency (sleeps), so the ideal
 * time n * L / p holds on a 1- or 2-core machine too.
 */
#ifndef HARNESS_BENCH_H
#define HARNESS_BENCH_H

#include <stdbool.h>
#include <stddef.h>

struct bench {
	const char *workload;		/* one line: items, latency, parallelism */
	/* n * L / p: the best possible time, in seconds (called after setup) */
	double (*ideal_s)(void);

	/* Prepares the simulated world for one run; false on harness error. */
	bool (*setup)(void);
	/* The serial baseline: the same work, one item after another. */
	void (*run_baseline)(void);
	/*
	 * The harness's own well-made parallel version of the same work, at the
	 * same parallelism the learner is given (not the reference solution,
	 * which a graded bundle does not ship). Timed alongside the serial
	 * baseline and the learner's code, trial by trial: the throughput
	 * points run from the serial efficiency (0) to this one's (full marks).
	 * NULL: the ideal time stands in for it.
	 */
	void (*run_reference)(void);
	/* The learner's code, once. */
	void (*run_submission)(void);
	/*
	 * After run_submission: checks that all the work was done, exactly once,
	 * within the limits. Returns false and describes the problem otherwise,
	 * so that skipping work never looks fast.
	 */
	bool (*verify)(char *problem, size_t size);
	/* Releases what setup() took. */
	void (*teardown)(void);
};

extern const struct bench chapter_bench;

#endif
