/*
 * chapter_suite.c - the correctness gate: every scenario of the chapter as
 * one Criterion test, each in its own process
 *
 * Linked with one chapter's scenario file and the learner's code. Run it by
 * hand to see Criterion's own report:
 *	build/grade/<chapter>/suite --verbose
 * With TC_SEED=N in the environment, the scenarios run perturbed (perturb.h).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>

#include "perturb.h"
#include "scenario.h"
#include "channel.h"
#include "verdict.h"

#define MAX_SCENARIOS 64

/* Once, in Criterion's runner: the seed of a perturbed run (perturb.h). */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	uint64_t seed;

	(void)set;
	if (perturb_seed(&seed))
		fprintf(stderr, "perturbation seed: %llu\n", (unsigned long long)seed);
}

ParameterizedTestParameters(chapter, scenario)
{
	static size_t indices[MAX_SCENARIOS];
	size_t n = scenario_total() < MAX_SCENARIOS ? scenario_total() : MAX_SCENARIOS, k = 0;

	for (size_t i = 0; i < n; i++)
		if (scenario_selected(i))
			indices[k++] = i;
	return cr_make_param_array(size_t, indices, k);
}

/* The watchdog in verdict_run() fires first; this timeout is a backstop. */
ParameterizedTest(size_t *index, chapter, scenario, .timeout = 600.0)
{
	struct check c;

	verdict_run(*index, &c, &(struct scenario_env){ .small = false });
	cr_assert(!c.failed, "%s (%s): %s", scenario_get(*index)->name,
		  c.clause, c.message);
}
