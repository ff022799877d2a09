/*
 * collider_run.c - the tsan gate's last run: the race driver in the
 * collider build (harness/lib/collider.h), at the correctness scale and
 * nearly full speed, so that code which behaves only while a slow race tool
 * watches it is caught racing when it thinks nobody is watching
 *
 * Only its condition waits are perturbed (TC_PERTURB=waits, perturb.h):
 * the correctness gate's injected yields make lock calls measurably slower,
 * so code could take its locks, or wait in a loop, only when it sees them
 * slow. Here lock calls run at plain speed while waits still wake up
 * spuriously, and a scenario that fails here though correctness passed
 * fails the gate too ("fast code behaves differently").
 *
 * Fails closed: the run counts only if the collider caught the driver's
 * canary race and the driver ran every scenario to its end.
 */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "alloc.h"

#define TOOL "full-speed race detector"

/*
 * True, with the gate's summary set, when a scenario's own checks failed in
 * this run (the driver runs them; correctness has passed them already, or
 * the tsan gate would not be running).
 */
static bool failed_at_full_speed(const struct scenario_list *list, const struct evidence *e,
				 struct gate_result *g)
{
	for (size_t k = 0; k < list->n; k++) {
		const struct scenario_evidence *s = &e->at[list->index[k]];
		const char *clause, *message;

		if (!s->end || strncmp(s->end, "fail\t", 5) != 0)
			continue;
		clause = s->end + 5;
		message = strchr(clause, '\t');
		gate_set_summary(g, "a test failed at full speed (lock calls at plain "
				 "speed), though it passed under the perturbation: %s: %.*s violated: %s (code that "
				 "behaves differently when it runs fast has a race, or tells the "
				 "runs apart)", list->name[k],
				 (int)(message ? message - clause : (long)strlen(clause)), clause,
				 message ? message + 1 : "");
		return true;
	}
	return false;
}

void collider_run(const struct workspace *w, const struct scenario_list *list,
		  const struct gate_info *gate, struct gate_result *g)
{
	const char *argv[] = { w->binaries[FLAVOR_COLLIDER], NULL };
	const char *env[] = { NULL, NULL, w->seed_env, "TC_PERTURB=waits", list->only_env, NULL };
	struct proc_opts o = {
		.timeout_s = gate_deadline(gate, list),
		.env = env,
		.output_cap = TOOL_OUTPUT_CAP,
	};
	struct scenario_run s;

	scenario_run_init(&s, w, gate);
	env[0] = s.env_hurry;
	env[1] = s.factor;
	if (!binary_ready(w, FLAVOR_COLLIDER, g)) {
		g->tool_passed = false;
		g->fraction = 0;
		goto out;
	}
	scenario_run(&s, w, argv, &o);
	if (s.e.collider && *s.e.collider) {
		char *first = xstrdup(s.e.collider), *nl = strchr(first, '\n');
		size_t len = strlen(s.e.collider);

		if (nl)
			*nl = '\0';
		if (len && s.e.collider[len - 1] == '\n')
			s.e.collider[len - 1] = '\0';
		g->tool_passed = false;
		g->fraction = 0;
		g->race_at_full_speed = true;
		gate_set_summary(g, "a race seen at full speed: two threads touched the same "
				 "memory at the same moment: %s", first);
		gate_add_detail(g, "at full speed (the %s; a race tool's slowness hid it):\n"
				"%s", TOOL, s.e.collider);
		free(first);
	} else if (driver_failed(w, list, &s.e, &s.r, gate, "the " TOOL, g)) {
		char *said = xstrdup(g->summary ? g->summary : "");

		/* Correctness passed these tests under the perturbation. */
		gate_set_summary(g, "at full speed (lock calls at plain speed): %s", said);
		free(said);
		g->tool_passed = false;
		g->fraction = 0;
	} else if (failed_at_full_speed(list, &s.e, g)) {
		g->tool_passed = false;
		g->fraction = 0;
	} else if (!s.e.collider_canary) {
		g->tool_passed = false;
		g->fraction = 0;
		gate_set_summary(g, "could not run: the %s did not catch the harness's own race "
				 "(its canary)", TOOL);
	} else if (s.e.collider_peak < 0) {
		g->tool_passed = false;
		g->fraction = 0;
		gate_set_summary(g, "could not run: the %s did not say how many threads ran "
				 "your code", TOOL);
	} else if (s.e.collider_peak < 2) {
		g->tool_passed = false;
		g->fraction = 0;
		g->never_concurrent = true;
		gate_set_summary(g, "not earned: your code never ran in two threads at once in "
				 "the tests; code that runs on one thread is race-free by "
				 "construction, so the race gates count once your code runs "
				 "concurrently");
	}
	/* Otherwise the gate has passed and its summary stays. */
out:
	scenario_run_free(&s);
}
