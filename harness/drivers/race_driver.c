/*
 * race_driver.c - runs every scenario of a chapter in one plain process, for
 * the ThreadSanitizer and Helgrind gates
 *
 * Criterion cannot host these runs: it aborts at start-up in a
 * -fsanitize=thread binary (Snaipe/Criterion#274) and its own threads draw
 * Helgrind errors. The scenarios are the same ones the Criterion suite runs,
 * on a smaller workload, with the same markers and watchdog (verdict.h), so
 * a deadlock ends the run with a timeout marker instead of a silent hang.
 * Check failures are printed but do not change the exit status: correctness
 * is the Criterion gate's business; this driver gives the race tools
 * something to watch.
 *
 * With TC_SEED set, the run is perturbed (perturb.h) and the seed printed
 * on stderr first, as "perturbation seed: N".
 *
 * Usage: race_driver [--list]
 *	--list	prints "clause<TAB>name<TAB>timeout" for each scenario, after
 *		"#gates<TAB>leaks" when the chapter is graded on leaks
 */
#include <stdio.h>
#include <string.h>

#include "perturb.h"
#include "scenario.h"
#include "verdict.h"

int main(int argc, char **argv)
{
	const struct scenario_env env = { .small = true };
	uint64_t seed;

	if (argc > 1 && strcmp(argv[1], "--list") == 0) {
		if (scenario_checks_leaks())
			printf("#gates\tleaks\n");
		for (size_t i = 0; i < scenario_total(); i++)
			printf("%s\t%s\t%.1f\n", scenario_get(i)->clause, scenario_get(i)->name,
			       scenario_get(i)->timeout_s);
		return 0;
	}
	if (perturb_seed(&seed))
		fprintf(stderr, "perturbation seed: %llu\n", (unsigned long long)seed);
	for (size_t i = 0; i < scenario_total(); i++) {
		struct check c;

		verdict_run(i, &c, &env);
		printf("%s: %s %s\n", scenario_get(i)->name,
		       c.failed ? "fail" : "ok", c.failed ? c.message : "");
		fflush(stdout);
	}
	return 0;
}
