/*
 * batch.h - grades a whole class: one folder per submission
 *
 * DIR/<name>/ may use any layout layout.h accepts (like chapters/, a clone
 * of the workbook with chapters/, flat, nested), each folder its own.
 * Two phases, so that timing stays fair: first `jobs` gradings at once
 * (build, policy, correctness, ThreadSanitizer, Helgrind, leaks), each in a
 * sandbox slot of its own; then the throughput gates one at a time, with
 * nothing else running. Writes a CSV and a JSON gradebook (gradebook.h).
 */
#ifndef GRADER_BATCH_H
#define GRADER_BATCH_H

#include <stdbool.h>
#include <stddef.h>

struct batch_opts {
	const char *root;		/* the workbook */
	const char *build_root;
	const char *dir;		/* the submissions */
	const char *const *chapters;	/* selectors, NULL-ended; NULL: all */
	const char *csv_path;		/* gradebook.csv */
	const char *json_path;		/* gradebook.json */
	unsigned jobs;			/* concurrent gradings in phase one */
	bool only_submitted;		/* skip chapters a submission has no file for */
	bool require_sandbox;		/* a missing sandbox layer is an error */
	const char *seed;		/* as grade_job's seed */
};

/* Returns 0 when the gradebook was written, 2 when the grader could not run. */
int batch_grade(const struct batch_opts *o);

#endif
