#define _GNU_SOURCE
#include "grade.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../world/random.h"
#include "gates.h"
#include "policy.h"
#include "sandbox.h"
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
		"the ThreadSanitizer benchmark",
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

/*
 * The scenario gates' TC_SEED for this grading (perturb.h) into w, and a
 * line in the correctness details saying how to replay it.
 */
static void choose_seed(const struct grade_job *job, struct workspace *w,
			struct gate_result *correctness)
{
	unsigned long long seed;

	if (job->seed && strcmp(job->seed, "off") == 0) {
		snprintf(w->seed_env, sizeof(w->seed_env), "TC_SEED=");
		return;
	}
	if (job->seed) {
		seed = strtoull(job->seed, NULL, 10);
	} else {
		struct timespec ts;
		uint64_t mix;

		clock_gettime(CLOCK_REALTIME, &ts);
		mix = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + job->slot;
		seed = 1 + world_random(&mix) % 999999;
	}
	snprintf(w->seed_env, sizeof(w->seed_env), "TC_SEED=%llu", seed);
	gate_add_detail(correctness, "perturbation seed %llu: replay with make grade SEED=%llu",
			seed, seed);
}

/* grade_begin() but for the timing; returns at the first blocking problem. */
static void begin(const struct grade_job *job, const struct chapter *chapter,
		  struct grading *g)
{
	struct chapter_result *out = &g->result;
	char why[1024], *log = NULL;

	if (!workspace_open(&g->w, job->root, job->build_root, job->cache_root, chapter,
			    job->submission_root, job->slot, why, sizeof(why))) {
		fail_remaining(out, why, NULL);
		return;
	}
	{
		struct sandbox_status st;

		sandbox_probe(&g->w.sandbox, &st);
		out->sandbox = strdup(st.text);
		if (job->require_sandbox && !sandbox_complete(&st)) {
			char summary[1024];

			snprintf(summary, sizeof(summary), "could not run: the sandbox is incomplete "
				 "and --require-sandbox is set (%s)", st.text);
			fail_remaining(out, summary, NULL);
			return;
		}
	}
	choose_seed(job, &g->w, &out->gates[GATE_CORRECTNESS]);
	log = policy_check_source(&g->w);
	if (log) {
		char summary[512];

		snprintf(summary, sizeof(summary), "not graded: %.480s", log);
		fail_remaining(out, summary, log);
		free(log);
		return;
	}
	if (!workspace_check_compiles(&g->w, &log)) {
		char *head = head_lines(log, 40);

		fail_remaining(out, "your code does not compile", head);
		free(head);
		free(log);
		return;
	}
	free(log);
	log = policy_check(&g->w);
	if (log) {
		char summary[512];

		snprintf(summary, sizeof(summary), "not graded: %.480s", log);
		fail_remaining(out, summary, log);
		free(log);
		return;
	}
	/* The plain driver lists the scenarios and says which gates apply. */
	if (!build(&g->w, FLAVOR_HELGRIND, out))
		return;
	if (!scenarios_list(&g->w, &g->list)) {
		fail_remaining(out, "the harness could not list the scenarios", NULL);
		return;
	}
	out->gates[GATE_LEAKS].applies = g->list.checks_leaks = chapter_has_leaks_gate(chapter);
	if (!build(&g->w, FLAVOR_SUITE, out) || !build(&g->w, FLAVOR_TSAN, out) ||
	    !build(&g->w, FLAVOR_BENCH, out) || !build(&g->w, FLAVOR_TSAN_BENCH, out) ||
	    (g->list.checks_leaks && !build(&g->w, FLAVOR_LEAKS, out)))
		return;
	g->built = true;

	TIMED(out, GATE_CORRECTNESS, gate_correctness(&g->w, &g->list,
						      &out->gates[GATE_CORRECTNESS]));
	/*
	 * A program that hangs, stops itself or ends early under the tests does
	 * so under the race tools too (they watch the same scenarios): say so
	 * instead of waiting for it.
	 */
	if (out->gates[GATE_CORRECTNESS].halted) {
		for (int i = GATE_TSAN; i <= GATE_LEAKS; i++)
			gate_set_summary(&out->gates[i], "not run: the tests hang, stop or end "
					 "early (see correctness)");
		workspace_seal(&g->w);
		return;
	}
	/*
	 * When correctness failed, the race and leak gates are feedback (their
	 * points are held): each gets 4 s at most, so that a broken program
	 * cannot make a grading slow.
	 */
	if (!out->gates[GATE_CORRECTNESS].tool_passed)
		g->list.cap_s = 4;
	TIMED(out, GATE_TSAN, gate_tsan(&g->w, &g->list, &out->gates[GATE_TSAN]));
	TIMED(out, GATE_HELGRIND, gate_helgrind(&g->w, &g->list, &out->gates[GATE_HELGRIND]));
	if (g->list.checks_leaks)
		TIMED(out, GATE_LEAKS, gate_leaks(&g->w, &g->list, &out->gates[GATE_LEAKS]));
	workspace_seal(&g->w);
}

void grade_begin(const struct grade_job *job, const struct chapter *chapter,
		 struct grading *g)
{
	memset(g, 0, sizeof(*g));
	g->started = now_s();
	chapter_result_init(&g->result, chapter->id, chapter_has_leaks_gate(chapter));
	begin(job, chapter, g);
	g->phase_one_s = now_s() - g->started;
}

void grade_throughput(struct grading *g)
{
	struct chapter_result *out = &g->result;

	if (!g->built)
		return;
	if (out->gates[GATE_CORRECTNESS].tool_passed) {
		workspace_unseal(&g->w);
		TIMED(out, GATE_THROUGHPUT, gate_throughput(&g->w, &out->gates[GATE_THROUGHPUT]));
		g->throughput_s = out->gates[GATE_THROUGHPUT].seconds;
		workspace_seal(&g->w);
	} else
		gate_set_summary(&out->gates[GATE_THROUGHPUT],
				 "not measured until correctness passes");
}

void grade_end(struct grading *g, struct chapter_result *out)
{
	g->result.seconds = g->phase_one_s + g->throughput_s;
	workspace_close(&g->w);
	chapter_result_finish(&g->result);
	*out = g->result;
	memset(&g->result, 0, sizeof(g->result));
}

void grade_chapter(const struct grade_job *job, const struct chapter *chapter,
		   struct chapter_result *out)
{
	struct grading *g = calloc(1, sizeof(*g));

	if (!g) {
		chapter_result_init(out, chapter->id, chapter_has_leaks_gate(chapter));
		fail_remaining(out, "the grader ran out of memory", NULL);
		chapter_result_finish(out);
		return;
	}
	grade_begin(job, chapter, g);
	grade_throughput(g);
	grade_end(g, out);
	free(g);
}
