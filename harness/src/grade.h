/*
 * grade.h - grades one chapter: prepare, check, build, run the gates
 *
 * Grading is split in two so that a batch can run the first part of several
 * gradings at once and the timing gates alone, one at a time:
 *	grade_begin()       copy, policy check, build, the PHASE_ONE gates of
 *	                    gate_table (correctness, tsan, helgrind, leaks)
 *	grade_throughput()  the PHASE_ALONE gates (throughput; they need
 *	                    correctness to have passed)
 *	grade_end()         scores, workspace released
 * grade_chapter() does all three.
 *
 * Safety: gradings with different slots and chapters may run in different
 * threads at once; one grading belongs to one thread at a time.
 */
#ifndef GRADER_GRADE_H
#define GRADER_GRADE_H

#include "chapter.h"
#include "gates.h"
#include "job.h"
#include "result.h"
#include "workspace.h"

struct grading {
	struct workspace w;
	struct scenario_list list;
	bool built;			/* every binary built: gates can run */
	double started;			/* when grade_begin() started */
	double phase_one_s;		/* how long grade_begin() took */
	double throughput_s;		/* how long the PHASE_ALONE gates took */
	void (*gate_done)(const struct chapter_result *c, enum gate i, void *arg);
	void *gate_done_arg;		/* both copied from the job */
	struct chapter_result result;
};

void grade_begin(const struct grade_job *job, const struct chapter *chapter,
		 struct grading *g);
void grade_throughput(struct grading *g);

/* Scores the grading into *out (freed by chapter_result_free). */
void grade_end(struct grading *g, struct chapter_result *out);

/* All of the above. Never fails: problems become failed gates. */
void grade_chapter(const struct grade_job *job, const struct chapter *chapter,
		   struct chapter_result *out);

#endif
