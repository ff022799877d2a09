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

struct build_pool;

struct grading {
	struct workspace w;
	struct scenario_list list;
	bool built;			/* every binary built: gates can run */
	/* The binaries built while correctness runs (grade.c, build_pool.h). */
	enum flavor later[FLAVOR_COUNT];
	size_t nlater;
	bool later_ok[FLAVOR_COUNT];
	char *later_logs[FLAVOR_COUNT];
	struct build_pool *pool;	/* NULL: none started (or none left) */
	bool building;			/* later builds not waited for yet */
	bool joined;			/* waited for, logs not reported yet */
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
