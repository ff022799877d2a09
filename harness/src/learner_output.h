/*
 * learner_output.h - what the learner's own code printed during each test
 *
 * The harness marks, in the output of a graded process (stdout and stderr
 * share one pipe), where each scenario's share begins and ends
 * (harness/lib/verdict.c, output_mark). These functions cut out one
 * scenario's share and make it safe to show: every line is prefixed with
 * "| " and control characters and terminal escape sequences are dropped, so
 * the learner's printing can never look like a line of the grader's. No
 * verdict is ever read from this text.
 *
 * Ownership: results are malloc'd for the caller. Thread-safe (no state).
 */
#ifndef GRADER_LEARNER_OUTPUT_H
#define GRADER_LEARNER_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "result.h"

/* Lines and bytes of one test's output shown without VERBOSE=1 / -v. */
#define LEARNER_OUTPUT_LINES 40
#define LEARNER_OUTPUT_BYTES 4096

/*
 * True when scenario index's share of output (as learner_output_of() finds
 * it) contains text. Does not allocate.
 */
bool learner_output_has(const char *output, size_t index, const char *text);

/*
 * Scenario `index`'s printed text in output, cleaned, one "| "-prefixed
 * line each, at most max_lines lines and max_bytes bytes of text (0: no
 * limit); *more gets how many lines were left out. NULL when it printed
 * nothing.
 */
char *learner_output_of(const char *output, size_t index, size_t max_lines,
			size_t max_bytes, size_t *more);

/*
 * Adds to g's details what scenario `index` printed, under the label "your
 * program printed:", capped unless `all`; nothing when it printed nothing.
 */
void learner_output_add(struct gate_result *g, const char *output, size_t index, bool all);

/* Removes the harness's marks (each a line, with the newline before it) from text, in place. */
void learner_output_strip_marks(char *text);

#endif
