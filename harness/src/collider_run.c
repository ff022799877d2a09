/*
 * collider_run.c - the tsan gate's last run: the race driver in the
 * collider build (harness/lib/collider.h), at the correctness scale and
 * nearly full speed, so that code which behaves only while a slow race tool
 * watches it is caught racing when it thinks nobody is watching
 *
 * Fails closed: the run counts only if the collider caught the driver's
 * canary race and the driver ran every scenario to its end.
 */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOOL "full-speed race detector"

void collider_run(const struct workspace *w, const struct scenario_list *list,
		  const struct gate_info *gate, struct gate_result *g)
{
	const char *argv[] = { w->binaries[FLAVOR_COLLIDER], NULL };
	const char *env[] = { NULL, NULL, w->seed_env, list->only_env, NULL };
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
		char *first = strdup(s.e.collider), *nl = first ? strchr(first, '\n') : NULL;
		size_t len = strlen(s.e.collider);

		if (nl)
			*nl = '\0';
		if (len && s.e.collider[len - 1] == '\n')
			s.e.collider[len - 1] = '\0';
		g->tool_passed = false;
		g->fraction = 0;
		gate_set_summary(g, "a race seen at full speed: two threads touched the same "
				 "memory at the same moment: %s", first ? first : "?");
		gate_add_detail(g, "at full speed (the %s; a race tool's slowness hid it):\n"
				"%s", TOOL, s.e.collider);
		free(first);
	} else if (driver_failed(w, list, &s.e, &s.r, gate, "the " TOOL, g)) {
		g->tool_passed = false;
		g->fraction = 0;
	} else if (!s.e.collider_canary) {
		g->tool_passed = false;
		g->fraction = 0;
		gate_set_summary(g, "could not run: the %s did not catch the harness's own race "
				 "(its canary)", TOOL);
	}
	/* Otherwise the gate has passed and its summary stays. */
out:
	scenario_run_free(&s);
}
