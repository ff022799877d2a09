/*
 * test_perturb.c - the perturbation layer (harness/lib/perturb.h) injects
 * spurious condition-variable wake-ups under a seed, and nothing without one;
 * lingering threads and a failed first pthread_create() (linger_creator.c)
 *
 * Runs build/bin/perturb_probe (tests/probes/if_waiter.c: a waiter that
 * checks with `if` instead of `while`) with and without TC_SEED.
 */
#include <criterion/criterion.h>
#include <errno.h>
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

/*
 * perturb_linger_threads(): a joined thread's join waits the linger and
 * still gives back the routine's result; a detached one is still listed
 * after its routine returned. perturb_fail_create_next() fails the next
 * create with EAGAIN. With the linger back at 0, a join is quick again.
 */
Test(perturb, lingering_threads_and_a_failed_first_create)
{
	const char *argv[] = { "build/bin/linger_probe", NULL };
	struct proc_opts o = { .timeout_s = 60 };
	struct proc_result r;
	double join_ms, plain_ms;
	int result, alive, next_rc;

	proc_run(argv, &o, &r);
	cr_assert_eq(r.end, PROC_EXITED, "the linger probe did not exit (built?)");
	cr_assert_eq(r.code, 0, "the linger probe failed: %s", r.output ? r.output : "");
	cr_assert_eq(sscanf(r.output, "join_ms %lf result %d detached_alive %d next_rc %d "
			    "plain_ms %lf", &join_ms, &result, &alive, &next_rc, &plain_ms), 5,
		     "unexpected probe output: %s", r.output);
	cr_expect(join_ms >= 95, "a join with a 100 ms linger took %.1f ms", join_ms);
	cr_expect_eq(result, 42, "the join gave back %d; expected the routine's 42", result);
	cr_expect_eq(alive, 1, "a detached thread was gone 50 ms after its routine returned, "
		     "with a 100 ms linger");
	cr_expect_eq(next_rc, EAGAIN, "pthread_create() after perturb_fail_create_next() "
		     "returned %d; expected EAGAIN", next_rc);
	cr_expect(plain_ms < 95, "a join without the linger took %.1f ms", plain_ms);
	proc_result_free(&r);
}
