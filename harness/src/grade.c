/*
 * grade.c - one chapter's grading: checks and builds, correctness first,
 * the race and leak gates side by side, throughput alone (grade.h)
 */
#define _GNU_SOURCE
#include "grade.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "build_pool.h"
#include "test_filter.h"
#include "course.h"
#include "files.h"
#include "gates.h"
#include "hidden.h"
#include "policy.h"
#include "sandbox.h"
#include "seed.h"
#include "side_by_side.h"
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

/* The compile check, then the policy check (policy.h), run beside the builds. */
struct policy_run {
	struct workspace *w;
	bool compiles;		/* workspace_check_compiles()'s answer */
	char *compile_log;	/* its messages, when it failed */
	char *log;		/* policy_check()'s answer, when it compiles */
};

static void run_policy(void *arg)
{
	struct policy_run *p = arg;

	p->compiles = workspace_check_compiles(p->w, &p->compile_log);
	proc_trace("compile check done");
	if (!p->compiles)
		return;
	free(p->compile_log);
	p->compile_log = NULL;
	p->log = policy_check(p->w);
	proc_trace("policy check done");
}

/*
 * The binaries the applying gates need, in the order their build failures
 * are reported: the listing flavour, then flavour order. The first stage
 * (the listing flavour and correctness's suite) is built before any of the
 * learner's code runs; the later stage while correctness runs.
 */
static void build_order(const struct grading *g, enum flavor *first, size_t *nfirst,
			enum flavor *later, size_t *nlater)
{
	unsigned need = 1u << LISTING_FLAVOR;

	*nfirst = *nlater = 0;
	for (int i = 0; i < GATE_COUNT; i++)
		if (g->result.gates[i].applies)
			need |= gate_table[i].flavors;
	first[(*nfirst)++] = LISTING_FLAVOR;
	for (int f = 0; f < FLAVOR_COUNT; f++) {
		if (f == LISTING_FLAVOR || !(need & (1u << f)))
			continue;
		if (f == FLAVOR_SUITE)
			first[(*nfirst)++] = (enum flavor)f;
		else
			later[(*nlater)++] = (enum flavor)f;
	}
}

/*
 * Checks that the learner's code compiles, then checks it against the
 * policy, while building the first stage's binaries, several at once
 * (build_pool.h): compiling runs nothing of the learner's, and no gate
 * starts unless all succeeded. Code that does not compile is reported
 * first, then a policy refusal, then the first flavour that failed in that
 * order. On success the later stage starts building in the background
 * (finish_builds() waits for it).
 */
static bool check_and_build(struct grading *g)
{
	struct policy_run policy = { .w = &g->w };
	enum flavor first[FLAVOR_COUNT];
	bool ok[FLAVOR_COUNT], all, reported = false;
	char *logs[FLAVOR_COUNT];
	size_t n;

	build_order(g, first, &n, g->later, &g->nlater);
	all = build_pool_run(&g->w, first, n, ok, logs, run_policy, &policy);
	if (!policy.compiles) {
		char *head = head_lines(policy.compile_log ? policy.compile_log : "", 40);

		fail_remaining(&g->result, "your code does not compile", head);
		free(head);
		free(policy.compile_log);
		reported = true;
		all = false;
	} else if (policy.log) {
		char summary[512];

		snprintf(summary, sizeof(summary), "not graded: %.480s", policy.log);
		fail_remaining(&g->result, summary, policy.log);
		free(policy.log);
		reported = true;
		all = false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!ok[i] && !reported) {
			build_failed(first[i], logs[i], &g->result);
			reported = true;
		}
		free(logs[i]);
	}
	if (all) {
		proc_trace("first builds done; %zu more in the background", g->nlater);
		g->pool = build_pool_start(&g->w, g->later, g->nlater, g->later_ok,
					   g->later_logs);
		g->building = true;
	}
	return all;
}

/*
 * Waits for the later stage of builds (no run of the sandbox uid may be
 * going on); true when all built or there was nothing to wait for. The
 * logs stay for report_builds().
 */
