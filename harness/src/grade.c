#define _GNU_SOURCE
#include "grade.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "../world/random.h"
#include "build_pool.h"
#include "test_filter.h"
#include "course.h"
#include "gates.h"
#include "hidden.h"
#include "policy.h"
#include "sandbox.h"
#include "workspace.h"

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
	return xstrndup(log, p && *p ? (size_t)(p - log) : strlen(log));
}

/* Fails the remaining gates with flavour f's build log. */
static void build_failed(enum flavor f, const char *log, struct chapter_result *out)
{
	char *head, summary[256];

	head = head_lines(log ? log : "", 40);
	snprintf(summary, sizeof(summary), "%s did not build with your code%s",
		 flavor_table[f].what, log && strstr(log, "multiple definition") ?
		 " (it defines a name the harness already provides)" : "");
	fail_remaining(out, summary, head);
	free(head);
}

/* The flavour whose driver lists the scenarios (and says which gates apply). */
#define LISTING_FLAVOR FLAVOR_HELGRIND

/* The policy check (policy.h), run beside the builds. */
struct policy_run {
	struct workspace *w;
	char *log;		/* policy_check()'s answer */
};

static void run_policy(void *arg)
{
	struct policy_run *p = arg;

	p->log = policy_check(p->w);
}

/*
 * Checks the learner's code against the policy while building every binary
 * the applying gates need (the listing flavour first, then flavour order),
 * several at once (build_pool.h): compiling runs nothing of the learner's,
 * and no gate starts unless both succeeded. A policy refusal is reported
 * first, then the first flavour that failed in that order.
 */
static bool check_and_build(struct grading *g)
{
	struct policy_run policy = { .w = &g->w };
	enum flavor order[FLAVOR_COUNT];
	bool ok[FLAVOR_COUNT], all, reported = false;
	char *logs[FLAVOR_COUNT];
	unsigned need = 1u << LISTING_FLAVOR;
	size_t n = 0;

	for (int i = 0; i < GATE_COUNT; i++)
		if (g->result.gates[i].applies)
			need |= gate_table[i].flavors;
	order[n++] = LISTING_FLAVOR;
	for (int f = 0; f < FLAVOR_COUNT; f++)
		if (f != LISTING_FLAVOR && (need & (1u << f)))
			order[n++] = (enum flavor)f;
	all = build_pool_run(&g->w, order, n, ok, logs, run_policy, &policy);
	if (policy.log) {
		char summary[512];

		snprintf(summary, sizeof(summary), "not graded: %.480s", policy.log);
		fail_remaining(&g->result, summary, policy.log);
		free(policy.log);
		reported = true;
		all = false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!ok[i] && !reported) {
			build_failed(order[i], logs[i], &g->result);
			reported = true;
		}
		free(logs[i]);
	}
	return all;
}

/* Gate i's result is final: scores it and tells the job's watcher. */
static void settled(struct grading *g, enum gate i)
{
	chapter_result_score(&g->result, i);
	if (g->gate_done)
		g->gate_done(&g->result, i, g->gate_done_arg);
}

/* Runs gate i with its row of the table and times it. */
static void run_gate(struct grading *g, enum gate i)
{
	struct gate_result *r = &g->result.gates[i];
	double start = proc_now_s();

	gate_table[i].run(&g->w, &g->list, &gate_table[i], r);
	r->seconds = proc_now_s() - start;
	settled(g, i);
}

/*
 * The scenario gates' TC_SEED for this grading (perturb.h) into w, and a
 * line in the correctness details saying how to replay it.
 */
static void choose_seed(const struct grade_job *job, struct workspace *w,
			struct chapter_result *out)
{
	struct gate_result *correctness = &out->gates[GATE_CORRECTNESS];
	unsigned long long seed;

	if (job->seed && strcmp(job->seed, "off") == 0) {
		snprintf(w->seed_env, sizeof(w->seed_env), "TC_SEED=");
		snprintf(out->seed, sizeof(out->seed), "off");
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
	snprintf(out->seed, sizeof(out->seed), "%llu", seed);
	gate_add_detail(correctness, "perturbation seed %llu: replay with make grade SEED=%llu",
			seed, seed);
}

/* Fails every gate with "not graded: <log>" when log is not NULL; frees it. */
static bool refused(struct chapter_result *out, char *log)
{
	char summary[512];

	if (!log)
		return false;
	snprintf(summary, sizeof(summary), "not graded: %.480s", log);
	fail_remaining(out, summary, log);
	free(log);
	return true;
}

/*
 * Opens the workspace and checks the learner's code (sandbox, policy,
 * compiles); false, with the gates failed, at the first problem.
 */
static bool prepare(const struct grade_job *job, const struct chapter *chapter,
		    struct grading *g)
{
	struct chapter_result *out = &g->result;
	char why[1024], *log = NULL;
	struct sandbox_status st;

