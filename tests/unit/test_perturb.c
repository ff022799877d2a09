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

/*
 * The monotonic warp (perturb_monotonic_step): a 30 s condition wait and a
 * 30 s sleep end within moments of a 31 s step; once the warp is disarmed,
 * a 50 ms wait still takes about 50 ms (its deadline, on the stepped clock,
 * is translated), and the program's monotonic clock moved by both steps.
 */
Test(perturb, monotonic_warp_ends_waits_and_sleeps_it_passes)
{
	const char *argv[] = { "build/bin/warp_probe", NULL };
	struct proc_opts o = { .timeout_s = 60 };
	struct proc_result r;
	double deadline_ms, sleep_ms, after_ms, jump_s;

	proc_run(argv, &o, &r);
	cr_assert_eq(r.end, PROC_EXITED, "the warp probe did not exit (built?)");
	cr_assert_eq(sscanf(r.output, "deadline_ms %lf sleep_ms %lf after_ms %lf jump_s %lf",
			    &deadline_ms, &sleep_ms, &after_ms, &jump_s), 4,
		     "unexpected probe output: %s", r.output);
	cr_expect(deadline_ms >= 0 && deadline_ms < 1000, "the 30 s wait returned %.1f ms after "
		  "the step (-1: not ETIMEDOUT)", deadline_ms);
	cr_expect(sleep_ms >= 0 && sleep_ms < 1000, "the 30 s sleep ended %.1f ms after the step",
		  sleep_ms);
	cr_expect(after_ms >= 45 && after_ms < 5000, "a 50 ms wait after the warp took %.1f ms",
		  after_ms);
	cr_expect(jump_s >= 62, "the monotonic clock moved %.1f s over two 31 s steps", jump_s);
	proc_result_free(&r);
}
