/*
 * chapter.h - finds the workbook's chapters and the learner's files
 *
 * A chapter is chapters/NN-slug/ in the workbook, described by its manifest,
 * harness/manifests/NN-slug.json (manifest.h). Its learner-editable files
 * are the manifest's module sources; everything else (headers, scenarios,
 * benchmarks) always comes from the workbook, whatever the submission
 * contains.
 *
 * Ownership: chapters_discover() allocates; chapters_free() releases.
 */
#ifndef GRADER_CHAPTER_H
#define GRADER_CHAPTER_H

#include <stdbool.h>
#include <stddef.h>

#include "manifest.h"

struct chapter {
	char *id;		/* "01-serial-to-parallel" */
	char *header_dir;	/* <root>/chapters/<id>: the contract headers */
	char *learner_dir;	/* where the learner's .c files are read from */
	char **sources;		/* = manifest.sources: the learner-editable .c files */
	size_t nsources;
	char *scenarios;	/* <root>/harness/scenarios/<id>.c */
	char *bench;		/* <root>/harness/bench/<id>.c */
	/* The benchmark's arguments: "--target-efficiency=0.6", "--trials=5". */
	char *bench_args[2];
	struct chapter_manifest manifest;
};

/*
 * Lists <root>/chapters/NN-* in order, each with its manifest. Learner files
 * are read from the submission when it is not NULL, in any layout layout.h
 * accepts (NN-slug/, chapters/NN-slug/, flat, nested), else from the
 * chapter. Returns 0, or an errno value: EINVAL when a manifest is
 * missing or malformed, after printing a message naming the file on stderr.
 */
int chapters_discover(const char *root, const char *submission,
		      struct chapter **out, size_t *n);

/*
 * True when the chapter is graded on leaks: its manifest's "leaks_gate".
 * Read from the workbook's own file, so the gate list has the same shape
 * whether or not the learner's file builds.
 */
bool chapter_has_leaks_gate(const struct chapter *c);

/*
 * False when the chapter's contract keeps its state under a lock and its
 * manifest says "atomics": false: the policy then refuses C11 atomics and
 * the __atomic and __sync builtins in learner code (the tools and the
 * perturbation cannot reach between two atomic steps, so a check-then-act
 * built from them would pass unseen).
 */
bool chapter_allows_atomics(const struct chapter *c);

/* True when selector ("3", "03", "03-worker-pool") names c. */
bool chapter_matches(const struct chapter *c, const char *selector);

void chapters_free(struct chapter *chapters, size_t n);

#endif
