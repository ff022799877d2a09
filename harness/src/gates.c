/*
 * gates.c - what the gate runners share, the scenario list, and the
 * correctness gate
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
#include "feedback.h"
#include "learner_output.h"
#include "proc.h"
#include "throughput_cause.h"

double gate_deadline(const struct gate_info *gate, const struct scenario_list *list)
{
	double seconds = list->total_timeout_s * gate->timeout_factor + gate->margin_s;

	return list->cap_s > 0 && list->cap_s < seconds ? list->cap_s : seconds;
}

const char *factor_env(const struct gate_info *gate, char *buf, size_t size)
{
	snprintf(buf, size, "TC_TIMEOUT_FACTOR=%g", gate->timeout_factor);
	return buf;
}

const char *tool_options(const char *format, const struct gate_info *gate,
			 char *buf, size_t size)
{
	snprintf(buf, size, format, gate->tool_exit);
	return buf;
}

bool scenarios_list(const struct workspace *w, struct scenario_list *list)
{
	const char *argv[] = { w->binaries[FLAVOR_HELGRIND], "--list", NULL };
	struct proc_opts o = { .timeout_s = 20, .sandbox = &w->sandbox,
			       .cwd = w->scratch_dir };
	struct proc_result r;
	char *line, *save = NULL;

	memset(list, 0, sizeof(*list));
	snprintf(list->only_env, sizeof(list->only_env), "TC_ONLY=");
	if (!workspace_binary_intact(w, FLAVOR_HELGRIND))
		return false;
	proc_run(argv, &o, &r);
	if (r.end != PROC_EXITED || r.code != 0) {
		proc_result_free(&r);
		return false;
	}
	for (line = strtok_r(r.output, "\n", &save); line && list->n < 64;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t i = list->n;

		if (strcmp(line, "#gates\tleaks") == 0) {
			list->checks_leaks = true;
			continue;
		}
		if (strncmp(line, "#hidden\t", 8) == 0 && list->nhidden < 64) {
			snprintf(list->hidden[list->nhidden++], sizeof(*list->hidden), "%s", line + 8);
			continue;
		}
		if (sscanf(line, "%15[^\t]\t%127[^\t]\t%lf", list->clause[i], list->name[i],
			   &list->timeout_s[i]) == 3) {
			list->index[i] = i;
			list->total_timeout_s += list->timeout_s[i];
			list->n++;
		}
	}
	proc_result_free(&r);
	return list->n > 0;
}

enum outcome scenario_outcome(const struct workspace *w, const struct evidence *e,
			      size_t i, char **why)
{
	const struct scenario_evidence *s = &e->at[i];
	enum outcome o = OUT_NOT_RUN;

	*why = NULL;
	if (s->timeout) {
		char *stacks = s->stacks ? stacks_reduce(w, s->stacks) : xstrdup("  (no stacks)\n");
		double seconds = atof(s->timeout);
		char *tab = strchr(s->timeout, '\t');
		long mb = tab ? atol(tab + 1) : -1;

		if (mb >= 256)
			*why = xasprintf("timed out after %.1f s while using %ld MiB of memory "
					 "(memory that keeps growing?); where the threads were:\n%s",
					 seconds, mb, stacks);
		else if (s->cycle)	/* lib/lockgraph.h */
			*why = xasprintf("timed out after %.1f s: %s; where the threads "
					 "were:\n%s", seconds, s->cycle, stacks);
		else
			*why = xasprintf("timed out after %.1f s (a deadlock, or a wait nobody "
					 "ends); where the threads were:\n%s", seconds, stacks);
		free(stacks);
		o = OUT_TIMEOUT;
	} else if (s->crash) {
		int sig = atoi(s->crash);
		char *stacks = s->stacks ? stacks_reduce(w, s->stacks) : xstrdup("");
		char *cause = stacks_crash_cause(w, s->stacks ? s->stacks : "", sig);

		*why = xasprintf("crashed (SIG%s)%s\n%s%s%s",
				 sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
				 s->stacks ? "; where the threads were:" : "", stacks,
				 cause ? "  " : "", cause ? cause : "");
		free(cause);
		free(stacks);
		o = OUT_CRASH;
	} else if (s->early) {
		*why = xasprintf("ended early: the thread running the test ended inside your "
				 "code (pthread_exit() on a thread you did not create?); that is "
				 "not a pass");
		o = OUT_EARLY;
	} else if (s->end && strcmp(s->end, "pass") == 0) {
		return OUT_PASS;
	} else if (s->end && strncmp(s->end, "fail\t", 5) == 0) {
		char *clause = xstrdup(s->end + 5), *message = clause ? strchr(clause, '\t') : NULL;

		if (message)
			*message++ = '\0';
		*why = xasprintf("%s violated: %s", clause ? clause : "?",
				 message ? message : "");
		free(clause);
		o = OUT_FAIL;
	} else if (s->begin) {
		*why = xasprintf("ended early: the test's process ended before the test "
				 "finished (exit() or _exit() in your code?); that is not a pass");
		o = OUT_EARLY;
	} else {
		*why = xasprintf("did not run (an earlier failure stopped the run)");
	}
	return o;
}

