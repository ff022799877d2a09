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

		if (g->ran)
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

void grade_chapter(const char *root, const char *build_root,
		   const struct chapter *chapter, struct chapter_result *out)
{
	static const char *const flavor_names[FLAVOR_COUNT] = {
		"the Criterion suite", "the ThreadSanitizer driver",
		"the Helgrind driver", "the benchmark",
	};
	struct workspace w;
	struct scenario_list list;
	char why[1024], *log = NULL;
	double start;

	memset(out, 0, sizeof(*out));
	out->id = strdup(chapter->id);
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
	free(log);
	log = NULL;
	for (int f = 0; f < FLAVOR_COUNT; f++) {
		if (workspace_build(&w, f, &log)) {
			free(log);
			log = NULL;
			continue;
		}
		{
			char *head = head_lines(log, 40), summary[256];

			snprintf(summary, sizeof(summary), "%s did not build with your code%s",
				 flavor_names[f], strstr(log, "multiple definition") ?
				 " (it defines a name the harness already provides)" : "");
			fail_remaining(out, summary, head);
			free(head);
		}
		goto out;
	}
	if (!scenarios_list(&w, &list)) {
		fail_remaining(out, "the harness could not list the scenarios", NULL);
		goto out;
	}

	start = now_s();
	gate_correctness(&w, &list, &out->gates[GATE_CORRECTNESS]);
	out->gates[GATE_CORRECTNESS].seconds = now_s() - start;
	start = now_s();
	gate_tsan(&w, &list, &out->gates[GATE_TSAN]);
	out->gates[GATE_TSAN].seconds = now_s() - start;
	start = now_s();
	gate_helgrind(&w, &list, &out->gates[GATE_HELGRIND]);
	out->gates[GATE_HELGRIND].seconds = now_s() - start;
	if (out->gates[GATE_CORRECTNESS].tool_passed) {
		start = now_s();
		gate_throughput(&w, &out->gates[GATE_THROUGHPUT]);
		out->gates[GATE_THROUGHPUT].seconds = now_s() - start;
	} else {
		gate_set_summary(&out->gates[GATE_THROUGHPUT],
				 "not measured until correctness passes");
	}
out:
	free(log);
	workspace_close(&w);
	chapter_result_finish(out);
}
