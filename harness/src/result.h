/*
 * result.h - what grading one chapter produces
 *
 * A chapter has a fixed list of gates. Each gate records what its tool found
 * (verdict), and the points it is worth once gating is applied: the race and
 * throughput gates count only when correctness passed, because an empty
 * function is race-free and fast.
 *
 * Ownership: strings and json_t objects belong to the result; free them with
 * chapter_result_free().
 */
#ifndef GRADER_RESULT_H
#define GRADER_RESULT_H

#include <jansson.h>
#include <stdbool.h>

enum gate {
	GATE_CORRECTNESS,
	GATE_TSAN,
	GATE_HELGRIND,
	GATE_LEAKS,		/* only in chapters that opt in */
	GATE_THROUGHPUT,
	GATE_COUNT
};

struct gate_result {
	bool applies;		/* false: not part of this chapter */
	bool ran;		/* false: not run (for example, no build) */
	bool tool_passed;	/* the gate's own verdict, before gating */
	double fraction;	/* 0..1 of the gate's points earned by the tool */
	int score;		/* after gating */
	int max_score;
	char *summary;		/* one line */
	char *details;		/* feedback lines, or NULL */
	json_t *figures;	/* extra fields for the report, or NULL */
	double seconds;		/* time the gate took */
	bool halted;		/* the run hung, stopped itself or ended early */
};

struct chapter_result {
	char *id;		/* "03-worker-pool" */
	struct gate_result gates[GATE_COUNT];
	int score, max_score;
	double seconds;		/* grading time, building included */
	char *sandbox;		/* which sandbox layers were active, or NULL */
	char seed[24];		/* the perturbation seed used (decimal), "off",
				   or "" when the scenarios did not run */
	json_t *hidden;		/* names of the instructor's hidden scenarios
				   (a JSON array; hidden.h), or NULL */
};

/* "correctness", "tsan", "helgrind", "leaks", "throughput" */
const char *gate_name(enum gate g);

/*
 * Points gate g is worth in a chapter that has (with_leaks) or has not the
 * leaks gate; each chapter is worth 100 (harness/README.md explains).
 */
int gate_points(enum gate g, bool with_leaks);

/* Sets summary (printf-style); replaces an earlier one. */
void gate_set_summary(struct gate_result *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends one line to details (printf-style). */
void gate_add_detail(struct gate_result *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Applies gating and sums the chapter's score over the gates that apply.
 * The caller sets gates[i].applies first (chapter_result_init does).
 */
void chapter_result_finish(struct chapter_result *c);

/* Zeroes c, names it, and marks which gates apply. */
void chapter_result_init(struct chapter_result *c, const char *id, bool with_leaks);

void chapter_result_free(struct chapter_result *c);

#endif