static bool join_builds(struct grading *g)
{
	bool all;

	if (!g->building)
		return true;
	g->building = false;
	all = build_pool_finish(g->pool, &g->w, g->later, g->nlater, g->later_ok,
				g->later_logs);
	g->pool = NULL;
	g->joined = true;
	proc_trace("later builds done");
	return all;
}

/*
 * Fails the remaining gates by the first later build that failed, as
 * check_and_build() would have; frees the logs.
 */
static void report_builds(struct grading *g)
{
	bool reported = false;

	if (!g->joined)
		return;
	g->joined = false;
	for (size_t i = 0; i < g->nlater; i++) {
		if (!g->later_ok[i] && !reported) {
			build_failed(g->later[i], g->later_logs[i], &g->result);
			reported = true;
		}
		free(g->later_logs[i]);
	}
}

/* join_builds() and report_builds(): false when a build failed. */
static bool finish_builds(struct grading *g)
{
	bool all = join_builds(g);

	report_builds(g);
	return all;
}

/* Gate i's result is final: scores it and tells the job's watcher. */
static void settled(struct grading *g, enum gate i)
{
	chapter_result_score(&g->result, i);
	if (g->gate_done)
		g->gate_done(&g->result, i, g->gate_done_arg);
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
	char why[1024];
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
	/* The compile and policy checks run beside the builds: check_and_build(). */
	return true;
}

/*
 * Correctness first, while the later builds finish; its verdict is shown
 * as soon as it is known (the first verdict). A later build that fails
 * fails every gate, correctness too, as before: the final result then
 * takes correctness's verdict back (the policy check refuses learner code
 * that reads differently in some builds or defines names the chapter's
 * header does not declare, so that is left to a broken harness or an
 * attack at link time). Returns false when one failed.
 */
static bool run_correctness(struct grading *g)
{
	struct gate_result *c = &g->result.gates[GATE_CORRECTNESS];
	char *details = c->details ? xstrdup(c->details) : NULL;

	if (c->applies) {
		run_gate_in(g, &g->w, GATE_CORRECTNESS);
		settled(g, GATE_CORRECTNESS);
	}
	if (!join_builds(g)) {
		bool applies = c->applies;

		/* As if it had not run: back to what it was before. */
		gate_result_clear(c);
		c->details = details;
		json_decref(g->result.hidden);
		g->result.hidden = NULL;
		report_builds(g);
		if (applies)
			for (int i = 0; i < GATE_COUNT; i++) {
				struct gate_result *r = &g->result.gates[i];

				if (i != GATE_CORRECTNESS && r->applies && r->summary)
					gate_set_summary(r, "%s (so correctness does not count "
							 "either: every gate needs every binary)",
							 r->summary);
			}
		return false;
	}
	free(details);
	return true;
}

/*
 * The PHASE_ONE gates: correctness, then the others side by side (each in
 * its own sandbox uid and scratch directory; one after the other when that
 * cannot be had), each settled in table order. A program that hangs, stops
 * itself or ends early under the tests does so under the race tools too
 * (they watch the same scenarios): the gated gates say so instead of
 * waiting for it. When correctness failed they are feedback (their points
 * are held): each gets 4 s at most, so that a broken program cannot make a
 * grading slow. Returns false when a later build failed (every gate
 * failed with it).
 */
/*
 * A race the tsan gate's full-speed run saw is a race, whichever tool saw
 * it: a clean Helgrind run of the same code then shows only that the code
 * behaved differently while Valgrind watched (a race that needs full speed,
 * or code that tells the tools apart), so the helgrind gate fails too. And
 * when that run saw the learner's code on one thread at a time only, there
 * was nothing to race: neither race gate is earned.
 */
static void race_seen_elsewhere(struct chapter_result *out)
{
	struct gate_result *h = &out->gates[GATE_HELGRIND];
	const struct gate_result *t = &out->gates[GATE_TSAN];

	if (!h->applies || !h->tool_passed || !(t->race_at_full_speed || t->never_concurrent))
		return;
	h->tool_passed = false;
	h->fraction = 0;
	if (t->never_concurrent)
		gate_set_summary(h, "not earned: your code never ran in two threads at once in "
				 "the tests (see tsan)");
	else
		gate_set_summary(h, "a race seen at full speed by the tsan gate's full-speed "
				 "run, though Helgrind saw none: a race that needs full speed, or "
				 "code that behaves differently while a tool watches (see tsan)");
}

