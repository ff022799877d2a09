/*
 * course.h - the course policy: the instructor's one file of grading rules
 *
 * A JSON file (harness/README.md, "Course policy", documents every key; the
 * workbook's defaults are what grading does without one). Read from COURSE=FILE
 * (--course), else from <workbook>/course.json when it exists; make gradescope
 * puts it into the bundle as course.json. It sets:
 *	assignments	name -> chapters ("hw1": ["01", "02"]), for ASSIGNMENT=
 *	partial_credit	"gated" (the race, leak and throughput gates count only
 *			once correctness passes; the default) or "independent"
 *	hidden_visibility  Gradescope visibility of hidden-test results:
 *			"after_published" (default) or "hidden"
 *	gates		per gate: "mode" ("scored", "feedback": run and shown,
 *			no points, "off": not run), "weight" (x the gate's
 *			points), "visibility" (Gradescope: "visible", "hidden",
 *			"after_due_date", "after_published")
 *	chapters	per chapter ("03" or "03-worker-pool"): "weight" (x every
 *			gate's points) and "gates" as above, overriding the course's
 *	throughput	"target" (share of the harness's parallel version's
 *			efficiency, measured in the same run, that earns full
 *			marks; 0.9), "trials" (runs of the benchmark at most; 1;
 *			noise.h), "inconclusive" ("measured" or "full": how a
 *			result the noise check cannot trust is scored; "measured")
 *
 * Thread-safety: course_load() once, before grading starts; everything else
 * only reads the loaded policy and may be called from any thread.
 */
#ifndef GRADER_COURSE_H
#define GRADER_COURSE_H

#include <stdbool.h>
#include <stddef.h>

#include "result.h"

enum course_mode { COURSE_SCORED, COURSE_FEEDBACK, COURSE_OFF };
enum course_inconclusive { INCONCLUSIVE_MEASURED, INCONCLUSIVE_FULL };

/*
 * Loads the policy at path (NULL: the defaults) and checks it: an unknown
 * key or a wrong value is an error. Returns 0, or -1 with the reason
 * (file, line and key) written into why.
 */
int course_load(const char *path, char *why, size_t size);

/* The path loaded, or NULL (defaults). Owned by course.c. */
const char *course_path(void);

/* How gate g of chapter id is graded. */
enum course_mode course_mode(const char *id, enum gate g);

/* Gradescope visibility of gate g of chapter id ("visible" by default). */
const char *course_visibility(const char *id, enum gate g);

/* "after_published" or "hidden". */
const char *course_hidden_visibility(void);

/*
 * The chapters of assignment name as a space-separated list (malloc'd), or
 * NULL when the policy has no such assignment.
 */
char *course_assignment(const char *name);

/* The throughput policy: target share, trials, what inconclusive scores. */
double course_throughput_target(void);
int course_throughput_trials(void);
enum course_inconclusive course_inconclusive(void);

/*
 * Applies the policy to gate i of c, just scored from the gate table
 * (chapter_result_score calls it): a switched-off gate no longer applies, a
 * feedback gate is worth 0, weights scale the gate's maximum, and partial
 * credit follows the policy. With the default policy it changes nothing.
 * The maxima depend on the policy and the chapter only.
 */
void course_score_gate(struct chapter_result *c, enum gate i);

/*
 * Rescores the throughput gate from its figures with the policy's target
 * (noise.c calls it after each run). Does nothing with the default target.
 */
void course_throughput_target_apply(struct gate_result *g);

#endif
