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
};

/* Asks the (plain) race driver for the scenario list. False on failure. */
bool scenarios_list(const struct workspace *w, struct scenario_list *list);

/*
 * Parses the driver's --list output into list (text is cut up in place):
 * one "<clause>\t<name>\t<timeout s>" line per scenario (64 at most), and
 * "#gates\tleaks" when the chapter has the leaks gate; other lines are
 * skipped. False when it names no scenario.
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

#endif