static bool run_phase_one(struct grading *g)
{
	struct chapter_result *out = &g->result;
	const struct gate_result *correctness = &out->gates[GATE_CORRECTNESS];
	struct side_run runs[GATE_COUNT];
	bool runs_gate[GATE_COUNT] = { false }, side;
	size_t n = 0;

	if (!run_correctness(g))
		return false;
	g->w.correctness_passed = correctness->tool_passed;
	for (int i = 0; i < GATE_COUNT; i++) {
		if (i == GATE_CORRECTNESS || gate_table[i].phase != PHASE_ONE ||
		    !out->gates[i].applies)
			continue;
		if (gate_table[i].gated && correctness->halted)
			continue;
		if (gate_table[i].gated && !correctness->tool_passed)
			g->list.cap_s = 4;
		runs_gate[i] = true;
		runs[n++] = (struct side_run){ .g = g, .i = (enum gate)i };
	}
	side = run_side_by_side(g, runs, n);
	for (int i = 0, k = 0; i < GATE_COUNT; i++) {
		if (i == GATE_CORRECTNESS || gate_table[i].phase != PHASE_ONE ||
		    !out->gates[i].applies)
			continue;
		if (!runs_gate[i]) {
			gate_set_summary(&out->gates[i], "not run: the tests hang, stop or end "
					 "early (see correctness)");
		} else if (side) {
			pthread_join(runs[k].thread, NULL);
			side_close(&runs[k++]);
		} else {
			run_gate_in(g, &g->w, (enum gate)i);
		}
		if (i == GATE_HELGRIND)
			race_seen_elsewhere(out);
		settled(g, (enum gate)i);
	}
	return true;
}

/* grade_begin() but for the timing; returns at the first blocking problem. */
static void begin(const struct grade_job *job, const struct chapter *chapter,
		  struct grading *g)
{
	struct chapter_result *out = &g->result;
	bool listed;

	if (!prepare(job, chapter, g))
		return;
	if (!check_and_build(g))
		return;
	listed = scenarios_list(&g->w, &g->list);
	/* A build that failed is reported before anything found after it. */
	if (!listed) {
		if (finish_builds(g))
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
			if (finish_builds(g)) {
				fail_remaining(out, "not run: TEST= names no scenario (see "
					       "correctness)", NULL);
				gate_add_detail(&out->gates[GATE_CORRECTNESS], "%s", why);
			}
			return;
		}
	}
	if (course_mode(chapter->id, GATE_LEAKS) == COURSE_OFF)
		out->gates[GATE_LEAKS].applies = false;
	hidden_record(out, &g->list);
	g->built = run_phase_one(g);
	workspace_seal(&g->w);
}

void grade_begin(const struct grade_job *job, const struct chapter *chapter,
		 struct grading *g)
{
	memset(g, 0, sizeof(*g));
	g->started = proc_now_s();
	proc_trace("grading %s begins", chapter->id);
	g->gate_done = job->gate_done;
	g->gate_done_arg = job->gate_done_arg;
	chapter_result_init(&g->result, chapter->id, chapter_has_leaks_gate(chapter));
	begin(job, chapter, g);
	finish_builds(g);	/* nothing left building, whatever path begin() took */
	g->phase_one_s = proc_now_s() - g->started;
}

/* The PHASE_ALONE gates (throughput): each alone, only once correctness passed. */
void grade_throughput(struct grading *g)
{
	struct chapter_result *out = &g->result;

	if (!g->built)
		return;
	g->w.leaks_found = out->gates[GATE_LEAKS].applies && !out->gates[GATE_LEAKS].tool_passed;
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
		run_gate_in(g, &g->w, i);
		settled(g, i);
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