	if (!workspace_open(&g->w, job, chapter, why, sizeof(why))) {
		fail_remaining(out, why, NULL);
		return false;
	}
	sandbox_probe(&g->w.sandbox, &st);
	out->sandbox = xstrdup(st.text);
	if (job->require_sandbox && !sandbox_complete(&st)) {
		snprintf(why, sizeof(why), "could not run: the sandbox is incomplete "
			 "and --require-sandbox is set (%s)", st.text);
		fail_remaining(out, why, NULL);
		return false;
	}
	choose_seed(job, &g->w, out);
	if (refused(out, policy_check_source(&g->w)))
		return false;
	if (!workspace_check_compiles(&g->w, &log)) {
		char *head = head_lines(log, 40);

		fail_remaining(out, "your code does not compile", head);
		free(head);
		free(log);
		return false;
	}
	free(log);
	return true;	/* policy_check() runs beside the builds: check_and_build() */
}

/*
 * The PHASE_ONE gates, in table order. A program that hangs, stops itself
 * or ends early under the tests does so under the race tools too (they
 * watch the same scenarios): the gated gates say so instead of waiting for
 * it. When correctness failed they are feedback (their points are held):
 * each gets 4 s at most, so that a broken program cannot make a grading
 * slow.
 */
static void run_phase_one(struct grading *g)
{
	struct chapter_result *out = &g->result;
	const struct gate_result *correctness = &out->gates[GATE_CORRECTNESS];

	for (int i = 0; i < GATE_COUNT; i++) {
		if (gate_table[i].phase != PHASE_ONE || !out->gates[i].applies)
			continue;
		if (gate_table[i].gated && correctness->halted) {
			gate_set_summary(&out->gates[i], "not run: the tests hang, stop or end "
					 "early (see correctness)");
			settled(g, i);
			continue;
		}
		if (gate_table[i].gated && !correctness->tool_passed)
			g->list.cap_s = 4;
		run_gate(g, i);
	}
}

/* grade_begin() but for the timing; returns at the first blocking problem. */
static void begin(const struct grade_job *job, const struct chapter *chapter,
		  struct grading *g)
{
	struct chapter_result *out = &g->result;

	if (!prepare(job, chapter, g))
		return;
	if (!check_and_build(g))
		return;
	if (!scenarios_list(&g->w, &g->list)) {
		fail_remaining(out, "the harness could not list the scenarios", NULL);
		return;
	}
	out->gates[GATE_LEAKS].applies = g->list.checks_leaks = chapter_has_leaks_gate(chapter);
	g->list.all_output = job->all_output;
	for (size_t i = 0; i < g->list.n; i++)
		g->list.free_pass[i] = manifest_lists(chapter->manifest.starter_passes,
						      chapter->manifest.nstarter_passes,
						      g->list.name[i]) ||
				       manifest_lists(chapter->manifest.vacuous,
						      chapter->manifest.nvacuous, g->list.name[i]);
	if (job->tests && *job->tests) {
		char why[4096];

		out->partial = xstrdup(job->tests);
		if (!test_filter_apply(&g->list, job->tests, why, sizeof(why))) {
			fail_remaining(out, "not run: TEST= names no scenario (see correctness)", NULL);
			gate_add_detail(&out->gates[GATE_CORRECTNESS], "%s", why);
			return;
		}
	}
	if (course_mode(chapter->id, GATE_LEAKS) == COURSE_OFF)
		out->gates[GATE_LEAKS].applies = false;
	hidden_record(out, &g->list);
	g->built = true;
	run_phase_one(g);
	workspace_seal(&g->w);
}

void grade_begin(const struct grade_job *job, const struct chapter *chapter,
		 struct grading *g)
{
	memset(g, 0, sizeof(*g));
	g->started = proc_now_s();
	g->gate_done = job->gate_done;
	g->gate_done_arg = job->gate_done_arg;
	chapter_result_init(&g->result, chapter->id, chapter_has_leaks_gate(chapter));
	begin(job, chapter, g);
	g->phase_one_s = proc_now_s() - g->started;
}

/* The PHASE_ALONE gates (throughput): each alone, only once correctness passed. */
void grade_throughput(struct grading *g)
{
	struct chapter_result *out = &g->result;

	if (!g->built)
		return;
	for (int i = 0; i < GATE_COUNT; i++) {
		if (gate_table[i].phase != PHASE_ALONE || !out->gates[i].applies)
			continue;
		if (g->list.partial) {
			gate_set_summary(&out->gates[i], "not measured in a partial run (TEST=): "
					 "the benchmark needs the whole program");
			settled(g, i);
			continue;
		}
		if (gate_table[i].gated && !out->gates[GATE_CORRECTNESS].tool_passed) {
			gate_set_summary(&out->gates[i], "not measured until correctness passes");
			settled(g, i);
			continue;
		}
		workspace_unseal(&g->w);
		run_gate(g, i);
		g->throughput_s += out->gates[i].seconds;
		workspace_seal(&g->w);
	}
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
	struct grading *g = xcalloc(1, sizeof(*g));

	grade_begin(job, chapter, g);
	grade_throughput(g);
	grade_end(g, out);
	free(g);
}
