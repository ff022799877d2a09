/*
 * runner.h - what the gate runners (gates.c, race.c, leaks.c, throughput.c)
 * share; private to them
 *
 * Every function here is thread-safe as long as each grading uses its own
 * workspace; strings returned as malloc'd belong to the caller.
 */
#ifndef GRADER_RUNNER_H
#define GRADER_RUNNER_H

#include <jansson.h>

#include "evidence.h"
#include "gates.h"
#include "proc.h"

#define TOOL_OUTPUT_CAP (4 * 1024 * 1024)

/* The harness's canaries (harness/drivers/race_driver.c). */
#define RACE_CANARY "tc_canary_race_writer"
#define LEAK_CANARY "tc_canary_leak"

/* "TC_TIMEOUT_FACTOR=<the gate's factor>" for the scenario watchdog, in buf. */
const char *factor_env(const struct gate_info *gate, char *buf, size_t size);

/* A sanitizer's options from format (one %d: the gate's tool_exit), in buf. */
const char *tool_options(const char *format, const struct gate_info *gate,
			 char *buf, size_t size);

/* How one scenario ended, from its evidence. */
enum outcome { OUT_PASS, OUT_FAIL, OUT_TIMEOUT, OUT_CRASH, OUT_EARLY, OUT_NOT_RUN };

/* What scenario i's evidence says; *why (malloc'd) unless it passed. */
enum outcome scenario_outcome(const struct workspace *w, const struct evidence *e,
			      size_t i, char **why);

/* A note in g on the seccomp layer of a run, when it was not active. */
void note_seccomp(const struct evidence *e, struct gate_result *g);

/* The environment entry NAME=value; NULL when out of memory. */
char *env_entry(const char *name, const char *value);

/* A path in the workspace's grader-owned directory, removed first. */
char *fresh_path(const struct workspace *w, const char *name);

/* Says in g why binary f cannot be run; true when it can. */
bool binary_ready(const struct workspace *w, enum flavor f, struct gate_result *g);

/*
 * A driver run ended badly if a scenario timed out, crashed or ended early,
 * the process did, or it did not run every scenario under the tool (named
 * `tool` in messages): says so in g and returns true. A run that exits 0
 * or with the gate's tool_exit ended cleanly. A tool that did not run is
 * never clean.
 */
bool driver_failed(const struct workspace *w, const struct scenario_list *list,
		   const struct evidence *e, const struct proc_result *r,
		   const struct gate_info *gate, const char *tool, struct gate_result *g);

/*
 * Runs the chapter's benchmark as built for flavour f (FLAVOR_BENCH or
 * FLAVOR_TSAN_BENCH) with the chapter's arguments and the options o, as
 * both the throughput gate and the tsan gate's run at scale do. r and e
 * receive the run and what it reported (the caller frees both, with
 * proc_result_free() and evidence_free()). Returns the figures the
 * benchmark reported (a new reference for the caller), or NULL when it
 * reported none or its process ended otherwise than by an exit with
 * status 0 or ok_code.
 */
json_t *bench_run(const struct workspace *w, enum flavor f, const struct proc_opts *o,
		  int ok_code, struct proc_result *r, struct evidence *e);

/*
 * In a chapter graded on leaks, a benchmark trial that left heap behind
 * (the figures' heap_left) makes the figures invalid, with the problem
 * named, unless the leaks gate already failed (one leak, one penalty).
 * Returns true when it did.
 */
bool bench_leak_check(const struct workspace *w, json_t *figures);

/* Opens a trusted file of the workbook read-only, to hand to a tool; -1 on error. */
int open_trusted(const struct workspace *w, const char *rel);

/* One run of a program that runs the scenarios (the suite or a driver). */
struct scenario_run {
	char *hurry;		/* the file the grader makes after a first timeout */
	char *env_hurry;	/* "TC_HURRY_FILE=<hurry>", for the run's environment */
	char factor[48];	/* "TC_TIMEOUT_FACTOR=<the gate's factor>", likewise */
	bool ran;		/* r and e are set */
	struct proc_result r;
	struct evidence e;
};

/* Names the run's hurry file (<dir>/hurry-<gate>, removed) and its entries. */
void scenario_run_init(struct scenario_run *s, const struct workspace *w,
		       const struct gate_info *gate);

/*
 * Runs argv with o in the workspace's sandbox, scratch directory and
 * channel (o's fields for those are set here), then reads the evidence.
 */
void scenario_run(struct scenario_run *s, const struct workspace *w,
		  const char *const *argv, struct proc_opts *o);

void scenario_run_free(struct scenario_run *s);

/*
 * After a tool found nothing in run s: true when its silence counts. False,
 * with g's summary saying why, when the run did not end cleanly
 * (driver_failed()), when cut is not NULL (the reason the tool's report
 * may be incomplete), or when the tool did not report the harness's own
 * known `known` (its canary: "race", "leak").
 */
bool silence_counts(const struct workspace *w, const struct scenario_list *list,
		    const struct scenario_run *s, const struct gate_info *gate,
		    const char *tool, const char *known, int canaries, const char *cut,
		    struct gate_result *g);

/*
 * After the tsan gate passed: the race driver in the collider build
 * (collider_run.c), at the correctness scale and nearly full speed. Fails g
 * on a race it saw, or when it could not run (the canary missed, the driver
 * not at its end); leaves a passed g as it was otherwise. Blocks for the run.
 */
void collider_run(const struct workspace *w, const struct scenario_list *list,
		  const struct gate_info *gate, struct gate_result *g);

/* Marks g passed by its tool (the caller sets the summary). */
void tool_passed(struct gate_result *g);

#endif
