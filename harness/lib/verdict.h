/*
 * verdict.h - how a scenario run under Criterion tells the grader its result
 *
 * Criterion counts a test that ends with exit(0) as passed, and its own
 * timeout kills a test without showing where it hung. So each scenario also
 * leaves marker files in $TC_MARKERS (when set), written by the harness, not
 * parsed from the learner's output:
 *	<i>.begin	the scenario started
 *	<i>.end		it returned: "pass", or "fail\t<clause>\t<message>"
 *	<i>.crash	a fatal signal arrived: its number
 *	<i>.timeout	the watchdog fired: "seconds<TAB>resident MiB";
 *			<i>.stacks holds every thread's stack
 * A scenario with .begin and none of the others ended early (exit called).
 *
 * The race driver uses the same markers and watchdog in its own directory,
 * one scenario after another in one process.
 *
 * Safety: verdict_run() runs one scenario in the calling thread; call it
 * from one thread at a time. The first call starts a watchdog thread that
 * lives as long as the process and shares only atomics with the others.
 */
#ifndef HARNESS_VERDICT_H
#define HARNESS_VERDICT_H

#include <stddef.h>

#include "scenario.h"

/*
 * Runs chapter_scenarios[index] with markers, the watchdog armed for its
 * timeout (times TC_TIMEOUT_FACTOR) and crash handlers installed. If the
 * scenario hangs, the watchdog writes the markers and ends the process with
 * status 3; it runs eu-stack first unless TC_NO_STACKS is set.
 */
void verdict_run(size_t index, struct check *c, const struct scenario_env *env);

#endif
