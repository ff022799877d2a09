/*
 * table.c - the gate table: every gate the grader knows, in one place
 *
 * Adding a gate: a GATE_ value in result.h, one row here, its runner (a
 * gate_runner in its own file or gates.c) and a test in tests/unit. The
 * points of each column must sum to 100 (tests/unit/test_grader.c checks).
 *
 * Timeouts: the race tools slow the code down, so their runs get a longer
 * deadline and stretch the scenario watchdog by the same factor
 * (harness/README.md, "Timeouts"). A gate that does not run the scenarios
 * (throughput) has factor 0: its deadline is its margin alone.
 */
#include "gates.h"
#include "noise.h"
#include "result.h"
#include "workspace.h"

#define FL(f) (1u << (f))

const struct gate_info gate_table[GATE_COUNT] = {
	[GATE_CORRECTNESS] = {
		.name = "correctness", .points = 40, .points_with_leaks = 40,
		.flavors = FL(FLAVOR_SUITE),
		.timeout_factor = 1, .margin_s = 30, .tool_exit = 0,
		.phase = PHASE_ONE, .run = gate_correctness,
	},
	[GATE_TSAN] = {
		.name = "tsan", .points = 20, .points_with_leaks = 15,
		.flavors = FL(FLAVOR_TSAN) | FL(FLAVOR_TSAN_BENCH) | FL(FLAVOR_COLLIDER),
		.timeout_factor = 2, .margin_s = 30, .tool_exit = 66,
		.phase = PHASE_ONE, .gated = true, .run = gate_tsan,
	},
	[GATE_HELGRIND] = {
		.name = "helgrind", .points = 20, .points_with_leaks = 15,
		.flavors = FL(FLAVOR_HELGRIND),
		.timeout_factor = 3, .margin_s = 60, .tool_exit = 0,
		.phase = PHASE_ONE, .gated = true, .run = gate_helgrind,
	},
	[GATE_LEAKS] = {
		.name = "leaks", .points = 0, .points_with_leaks = 15,
		.flavors = FL(FLAVOR_LEAKS),
		.timeout_factor = 2, .margin_s = 30, .tool_exit = 23,
		.phase = PHASE_ONE, .opt_in = true, .gated = true, .run = gate_leaks,
	},
	[GATE_THROUGHPUT] = {
		.name = "throughput", .points = 20, .points_with_leaks = 15,
		.flavors = FL(FLAVOR_BENCH),
		.timeout_factor = 0, .margin_s = 60, .tool_exit = 0,
		.phase = PHASE_ALONE, .gated = true, .figures = true, .run = noise_throughput,
	},
};
