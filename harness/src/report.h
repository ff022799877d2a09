/*
 * report.h - what the grader prints and writes
 *
 * The terminal shows each chapter's gates as PASS/FAIL lines with points and
 * a one-line reason, then a table of all graded chapters. REPORT=FILE gets
 * the same results as JSON (built with jansson), in the shape documented in
 * harness/README.md.
 */
#ifndef GRADER_REPORT_H
#define GRADER_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "result.h"

/* Prints one chapter's gates; with details, every feedback line too. */
void report_print_chapter(FILE *out, const struct chapter_result *c, bool details);

/* Prints the summary table of n chapters and the total. */
void report_print_table(FILE *out, const struct chapter_result *c, size_t n);

/* Writes the JSON report to path. Returns 0, or -1 with a message on stderr. */
int report_write_json(const char *path, const struct chapter_result *c, size_t n);

#endif
