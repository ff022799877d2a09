/*
 * race_driver.c - runs every scenario of a chapter in one plain process, for
 * the ThreadSanitizer, Helgrind and leak gates
 *
 * Criterion cannot host these runs: it aborts at start-up in a
 * -fsanitize=thread binary (Snaipe/Criterion#274) and its own threads draw
 * Helgrind errors. The scenarios are the same ones the Criterion suite runs,
 * on a smaller workload, with the same channel and watchdog (verdict.h), so
 * a deadlock ends the run with a timeout message instead of a silent hang.
 * Check failures do not change the exit status: correctness is the
 * Criterion gate's business; this driver gives the tools something to watch.
 *
 * Before the scenarios it runs two canaries, in harness code the learner
 * cannot change: a data race (tc_canary_race_writer) and a leaked block
 * (tc_canary_leak). The grader requires the tool of the gate to report its
 * canary and leaves it out of the learner's findings: a tool that did not
 * start, was switched off or lost its log can never read as "clean".
 *
 * Built with -DTC_COLLIDER (the collider flavour, harness/lib/collider.h),
 * it runs the scenarios at the correctness scale, watches the canary's
 * variable so that the collider catches its race every time, and sends the
 * races the collider found after the canary and after each scenario.
 *
 * With TC_SEED set, the run is perturbed (perturb.h) and the seed printed
 * on stderr first, as "perturbation seed: N".
 *
 * Usage: race_driver [--list]
 *	--list	prints "clause<TAB>name<TAB>timeout" for each scenario (whether
 *		the chapter is graded on leaks is its manifest's business),
 *		then "#hidden<TAB>name" for each of an instructor's hidden ones
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#ifdef TC_COLLIDER
#include "collider.h"
#endif
#include "perturb.h"
#include "scenario.h"
#include "verdict.h"

static int canary_shared;
static void *volatile canary_kept;

__attribute__((noinline)) static void *tc_canary_race_writer(void *arg)
{
	canary_shared += (int)(long)arg;
	return NULL;
}

/* Two threads write one int with no synchronisation: a real race. */
__attribute__((noinline)) static void tc_canary_race(void)
{
	pthread_t a, b;

	if (pthread_create(&a, NULL, tc_canary_race_writer, (void *)1L) != 0)
		return;
	if (pthread_create(&b, NULL, tc_canary_race_writer, (void *)2L) == 0)
		pthread_join(b, NULL);
	pthread_join(a, NULL);
}

__attribute__((noinline)) static void *tc_canary_leak_block(void *arg)
{
	(void)arg;
	canary_kept = malloc(4242);
	canary_kept = NULL;
	return NULL;
}

/*
 * A block nothing points to: allocated by a thread that has ended, so no
 * stack or register still holds its address (LeakSanitizer scans those).
 */
__attribute__((noinline)) static void tc_canary_leak(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, tc_canary_leak_block, NULL) == 0)
		pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
#ifdef TC_COLLIDER
	const struct scenario_env env = { .small = false };	/* near full speed */
#else
	const struct scenario_env env = { .small = true };
#endif
	uint64_t seed;
	size_t ran = 0;

	if (argc > 1 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < scenario_total(); i++)
			printf("%s\t%s\t%.1f\n", scenario_get(i)->clause, scenario_get(i)->name,
			       scenario_get(i)->timeout_s);
		for (size_t i = chapter_scenario_count; i < scenario_total(); i++)
			printf("#hidden\t%s\n", scenario_get(i)->name);
		return 0;
	}
	tc_channel_open();
#ifdef TC_COLLIDER
	tc_collider_always_watch(&canary_shared, sizeof(canary_shared));
#endif
	tc_canary_race();
#ifdef TC_COLLIDER
	/* A thread that could not start (a loaded machine) is no reason to miss it. */
	for (int again = 0; again < 3 && !tc_collider_canary_caught(); again++)
		tc_canary_race();
	tc_collider_report(0);
#endif
	tc_canary_leak();
#ifdef TC_COLLIDER
	tc_collider_peak_reset();	/* the canaries' threads are the harness's */
#endif
	tc_channel_send_text("canary", 0, "ran");
	if (perturb_seed(&seed))
		fprintf(stderr, "perturbation seed: %llu\n", (unsigned long long)seed);
	for (size_t i = 0; i < scenario_total(); i++) {
		struct check c;

		if (!scenario_selected(i))
			continue;
		ran++;
		verdict_run(i, &c, &env);
#ifdef TC_COLLIDER
		tc_collider_report(i);
#endif
		printf("%s: %s %s\n", scenario_get(i)->name,
		       c.failed ? "fail" : "ok", c.failed ? c.message : "");
		fflush(stdout);
	}
#ifdef TC_COLLIDER
	{
		char most[16];

		snprintf(most, sizeof(most), "%d", tc_collider_peak_reset());
		tc_channel_send_text("colliderpeak", 0, most);
	}
#endif
	verdict_done(ran);
	return 0;
}
