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
	bool race_at_full_speed;	/* tsan: the full-speed race driver saw a race */
	bool never_concurrent;	/* tsan: no two threads ran the learner's code at once */
};

struct chapter_result {
	char *id;		/* "03-worker-pool" */
	struct gate_result gates[GATE_COUNT];
	int score, max_score;
	double seconds;		/* grading time, building included */
	char *sandbox;		/* which sandbox layers were active, or NULL */
	char *partial;		/* TEST=: "<selectors>", a partial run (not a
				   grade), or NULL */
	char seed[24];		/* the perturbation seed used (decimal), "off",
				   or "" when the scenarios did not run */
	json_t *hidden;		/* names of the instructor's hidden scenarios
				   (a JSON array; hidden.h), or NULL */
};

struct workspace;
struct scenario_list;
struct gate_info;

/*
 * Runs one gate on the workspace's binaries (already built) and fills g.
 * Blocks for the whole run; one workspace runs one gate at a time.
 */
typedef void gate_runner(const struct workspace *w, const struct scenario_list *list,
			 const struct gate_info *gate, struct gate_result *g);

/* When a gate runs: with the others, or alone on the machine (timings). */
enum gate_phase { PHASE_ONE, PHASE_ALONE };

/*
 * One row of the gate table (table.c), the one place that describes a gate.
 * A run's deadline is timeout_factor * the scenarios' total + margin_s; the
 * scenario watchdog inside it is stretched by the same factor
 * (TC_TIMEOUT_FACTOR), because the tool slows the code down.
 */
struct gate_info {
	const char *name;	/* in reports: "correctness", "tsan", ... */
	int points;		/* in a chapter without the leaks gate */
	int points_with_leaks;	/* in a chapter with it; each column sums to 100 */
	unsigned flavors;	/* bit (1u << enum flavor) per binary it runs */
	double timeout_factor;	/* 0: the deadline is margin_s alone */
	double margin_s;
	int tool_exit;		/* besides 0, the exit status of a run that ended
				   cleanly with reports (the tool's exitcode=) */
	enum gate_phase phase;
	bool opt_in;		/* only in chapters that opt in (leaks) */
	bool gated;		/* its points count once correctness passes */
	bool figures;		/* its details are figures, shown at full marks too */
	gate_runner *run;
};

/* The gates in the order they run and are reported; GATE_COUNT rows. */
extern const struct gate_info gate_table[GATE_COUNT];

/* gate_table[g].name: "correctness", "tsan", "helgrind", "leaks", "throughput" */
const char *gate_name(enum gate g);

/*
 * Points gate g is worth in a chapter that has (with_leaks) or has not the
 * leaks gate; each chapter is worth 100 (harness/README.md explains).
 */
int gate_points(enum gate g, bool with_leaks);

/*
 * Scores gate i of c as chapter_result_finish() does; the gates it depends
 * on (correctness) must be final. Idempotent.
 */
void chapter_result_score(struct chapter_result *c, enum gate i);

/*
 * Sets summary (printf-style); replaces an earlier one. Like
 * gate_add_detail(), fit for every report: each byte of invalid UTF-8 and
 * each control character but tab and newline becomes '?'.
 */
void gate_set_summary(struct gate_result *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends one line to details (printf-style), scrubbed as gate_set_summary() says. */
void gate_add_detail(struct gate_result *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Back to not run: frees g's summary, details and figures and zeroes it,
 * keeping only whether it applies. Not thread-safe (g is the caller's).
 */
void gate_result_clear(struct gate_result *g);

/*
 * Applies gating and sums the chapter's score over the gates that apply.
 * The caller sets gates[i].applies first (chapter_result_init does).
 */
void chapter_result_finish(struct chapter_result *c);

/* Zeroes c, names it, and marks which gates apply. */
void chapter_result_init(struct chapter_result *c, const char *id, bool with_leaks);

void chapter_result_free(struct chapter_result *c);

#endif
