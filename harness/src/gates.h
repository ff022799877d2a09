/*
 * gates.h - the four gates; each builds nothing, runs one binary of the
 * workspace (already built by grade.c) and fills one gate_result
 *
 * Every run goes through proc_run(): own process group, limits, a deadline.
 * Verdicts come from marker files, tool reports and exit statuses written by
 * the harness or the tools, never from the learner's printed output.
 */
#ifndef GRADER_GATES_H
#define GRADER_GATES_H

#include "result.h"
#include "workspace.h"

/* The scenarios of a chapter, as the race driver lists them. */
struct scenario_list {
	size_t n;
	char clause[64][16];
	char name[64][128];
	double timeout_s[64];
	double total_timeout_s;
	bool checks_leaks;	/* the chapter has the leaks gate */
	double cap_s;		/* > 0: no race or leak run may take longer */
	size_t nhidden;		/* how many are an instructor's hidden ones */
	char hidden[64][128];	/* their names (hidden.h) */
};

/* Asks the (plain) race driver for the scenario list. False on failure. */
bool scenarios_list(const struct workspace *w, struct scenario_list *list);

void gate_correctness(const struct workspace *w, const struct scenario_list *list,
		      struct gate_result *g);
void gate_tsan(const struct workspace *w, const struct scenario_list *list,
	       struct gate_result *g);
void gate_helgrind(const struct workspace *w, const struct scenario_list *list,
		   struct gate_result *g);
void gate_leaks(const struct workspace *w, const struct scenario_list *list,
		struct gate_result *g);
void gate_throughput(const struct workspace *w, struct gate_result *g);

/*
 * The share of the throughput points for efficiency eff, when the serial
 * baseline's efficiency earns none and `full` earns all (harness/README.md,
 * Points). Exported for tests.
 */
double throughput_fraction(double eff, double serial_eff, double full);

#endif