void note_seccomp(const struct evidence *e, struct gate_result *g)
{
	if (e->seccomp && strcmp(e->seccomp, "on") != 0 && strcmp(e->seccomp, "n/a") != 0)
		gate_add_detail(g, "note: the system-call filter was not active in this run "
				"(%s); the other sandbox layers were", e->seccomp + 4);
}

char *env_entry(const char *name, const char *value)
{
	return xasprintf("%s=%s", name, value);
}

char *fresh_path(const struct workspace *w, const char *name)
{
	char *path;

	path = xasprintf("%s/%s", w->dir, name);
	unlink(path);
	return path;
}

bool binary_ready(const struct workspace *w, enum flavor f, struct gate_result *g)
{
	if (workspace_binary_intact(w, f))
		return true;
	g->ran = true;
	gate_set_summary(g, "could not run: the program built for this gate changed after "
			 "it was built (not graded)");
	return false;
}

bool driver_failed(const struct workspace *w, const struct scenario_list *list,
		   const struct evidence *e, const struct proc_result *r,
		   const struct gate_info *gate, const char *tool, struct gate_result *g)
{
	char describe[160];

	if (r->end == PROC_TIMED_OUT) {
		if (list->cap_s > 0)
			gate_set_summary(g, "not finished within %.0f s: correctness failed, so %s's "
					 "run was cut short (fix correctness first)", list->cap_s, tool);
		else
			gate_set_summary(g, "could not run: the %s run %s", tool,
					 proc_describe(r, describe, sizeof(describe)));
		return true;
	}
	for (size_t i = 0; i < list->n; i++) {
		char *why, *nl;
		enum outcome out = scenario_outcome(w, e, list->index[i], &why);

		if (out != OUT_TIMEOUT && out != OUT_CRASH && out != OUT_EARLY) {
			free(why);
			continue;
		}
		gate_add_detail(g, "%s (%s): %s", list->name[i], list->clause[i], why ? why : "?");
		nl = why ? strchr(why, '\n') : NULL;
		if (nl)
			*nl = '\0';
		gate_set_summary(g, "%s %s", list->name[i], why ? why : "?");
		free(why);
		return true;
	}
	if (r->end == PROC_STOPPED) {
		gate_set_summary(g, "stopped: the program stopped itself (SIGSTOP or another "
				 "job-control stop)");
		return true;
	}
	if (!e->canary || !e->done || e->done_count != list->n || e->overflowed) {
		gate_set_summary(g, "could not run: %s did not run the %zu scenarios to their "
				 "end (the program %s)", tool, list->n,
				 proc_describe(r, describe, sizeof(describe)));
		if (r->output && *r->output) {
			char *shown = workspace_rewrite(w, r->output);

			if (shown)
				learner_output_strip_marks(shown);
			gate_add_detail(g, "its output began:\n%.2000s", shown ? shown : "");
			free(shown);
		}
		return true;
	}
	if (r->end == PROC_EXITED && (r->code == 0 || r->code == gate->tool_exit))
		return false;
	gate_set_summary(g, "could not run: the %s run %s", tool,
			 proc_describe(r, describe, sizeof(describe)));
	return true;
}

