#define _GNU_SOURCE
#include "grade.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gates.h"
#include "workspace.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Fails every gate that has not run yet with the same reason. */
static void fail_remaining(struct chapter_result *out, const char *summary,
			   const char *details)
{
	for (int i = 0; i < GATE_COUNT; i++) {
		struct gate_result *g = &out->gates[i];

		if (g->ran || !g->applies)
			continue;
		gate_set_summary(g, "%s", summary);
		if (details && *details && i == GATE_CORRECTNESS)
			gate_add_detail(g, "%s", details);
	}
}

/* First lines of a compiler log (it can be long). */
static char *head_lines(const char *log, int lines)
{
	const char *p = log;

	while (p && *p && lines-- > 0) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return strndup(log, p && *p ? (size_t)(p - log) : strlen(log));
}

/* Builds one flavour; on failure fails the remaining gates with the log. */
static bool build(struct workspace *w, enum flavor f, struct chapter_result *out)
{
	static const char *const flavor_names[FLAVOR_COUNT] = {
		"the Criterion suite", "the ThreadSanitizer driver",
		"the Helgrind driver", "the benchmark", "the leak driver",
	};
	char *log = NULL, *head, summary[256];

	if (workspace_build(w, f, &log)) {
		free(log);
		return true;
	}
	head = head_lines(log ? log : "", 40);
	snprintf(summary, sizeof(summary), "%s did not build with your code%s",
		 flavor_names[f], log && strstr(log, "multiple definition") ?
		 " (it defines a name the harness already provides)" : "");
	fail_remaining(out, summary, head);
	free(head);
	free(log);
	return false;
}

/* Runs one gate and times it. */
#define TIMED(out, gate, call)                                          \
	do {                                                            \
		double start_ = now_s();                                \
		call;                                                   \
		(out)->gates[gate].seconds = now_s() - start_;          \
	} while (0)

void grade_chapter(const char *root, const char *build_root,
		   const struct chapter *chapter, struct chapter_result *out)
{
	struct workspace w;
	struct scenario_list list;
	char why[1024], *log = NULL;

	chapter_result_init(out, chapter->id, false);
	if (!workspace_open(&w, root, build_root, chapter, why, sizeof(why))) {
		fail_remaining(out, why, NULL);
		goto out;
	}
	if (!workspace_check_compiles(&w, &log)) {
		char *head = head_lines(log, 40);

		fail_remaining(out, "your code does not compile", head);
		free(head);
		goto out;
	}
	/* The plain driver lists the scenarios and says which gates apply. */
	if (!build(&w, FLAVOR_HELGRIND, out))
		goto out;
	if (!scenarios_list(&w, &list)) {
		fail_remaining(out, "the harness could not list the scenarios", NULL);
		goto out;
	}
	out->gates[GATE_LEAKS].applies = list.checks_leaks;
	if (!build(&w, FLAVOR_SUITE, out) || !build(&w, FLAVOR_TSAN, out) ||
	    !build(&w, FLAVOR_BENCH, out) ||
	    (list.checks_leaks && !build(&w, FLAVOR_LEAKS, out)))
		goto out;

	TIMED(out, GATE_CORRECTNESS, gate_correctness(&w, &list, &out->gates[GATE_CORRECTNESS]));
	TIMED(out, GATE_TSAN, gate_tsan(&w, &list, &out->gates[GATE_TSAN]));
	TIMED(out, GATE_HELGRIND, gate_helgrind(&w, &list, &out->gates[GATE_HELGRIND]));
	if (list.checks_leaks)
		TIMED(out, GATE_LEAKS, gate_leaks(&w, &list, &out->gates[GATE_LEAKS]));
	if (out->gates[GATE_CORRECTNESS].tool_passed)
		TIMED(out, GATE_THROUGHPUT, gate_throughput(&w, &out->gates[GATE_THROUGHPUT]));
	else
		gate_set_summary(&out->gates[GATE_THROUGHPUT],
				 "not measured until correctness passes");
out:
	free(log);
	workspace_close(&w);
	chapter_result_finish(out);
}
