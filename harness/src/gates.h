/*
 * gates.h - the five gates' runners; each builds nothing, runs binaries of
 * the workspace (already built by grade.c) and fills one gate_result
 *
 * What each gate is worth, needs and may take is its row of gate_table
 * (table.c); the runners read their deadline and exit statuses from it.
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
	bool all_output;	/* show all the learner printed (-v), not the first lines */
	size_t index[64];	/* each entry's scenario index in the chapter */
	bool partial;		/* some scenarios only (TEST=): test_filter.h */
	char only_env[400];	/* "TC_ONLY=<indices>" for every run; "TC_ONLY=": all */
	bool free_pass[64];	/* the starter passes it already: no points */
	size_t nhidden;		/* how many are an instructor's hidden ones */
	char hidden[64][128];	/* their names (hidden.h) */
};

/* Asks the (plain) race driver for the scenario list. False on failure. */
bool scenarios_list(const struct workspace *w, struct scenario_list *list);

/*
 * Parses the driver's --list output into list (text is cut up in place):
 * one "<clause>\t<name>\t<timeout s>" line per scenario (64 at most), and
 * "#gates\tleaks" when the chapter has the leaks gate, "#hidden\t<name>"
 * per hidden test (hidden.h); other lines are skipped. Sets list->index[i]
 * to i and list->only_env to "TC_ONLY=" (all). False when it names no
 * scenario.
 */
bool scenario_list_parse(char *text, struct scenario_list *list);

/* The runners of gate_table (gate_runner, result.h). */
gate_runner gate_correctness, gate_tsan, gate_helgrind, gate_leaks, gate_throughput;

/*
 * The deadline of one run of gate: timeout_factor * the scenarios' total +
 * margin_s, within the list's cap when it has one.
 */
double gate_deadline(const struct gate_info *gate, const struct scenario_list *list);

/*
 * The share of the throughput points for efficiency eff, when the serial
 * baseline's efficiency earns none and `full` earns all (harness/README.md,
 * Points). Exported for tests.
 */
double throughput_fraction(double eff, double serial_eff, double full);

/*
 * The share of the correctness points: 1 when every test passed (all_passed
 * also requires the run itself to have ended well); otherwise `passed` of
 * the `counted` tests: those the unmodified starter fails, plus those it
 * passes that this code fails (the manifest's "starter"."passes" and
 * "vacuous" earn nothing, but breaking them costs: harness/README.md,
 * Points). Exported for tests.
 */
double correctness_fraction(bool all_passed, size_t passed, size_t counted);

#endif