int open_trusted(const struct workspace *w, const char *rel)
{
	char *path;
	int fd;

	path = xasprintf("%s/%s", w->root, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	return fd;
}


double correctness_fraction(bool all_passed, size_t passed, size_t counted)
{
	if (all_passed)
		return 1;
	return counted ? (double)passed / (double)counted : 0;
}

void gate_correctness(const struct workspace *w, const struct scenario_list *list,
		      const struct gate_info *gate, struct gate_result *g)
{
	const char *argv[] = { w->binaries[FLAVOR_SUITE], "--jobs=1", "--ascii", NULL };
	char *hurry = fresh_path(w, "hurry-correctness"), factor[48];
	char *env_hurry = env_entry("TC_HURRY_FILE", hurry ? hurry : "");
	const char *env[] = { env_hurry, factor_env(gate, factor, sizeof(factor)),
			      w->seed_env, list->only_env, NULL };
	struct proc_opts o = {
		.sandbox = &w->sandbox,
		.cwd = w->scratch_dir,
		.timeout_s = gate_deadline(gate, list),
		.env = env,
		.channel_dir = w->dir,
		.hurry_path = hurry,
	};
	struct proc_result r;
	struct evidence e;
	size_t passed = 0, counted = 0, counted_passed = 0, free_failed = 0, unproven = 0;
	char *first_text = NULL;

	if (!binary_ready(w, FLAVOR_SUITE, g)) {
		free(hurry);
		free(env_hurry);
		return;
	}
	proc_run(argv, &o, &r);
	evidence_parse(r.channel, r.channel_len, r.channel_dropped, r.token, &e);
	g->ran = true;
	for (size_t i = 0; i < list->n; i++) {
		char *why;
		enum outcome out = scenario_outcome(w, &e, list->index[i], &why);

		counted += !list->free_pass[i];
		if (out == OUT_PASS) {
			passed++;
			counted_passed += !list->free_pass[i];
			gate_add_detail(g, "PASS %s (%s)", list->name[i], list->clause[i]);
			if (list->all_output)
				learner_output_add(g, r.output, list->index[i], true);
			continue;
		}
		free_failed += list->free_pass[i];
		unproven += out == OUT_EARLY || out == OUT_NOT_RUN;
		if (out == OUT_TIMEOUT || out == OUT_CRASH || out == OUT_EARLY)
			g->halted = g->halted || out != OUT_CRASH;
		gate_add_detail(g, "FAIL %s (%s): %s", list->name[i], list->clause[i],
				why ? why : "?");
		learner_output_add(g, r.output, list->index[i], list->all_output);
		if (!first_text)
			first_text = xasprintf("%s: %s", list->name[i], why ? why : "?");
		free(why);
	}
	note_seccomp(&e, g);
	if (r.end == PROC_TIMED_OUT)
		gate_add_detail(g, "the test run as a whole timed out and was stopped");
	if (r.end == PROC_STOPPED || r.end == PROC_TIMED_OUT)
		g->halted = true;
	g->tool_passed = list->n && passed == list->n && r.end != PROC_STOPPED && !e.overflowed;
	/*
	 * A run that stopped itself, overflowed its channel, or has a test that
	 * ended early or never reported earns nothing: partial credit is only
	 * for evidence the harness could read to its end.
	 */
	g->fraction = r.end == PROC_STOPPED || e.overflowed || unproven ? 0 :
		      correctness_fraction(g->tool_passed, counted_passed, counted + free_failed);
	if (r.out_of_memory)
		gate_add_detail(g, "the tests used more memory than allowed (%lu MiB) and were "
				"stopped", w->sandbox.max_memory_mb);
	if (g->tool_passed) {
		gate_set_summary(g, "%zu of %zu tests pass", passed, list->n);
	} else if (r.end == PROC_STOPPED) {
		gate_set_summary(g, "stopped: a process of the tests stopped itself (SIGSTOP or "
				 "another job-control stop); it was ended at once");
	} else if (r.out_of_memory) {
		gate_set_summary(g, "stopped: the tests used more than %lu MiB of memory",
				 w->sandbox.max_memory_mb);
	} else if (e.overflowed) {
		gate_set_summary(g, "could not run: the harness's report channel overflowed");
	} else {
		char *nl = first_text ? strchr(first_text, '\n') : NULL;

		if (nl)
			*nl = '\0';
		gate_set_summary(g, "%zu of %zu tests fail (%zu of the %zu that count for points "
				 "pass); first: %s", list->n - passed, list->n, counted_passed,
				 counted + free_failed, first_text ? first_text : "?");
	}
	free(first_text);
	evidence_free(&e);
	proc_result_free(&r);
	free(env_hurry);
	free(hurry);
}
