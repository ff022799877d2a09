/*
 * throughput.c - the throughput gate: the benchmark's figures turned into
 * points
 */
#define _GNU_SOURCE
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "chapter.h"
#include "feedback.h"
#include "proc.h"
#include "throughput_cause.h"

/*
 * The points fraction for an efficiency between serial (0) and full marks
 * (1): full marks within 10 % of the harness's parallel version (timing
 * noise on a shared machine), or at the chapter's target when it has no
 * such version. The share of the way from serial to full is squared, so
 * that a program a third slower than the reference keeps about half the
 * points, not most of them.
 */
double throughput_fraction(double eff, double serial_eff, double full)
{
	double way;

	if (full <= serial_eff)
		return eff >= full ? 1 : 0;
	way = fmin(1, fmax(0, (eff - serial_eff) / (full - serial_eff)));
	return way * way;
}

static void throughput_figures(struct gate_result *g, json_t *figures)
{
	double eff = json_real_value(json_object_get(figures, "efficiency"));
	double ideal = json_real_value(json_object_get(figures, "ideal_s"));
	double base = json_real_value(json_object_get(figures, "baseline_s"));
	double measured = json_real_value(json_object_get(figures, "measured_s"));
	double reference = json_real_value(json_object_get(figures, "reference_s"));
	double target = json_real_value(json_object_get(figures, "target_efficiency"));
	double floor_eff = base > 0 ? ideal / base : 0;
	double ref_eff = reference > 0 ? ideal / reference : target / 0.9;

	g->fraction = throughput_fraction(eff, floor_eff, ref_eff * 0.9);
	g->tool_passed = g->fraction >= 1;
	gate_set_summary(g, "%.3f s vs serial %.3f s and the harness's parallel version "
			 "%.3f s; efficiency %.0f%% (serial %.0f%%, reference %.0f%%)", measured,
			 base, reference > 0 ? reference : ideal, eff * 100, floor_eff * 100,
			 ref_eff * 100);
	if (!g->tool_passed)
		throughput_cause(g, figures);
	json_object_set_new(figures, "floor_efficiency", json_real(floor_eff));
	json_object_set_new(figures, "reference_efficiency", json_real(ref_eff));
}

bool bench_leak_check(const struct workspace *w, json_t *figures)
{
	json_int_t left = json_integer_value(json_object_get(figures, "heap_left"));
	char *problem;

	if (!chapter_has_leaks_gate(w->chapter) || w->leaks_found || left <= 0 ||
	    !json_is_true(json_object_get(figures, "valid")))
		return false;
	problem = xasprintf("%lld bytes your code allocated during a benchmark trial were still "
			    "in use after %s and the chapter's clean-up had returned: a leak "
			    "(the scenarios did not show it)", (long long)left,
			    json_string_value(json_object_get(figures, "entry")) ?
			    json_string_value(json_object_get(figures, "entry")) : "your function");
	json_object_set_new(figures, "valid", json_false());
	json_object_set_new(figures, "problem", json_string(problem));
	free(problem);
	return true;
}

json_t *bench_run(const struct workspace *w, enum flavor f, const struct proc_opts *o,
		  int ok_code, struct proc_result *r, struct evidence *e)
{
	const char *argv[] = { w->binaries[f], w->chapter->bench_args[0],
			       w->chapter->bench_args[1], NULL };

	proc_run(argv, o, r);
	evidence_parse(r->channel, r->channel_len, r->channel_dropped, r->token, e);
	if (r->end != PROC_EXITED || (r->code != 0 && r->code != ok_code) || !e->bench)
		return NULL;
	return json_loads(e->bench, 0, NULL);
}

void gate_throughput(const struct workspace *w, const struct scenario_list *list,
		     const struct gate_info *gate, struct gate_result *g)
{
	char describe[160];
	struct proc_opts o = {
		.sandbox = &w->sandbox,
		.cwd = w->scratch_dir,
		.timeout_s = gate_deadline(gate, list),
		.stacks_on_timeout = true,
		.channel_dir = w->dir,
	};
	struct proc_result r;
	struct evidence e;
	json_t *figures;

	if (!binary_ready(w, FLAVOR_BENCH, g))
		return;
	figures = bench_run(w, FLAVOR_BENCH, &o, 0, &r, &e);
	g->ran = true;
	if (!figures) {
		gate_set_summary(g, "the benchmark %s without a result",
				 proc_describe(&r, describe, sizeof(describe)));
		if (r.stacks) {
			char *stacks = stacks_reduce(w, r.stacks);

			gate_add_detail(g, "where the threads were:\n%s", stacks);
			free(stacks);
		}
	} else {
		bench_leak_check(w, figures);
		if (!json_is_true(json_object_get(figures, "valid")))
			gate_set_summary(g, "the benchmark's work was wrong: %s",
					 json_string_value(json_object_get(figures, "problem")));
		else
			throughput_figures(g, figures);
		gate_add_detail(g, "workload: %s",
				json_string_value(json_object_get(figures, "workload")));
		g->figures = figures;
	}
	note_seccomp(&e, g);
	evidence_free(&e);
	proc_result_free(&r);
}
