/*
 * chapter.h - finds the workbook's chapters and the learner's files
 *
 * A chapter is chapters/NN-slug/ in the workbook. Its learner-editable files
 * are the .c files there; everything else (headers, scenarios, benchmarks)
 * always comes from the workbook, whatever the submission contains.
 *
 * Ownership: chapters_discover() allocates; chapters_free() releases.
 */
#ifndef GRADER_CHAPTER_H
#define GRADER_CHAPTER_H

#include <stdbool.h>
#include <stddef.h>

struct chapter {
	char *id;		/* "01-serial-to-parallel" */
	char *header_dir;	/* <root>/chapters/<id>: the contract headers */
	char *learner_dir;	/* where the learner's .c files are read from */
	char **sources;		/* basenames of the learner-editable .c files */
	size_t nsources;
	char *scenarios;	/* <root>/harness/scenarios/<id>.c */
	char *bench;		/* <root>/harness/bench/<id>.c */
};

/*
 * Lists <root>/chapters/NN-* in order. Learner files are read from
 * the submission when it is not NULL, in any layout layout.h accepts
 * (NN-slug/, chapters/NN-slug/, flat, nested), else from the chapter.
 * Returns 0, or an errno value.
 */
int chapters_discover(const char *root, const char *submission,
		      struct chapter **out, size_t *n);

/*
 * True when the chapter is graded on leaks: its scenario file defines
 * chapter_checks_leaks as true. Read from the workbook's own file, so the
 * gate list has the same shape whether or not the learner's file builds.
 */
bool chapter_has_leaks_gate(const struct chapter *c);

/* True when selector ("3", "03", "03-worker-pool") names c. */
bool chapter_matches(const struct chapter *c, const char *selector);

void chapters_free(struct chapter *chapters, size_t n);

#endif
