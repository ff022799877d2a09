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
#include <jansson.h>
#include <stdio.h>

#include "result.h"

/*
 * Prints one chapter's gates; with details, every feedback line too. It is
 * report_print_header(), report_print_gate() for each gate in table order,
 * then report_print_total(); the three let a caller print each gate's line
 * as soon as the gate is scored. None flushes out; not thread-safe on out.
 */
void report_print_chapter(FILE *out, const struct chapter_result *c, bool details);
void report_print_header(FILE *out, const char *id);
/* Nothing when gate i does not apply to the chapter. */
void report_print_gate(FILE *out, const struct chapter_result *c, enum gate i, bool details);
void report_print_total(FILE *out, const struct chapter_result *c, bool details);

/* Prints the summary table of n chapters and the total. */
void report_print_table(FILE *out, const struct chapter_result *c, size_t n);

/*
 * The report writers: each returns 0, or -1 with a message on stderr.
 *
 * report_write_json: the workbook's own report (harness/README.md).
 * report_write_gradescope: Gradescope's results.json: one test per chapter
 *	gate (name, score, max_score, status, visibility, output) and the
 *	throughput efficiencies as leaderboard entries.
 * report_write_classroom: the JSON that GitHub Classroom's grading reporter
 *	reads (base64-encoded by the workflow): version, status, max_score,
 *	tests[] with name, status, score, message.
 * report_write_junit: JUnit XML (libxml2), one testsuite per chapter and one
 *	testcase per gate, for CI dashboards.
 */
int report_write_json(const char *path, const struct chapter_result *c, size_t n);

/*
 * Opens a report file for writing without following a link and without
 * blocking on a FIFO (a report path is never trusted to be what it says).
 * Returns the descriptor, or -1.
 */
int report_open(const char *path);

/* json_dumpfd() to a file opened with report_open(). 0 on success. */
int report_dump_json(const json_t *root, const char *path, size_t flags);
int report_write_gradescope(const char *path, const struct chapter_result *c, size_t n);
int report_write_classroom(const char *path, const struct chapter_result *c, size_t n);
int report_write_junit(const char *path, const struct chapter_result *c, size_t n);

/* One chapter as the JSON report shows it (a new reference). */
json_t *report_chapter_json(const struct chapter_result *c);

/* Counts the gates that got full points (*passed) and the others (*failed). */
void report_count(const struct chapter_result *c, size_t n, int *passed, int *failed);

#endif
