/*
 * job.h - what the caller asks of one grading (grade.h runs it)
 *
 * The strings belong to the caller and must outlive the grading (the
 * workspace keeps pointers to them); the struct itself is read only by
 * grade_begin().
 */
#ifndef GRADER_JOB_H
#define GRADER_JOB_H

#include <stdbool.h>

#include "result.h"

struct grade_job {
	const char *root;		/* the workbook */
	const char *build_root;		/* where workspaces go */
	const char *cache_root;		/* the harness's compiled objects */
	const char *submission_root;	/* hidden from the learner's code, or NULL */
	unsigned slot;			/* 0, 1, ...: one per concurrent grading */
	bool require_sandbox;		/* a missing sandbox layer is an error */
	bool all_output;		/* -v: all the learner's printed output */
	const char *tests;		/* TEST=: scenarios to run (test_filter.h),
					   or NULL: all, a full grade */
	const char *seed;		/* the perturbation seed of the scenario gates
					   (decimal), "off", or NULL: one from the clock */
	/*
	 * Called, when not NULL, in the grading's thread as soon as a gate's
	 * result is final (scored), in table order. Gates failed together by
	 * an earlier problem (no build, a refused file) are not reported
	 * here, only in the final result.
	 */
	void (*gate_done)(const struct chapter_result *c, enum gate i, void *arg);
	void *gate_done_arg;
};

#endif
