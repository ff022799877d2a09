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

bool scenario_list_parse(char *text, struct scenario_list *list)
{
	char *line, *save = NULL;

	memset(list, 0, sizeof(*list));
	snprintf(list->only_env, sizeof(list->only_env), "TC_ONLY=");
	for (line = strtok_r(text, "\n", &save); line && list->n < 64;
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

/* Why a scenario timed out: its memory, its lock cycle, or a plain hang. */
static char *timeout_reason(const struct workspace *w, const struct scenario_evidence *s)
{
	char *stacks = s->stacks ? stacks_reduce(w, s->stacks) : xstrdup("  (no stacks)\n");
	double seconds = atof(s->timeout);
	char *tab = strchr(s->timeout, '\t'), *why;
	long mb = tab ? atol(tab + 1) : -1;

	if (mb >= 256)
		why = xasprintf("timed out after %.1f s while using %ld MiB of memory (memory "
				"that keeps growing?); where the threads were:\n%s", seconds, mb,
				stacks);
	else if (s->cycle)	/* lib/lockgraph.h */
		why = xasprintf("timed out after %.1f s: %s; where the threads were:\n%s",
				seconds, s->cycle, stacks);
	else
		why = xasprintf("timed out after %.1f s (a deadlock, or a wait nobody ends); "
				"where the threads were:\n%s", seconds, stacks);
	free(stacks);
	return why;
}

enum outcome scenario_outcome(const struct workspace *w, const struct evidence *e,
			      size_t i, char **why)
{
	const struct scenario_evidence *s = &e->at[i];
	enum outcome o = OUT_NOT_RUN;

	*why = NULL;
	if (s->timeout) {
		*why = timeout_reason(w, s);
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

/* What the correctness gate's tally counts. */
struct tally {
	size_t passed;		/* scenarios that passed */
	size_t counted;		/* scenarios that count for points (not free passes) */
	size_t counted_passed;	/* of those, how many passed */
	size_t free_failed;	/* free passes this code fails: they count too */
	size_t unproven;	/* ended early or never reported */
};

/*
 * Adds a PASS or FAIL line per scenario to g, with what the learner's code
 * printed in it (under failures; under every test with all_output); fills
 * t and sets *first (malloc'd, one line) to the first failure, or NULL.
 */
/* What Criterion prints when a test's process died of a signal. */
#define CRITERION_SIGNAL_LINE "Unexpected signal caught below this line!"

static void tally(const struct workspace *w, const struct scenario_list *list,
		  const struct scenario_run *s, struct gate_result *g, struct tally *t,
		  char **first)
{
	memset(t, 0, sizeof(*t));
	*first = NULL;
	for (size_t i = 0; i < list->n; i++) {
		char *why;
		enum outcome out = scenario_outcome(w, &s->e, list->index[i], &why);

		if (out == OUT_EARLY && learner_output_has(s->r.output, list->index[i],
							   CRITERION_SIGNAL_LINE)) {
			/* Killed before the harness's handler ran: its stack was gone. */
			free(why);
			why = xstrdup("crashed: the test's process was killed by a signal "
				      "before the harness could report it; most often a stack "
				      "overflow (recursion without end, or a large array on a "
				      "thread's stack)");
			out = OUT_CRASH;
		}
		t->counted += !list->free_pass[i];
		if (out == OUT_PASS) {
			t->passed++;
			t->counted_passed += !list->free_pass[i];
			gate_add_detail(g, "PASS %s (%s)", list->name[i], list->clause[i]);
			if (list->all_output)
				learner_output_add(g, s->r.output, list->index[i], true);
			continue;
		}
		t->free_failed += list->free_pass[i];
		t->unproven += out == OUT_EARLY || out == OUT_NOT_RUN;
		if (out == OUT_TIMEOUT || out == OUT_CRASH || out == OUT_EARLY)
			g->halted = g->halted || out != OUT_CRASH;
		gate_add_detail(g, "FAIL %s (%s): %s", list->name[i], list->clause[i],
				why ? why : "?");
		learner_output_add(g, s->r.output, list->index[i], list->all_output);
		if (!*first) {
			*first = xasprintf("%s: %s", list->name[i], why ? why : "?");
			(*first)[strcspn(*first, "\n")] = '\0';
		}
		free(why);
	}
}

/* The correctness gate's summary line, once the run and the tally are in. */
static void correctness_summary(const struct workspace *w, const struct scenario_list *list,
				const struct scenario_run *s, const struct tally *t,
				const char *first, struct gate_result *g)
{
	if (g->tool_passed)
		gate_set_summary(g, "%zu of %zu tests pass", t->passed, list->n);
	else if (s->r.end == PROC_STOPPED)
		gate_set_summary(g, "stopped: a process of the tests stopped itself (SIGSTOP or "
				 "another job-control stop); it was ended at once");
	else if (s->r.out_of_memory)
		gate_set_summary(g, "stopped: the tests used more than %lu MiB of memory",
				 w->sandbox.max_memory_mb);
	else if (s->e.overflowed)
		gate_set_summary(g, "could not run: the harness's report channel overflowed");
	else
		gate_set_summary(g, "%zu of %zu tests fail (%zu of the %zu that count for points "
				 "pass); first: %s", list->n - t->passed, list->n, t->counted_passed,
				 t->counted + t->free_failed, first ? first : "?");
}

void gate_correctness(const struct workspace *w, const struct scenario_list *list,
		      const struct gate_info *gate, struct gate_result *g)
{
	const char *argv[] = { w->binaries[FLAVOR_SUITE], "--jobs=1", "--ascii", NULL };
	struct scenario_run s;
	const char *env[] = { NULL, NULL, w->seed_env, list->only_env, NULL };
	struct proc_opts o = { .timeout_s = gate_deadline(gate, list), .env = env };
	struct tally t;
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
	tally(w, list, &s, g, &t, &first);
	note_seccomp(&s.e, g);
	if (s.r.end == PROC_TIMED_OUT)
		gate_add_detail(g, "the test run as a whole timed out and was stopped");
	if (s.r.end == PROC_STOPPED || s.r.end == PROC_TIMED_OUT)
		g->halted = true;
	g->tool_passed = list->n && t.passed == list->n && s.r.end != PROC_STOPPED &&
			 !s.e.overflowed;
	/*
	 * A run that stopped itself, overflowed its channel, or has a test that
	 * ended early or never reported earns nothing: partial credit is only
	 * for evidence the harness could read to its end.
	 */
	g->fraction = s.r.end == PROC_STOPPED || s.e.overflowed || t.unproven ? 0 :
		      correctness_fraction(g->tool_passed, t.counted_passed,
					   t.counted + t.free_failed);
	if (s.r.out_of_memory)
		gate_add_detail(g, "the tests used more memory than allowed (%lu MiB) and were "
				"stopped", w->sandbox.max_memory_mb);
	correctness_summary(w, list, &s, &t, first, g);
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
