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
#include "proc.h"

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

bool scenario_list_parse(char *text, struct scenario_list *list)
{
	char *line, *save = NULL;

	memset(list, 0, sizeof(*list));
	for (line = strtok_r(text, "\n", &save); line && list->n < 64;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t i = list->n;

		if (strcmp(line, "#gates\tleaks") == 0) {
			list->checks_leaks = true;
			continue;
		}
		if (sscanf(line, "%15[^\t]\t%127[^\t]\t%lf", list->clause[i], list->name[i],
			   &list->timeout_s[i]) == 3) {
			list->total_timeout_s += list->timeout_s[i];
			list->n++;
		}
	}
	return list->n > 0;
}

bool scenarios_list(const struct workspace *w, struct scenario_list *list)
{
	const char *argv[] = { w->binaries[FLAVOR_HELGRIND], "--list", NULL };
	struct proc_opts o = { .timeout_s = 20, .sandbox = &w->sandbox,
			       .cwd = w->scratch_dir };
	struct proc_result r;
	bool ok;

	memset(list, 0, sizeof(*list));
	if (!workspace_binary_intact(w, FLAVOR_HELGRIND))
		return false;
	proc_run(argv, &o, &r);
	ok = r.end == PROC_EXITED && r.code == 0 && scenario_list_parse(r.output, list);
	proc_result_free(&r);
	return ok;
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
		else
			*why = xasprintf("timed out after %.1f s (a deadlock, or a wait nobody "
					 "ends); where the threads were:\n%s", seconds, stacks);
		free(stacks);
		o = OUT_TIMEOUT;
	} else if (s->crash) {
		int sig = atoi(s->crash);
		char *stacks = s->stacks ? stacks_reduce(w, s->stacks) : xstrdup("");

		*why = xasprintf("crashed (SIG%s)%s\n%s",
				 sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
				 s->stacks ? "; where the threads were:" : "", stacks);
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
		enum outcome out = scenario_outcome(w, e, i, &why);

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


void scenario_run_init(struct scenario_run *s, const struct workspace *w,
		       const struct gate_info *gate)
{
	char name[64];

	memset(s, 0, sizeof(*s));
	snprintf(name, sizeof(name), "hurry-%s", gate->name);
	s->hurry = fresh_path(w, name);
	s->env_hurry = env_entry("TC_HURRY_FILE", s->hurry);
	factor_env(gate, s->factor, sizeof(s->factor));
}

void scenario_run(struct scenario_run *s, const struct workspace *w,
		  const char *const *argv, struct proc_opts *o)
{
	o->sandbox = &w->sandbox;
	o->cwd = w->scratch_dir;
	o->channel_dir = w->dir;
	o->hurry_path = s->hurry;
	proc_run(argv, o, &s->r);
	evidence_parse(s->r.channel, s->r.channel_len, s->r.channel_dropped, s->r.token, &s->e);
	s->ran = true;
}

void scenario_run_free(struct scenario_run *s)
{
	if (s->ran) {
		evidence_free(&s->e);
		proc_result_free(&s->r);
	}
	free(s->env_hurry);
	free(s->hurry);
}

/*
 * Adds a PASS or FAIL line per scenario to g; returns how many passed and
 * sets *first (malloc'd, one line) to the first failure, or NULL.
 */
static size_t tally(const struct workspace *w, const struct scenario_list *list,
		    const struct evidence *e, struct gate_result *g, char **first)
{
	size_t passed = 0;

	*first = NULL;
	for (size_t i = 0; i < list->n; i++) {
		char *why;
		enum outcome out = scenario_outcome(w, e, i, &why);

		if (out == OUT_PASS) {
			passed++;
			gate_add_detail(g, "PASS %s (%s)", list->name[i], list->clause[i]);
			continue;
		}
		if (out == OUT_TIMEOUT || out == OUT_CRASH || out == OUT_EARLY)
			g->halted = g->halted || out != OUT_CRASH;
		gate_add_detail(g, "FAIL %s (%s): %s", list->name[i], list->clause[i], why);
		if (!*first) {
			*first = xasprintf("%s: %s", list->name[i], why);
			(*first)[strcspn(*first, "\n")] = '\0';
		}
		free(why);
	}
	return passed;
}

/* The correctness gate's summary line, once the run and the tally are in. */
static void correctness_summary(const struct workspace *w, const struct scenario_list *list,
				const struct scenario_run *s, size_t passed, const char *first,
				struct gate_result *g)
{
	if (g->tool_passed)
		gate_set_summary(g, "%zu of %zu tests pass", passed, list->n);
	else if (s->r.end == PROC_STOPPED)
		gate_set_summary(g, "stopped: a process of the tests stopped itself (SIGSTOP or "
				 "another job-control stop); it was ended at once");
	else if (s->r.out_of_memory)
		gate_set_summary(g, "stopped: the tests used more than %lu MiB of memory",
				 w->sandbox.max_memory_mb);
	else if (s->e.overflowed)
		gate_set_summary(g, "could not run: the harness's report channel overflowed");
	else
		gate_set_summary(g, "%zu of %zu tests fail; first: %s", list->n - passed,
				 list->n, first ? first : "?");
}

void gate_correctness(const struct workspace *w, const struct scenario_list *list,
		      const struct gate_info *gate, struct gate_result *g)
{
	const char *argv[] = { w->binaries[FLAVOR_SUITE], "--jobs=1", "--ascii", NULL };
	struct scenario_run s;
	const char *env[] = { NULL, NULL, w->seed_env, NULL };
	struct proc_opts o = { .timeout_s = gate_deadline(gate, list), .env = env };
	size_t passed;
	char *first;

	scenario_run_init(&s, w, gate);
	env[0] = s.env_hurry;
	env[1] = s.factor;
	if (!binary_ready(w, FLAVOR_SUITE, g)) {
		scenario_run_free(&s);
		return;
	}
	scenario_run(&s, w, argv, &o);
	g->ran = true;
	passed = tally(w, list, &s.e, g, &first);
	note_seccomp(&s.e, g);
	if (s.r.end == PROC_TIMED_OUT)
		gate_add_detail(g, "the test run as a whole timed out and was stopped");
	if (s.r.end == PROC_STOPPED || s.r.end == PROC_TIMED_OUT)
		g->halted = true;
	g->tool_passed = list->n && passed == list->n && s.r.end != PROC_STOPPED &&
			 !s.e.overflowed;
	g->fraction = g->tool_passed ? 1 : 0;
	if (s.r.out_of_memory)
		gate_add_detail(g, "the tests used more memory than allowed (%lu MiB) and were "
				"stopped", w->sandbox.max_memory_mb);
	correctness_summary(w, list, &s, passed, first, g);
	free(first);
	scenario_run_free(&s);
}

bool silence_counts(const struct workspace *w, const struct scenario_list *list,
		    const struct scenario_run *s, const struct gate_info *gate,
		    const char *tool, const char *known, int canaries, const char *cut,
		    struct gate_result *g)
{
	if (driver_failed(w, list, &s->e, &s->r, gate, tool, g))
		return false;
	if (cut) {
		gate_set_summary(g, "%s", cut);
		return false;
	}
	if (canaries == 0) {
		gate_set_summary(g, "could not run: %s did not report the harness's known %s, "
				 "so its silence proves nothing", tool, known);
		return false;
	}
	return true;
}

void tool_passed(struct gate_result *g)
{
	g->tool_passed = true;
	g->fraction = 1;
}
