/*
 * test_perturb.c - the perturbation layer (harness/lib/perturb.h) injects
 * spurious condition-variable wake-ups under a seed, and nothing without one
 *
 * Runs build/bin/perturb_probe (tests/probes/if_waiter.c: a waiter that
 * checks with `if` instead of `while`) with and without TC_SEED.
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "proc.h"

#define PROBE "build/bin/perturb_probe"

/* Runs the probe with env; *early and *spurious from its one line. */
static void run_probe(const char *const *env, int *early, unsigned long long *spurious)
{
	const char *argv[] = { PROBE, NULL };
	struct proc_opts o = { .timeout_s = 60, .env = env };
	struct proc_result r;

	proc_run(argv, &o, &r);
	cr_assert_eq(r.end, PROC_EXITED, "the probe did not exit (%s built?)", PROBE);
	cr_assert_eq(r.code, 0, "the probe failed: %s", r.output ? r.output : "");
	cr_assert_eq(sscanf(r.output, "early %d spurious %llu", early, spurious), 2,
		     "unexpected probe output: %s", r.output);
	proc_result_free(&r);
}

Test(perturb, seed_makes_an_if_waiter_see_its_condition_false)
{
	static const char *const seeds[] = { "TC_SEED=1", "TC_SEED=7", "TC_SEED=123456" };

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		const char *env[] = { seeds[i], NULL };
		int early;
		unsigned long long spurious;

		run_probe(env, &early, &spurious);
		cr_expect_gt(spurious, 0, "%s: no spurious wake-up injected", seeds[i]);
		cr_expect_gt(early, 0, "%s: the `if` waiter never returned before its "
			     "release (%llu spurious wake-ups)", seeds[i], spurious);
	}
}

Test(perturb, no_seed_no_spurious_wakeup)
{
	static const char *const envs[][2] = { { NULL, NULL }, { "TC_SEED=", NULL } };

	for (size_t i = 0; i < 2; i++) {
		int early;
		unsigned long long spurious;

		run_probe(envs[i], &early, &spurious);
		cr_expect_eq(spurious, 0, "spurious wake-ups injected without a seed");
		cr_expect_eq(early, 0, "the `if` waiter returned early %d times without a seed",
			     early);
	}
}
