#define _GNU_SOURCE
#include "gates.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evidence.h"
#include "feedback.h"
#include "learner_output.h"
#include "proc.h"
#include "throughput_cause.h"

#define TOOL_OUTPUT_CAP (4 * 1024 * 1024)

/* The harness's canaries (harness/drivers/race_driver.c). */
#define RACE_CANARY "tc_canary_race_writer"
#define LEAK_CANARY "tc_canary_leak"

double gate_deadline(const struct gate_info *gate, const struct scenario_list *list)
{
	double seconds = list->total_timeout_s * gate->timeout_factor + gate->margin_s;

	return list->cap_s > 0 && list->cap_s < seconds ? list->cap_s : seconds;
}

/* "TC_TIMEOUT_FACTOR=<the gate's factor>" for the scenario watchdog, in buf. */
static const char *factor_env(const struct gate_info *gate, char *buf, size_t size)
{
	snprintf(buf, size, "TC_TIMEOUT_FACTOR=%g", gate->timeout_factor);
	return buf;
}

/* A sanitizer's options, format with one %d for the gate's tool_exit, in buf. */
static const char *tool_options(const char *format, const struct gate_info *gate,
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

/* How one scenario ended, from its evidence. */
enum outcome { OUT_PASS, OUT_FAIL, OUT_TIMEOUT, OUT_CRASH, OUT_EARLY, OUT_NOT_RUN };

/* What one scenario's evidence says; *why (malloc'd) unless it passed. */
static enum outcome scenario_outcome(const struct workspace *w, const struct evidence *e,
				     size_t i, char **why)
{
	const struct scenario_evidence *s = &e->at[i];
	enum outcome o = OUT_NOT_RUN;
	int rc = 0;

	*why = NULL;
	if (s->timeout) {
		char *stacks = s->stacks ? stacks_reduce(w, s->stacks) : strdup("  (no stacks)\n");
		double seconds = atof(s->timeout);
		char *tab = strchr(s->timeout, '\t');
		long mb = tab ? atol(tab + 1) : -1;

		if (mb >= 256)
			rc = asprintf(why, "timed out after %.1f s while using %ld MiB of memory "
				      "(memory that keeps growing?); where the threads were:\n%s",
				      seconds, mb, stacks);
		else if (s->cycle)	/* lib/lockgraph.h */
			rc = asprintf(why, "timed out after %.1f s: %s; where the threads "
				      "were:\n%s", seconds, s->cycle, stacks);
		else
			rc = asprintf(why, "timed out after %.1f s (a deadlock, or a wait nobody "
				      "ends); where the threads were:\n%s", seconds, stacks);
		free(stacks);
		o = OUT_TIMEOUT;
	} else if (s->crash) {
		int sig = atoi(s->crash);
		char *stacks = s->stacks ? stacks_reduce(w, s->stacks) : strdup("");
		char *cause = stacks_crash_cause(w, s->stacks ? s->stacks : "", sig);

		rc = asprintf(why, "crashed (SIG%s)%s\n%s%s%s",
			      sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
			      s->stacks ? "; where the threads were:" : "", stacks,
			      cause ? "  " : "", cause ? cause : "");
		free(cause);
		free(stacks);
		o = OUT_CRASH;
	} else if (s->early) {
		rc = asprintf(why, "ended early: the thread running the test ended inside your "
			      "code (pthread_exit() on a thread you did not create?); that is "
			      "not a pass");
		o = OUT_EARLY;
	} else if (s->end && strcmp(s->end, "pass") == 0) {
		return OUT_PASS;
	} else if (s->end && strncmp(s->end, "fail\t", 5) == 0) {
		char *clause = strdup(s->end + 5), *message = clause ? strchr(clause, '\t') : NULL;

		if (message)
			*message++ = '\0';
		rc = asprintf(why, "%s violated: %s", clause ? clause : "?",
			      message ? message : "");
		free(clause);
		o = OUT_FAIL;
	} else if (s->begin) {
		rc = asprintf(why, "ended early: the test's process ended before the test "
			      "finished (exit() or _exit() in your code?); that is not a pass");
		o = OUT_EARLY;
	} else {
		rc = asprintf(why, "did not run (an earlier failure stopped the run)");
	}
	if (rc < 0)
		*why = NULL;
	return o;
}

/* A note on the seccomp layer of a run, when it was not active. */
static void note_seccomp(const struct evidence *e, struct gate_result *g)
{
	if (e->seccomp && strcmp(e->seccomp, "on") != 0 && strcmp(e->seccomp, "n/a") != 0)
		gate_add_detail(g, "note: the system-call filter was not active in this run "
				"(%s); the other sandbox layers were", e->seccomp + 4);
}

/* The environment entry NAME=value; NULL when out of memory. */
static char *env_entry(const char *name, const char *value)
{
	char *entry;

	return asprintf(&entry, "%s=%s", name, value) < 0 ? NULL : entry;
}

/* A path in the workspace's grader-owned directory, removed first. */
static char *fresh_path(const struct workspace *w, const char *name)
{
	char *path;

	if (asprintf(&path, "%s/%s", w->dir, name) < 0)
		return NULL;
	unlink(path);
	return path;
}

/* Says why a binary cannot be run; true when it can. */
static bool binary_ready(const struct workspace *w, enum flavor f, struct gate_result *g)
{
	if (workspace_binary_intact(w, f))
		return true;
	g->ran = true;
	gate_set_summary(g, "could not run: the program built for this gate changed after "
			 "it was built (not graded)");
	return false;
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
		if (!first_text && asprintf(&first_text, "%s: %s", list->name[i],
					    why ? why : "?") < 0)
			first_text = NULL;
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
		gate_set_summary(g, "%zu of %zu tests fail (points for %zu of the %zu that earn "
				 "points%s); first: %s", list->n - passed, list->n, counted_passed,
				 counted + free_failed, free_failed ? ", counting the ones the starter "
				 "passed and yours fails" : "", first_text ? first_text : "?");
	}
	free(first_text);
	evidence_free(&e);
	proc_result_free(&r);
	free(env_hurry);
	free(hurry);
}

/*
 * A driver run ended badly if a scenario timed out, crashed or ended early,
 * the process did, or it did not run every scenario under the tool: says
 * so in g and returns true. A tool that did not run is never clean.
 */
static bool driver_failed(const struct workspace *w, const struct scenario_list *list,
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

/* Opens a trusted file of the workbook read-only, to hand to a tool. */
static int open_trusted(const struct workspace *w, const char *rel)
{
	char *path;
	int fd;

	if (asprintf(&path, "%s/%s", w->root, rel) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	return fd;
}

/*
 * The learner's code once more under ThreadSanitizer, at the benchmark's
 * scale (the scenarios' small workloads may not reach a race that needs
 * more items or more threads). Turns a passed gate into a failed one when
 * it finds a race, or when that run does not reach its end.
 */
static void tsan_at_scale(const struct workspace *w, const char *const *env,
			  const struct gate_info *gate, struct gate_result *g)
{
	const char *argv[] = { w->binaries[FLAVOR_TSAN_BENCH], "--once", NULL };
	int supp = open_trusted(w, "harness/supp/tsan.supp");
	struct proc_opts o = {
		.sandbox = &w->sandbox,
		.cwd = w->scratch_dir,
		.timeout_s = gate_table[GATE_THROUGHPUT].margin_s,	/* the benchmark's */
		.env = env,
		.big_address_space = true,
		.stacks_on_timeout = true,
		.channel_dir = w->dir,
		.pass_fd = supp,
		.no_aslr = true,
		.output_cap = TOOL_OUTPUT_CAP,
	};
	struct proc_result r;
	struct evidence e;
	char *summary = NULL, *details = NULL, describe[160];
	int reports;

	if (supp < 0 || !workspace_binary_intact(w, FLAVOR_TSAN_BENCH)) {
		g->tool_passed = false;
		g->fraction = 0;
		gate_set_summary(g, "could not run: the benchmark's ThreadSanitizer build is "
				 "missing or changed");
		if (supp >= 0)
			close(supp);
		return;
	}
	proc_run(argv, &o, &r);
	close(supp);
	evidence_parse(r.channel, r.channel_len, r.channel_dropped, r.token, &e);
	reports = tsan_reduce(w, r.output ? r.output : "", &summary, &details);
	if (reports > 0) {
		g->tool_passed = false;
		g->fraction = 0;
		gate_set_summary(g, "ThreadSanitizer, at the benchmark's scale: %s", summary);
		gate_add_detail(g, "at the benchmark's scale (the scenarios did not show it):\n%s",
				details);
	} else if (!e.done || r.output_dropped ||
		   !(r.end == PROC_EXITED && (r.code == 0 || r.code == gate->tool_exit))) {
		g->tool_passed = false;
		g->fraction = 0;
		gate_set_summary(g, "could not run: the benchmark under ThreadSanitizer %s before "
				 "its end%s", proc_describe(&r, describe, sizeof(describe)),
				 r.output_dropped ? " (your program printed more than 4 MiB)" : "");
	} else {
		gate_set_summary(g, "no ThreadSanitizer report (the scenarios, smaller workload, "
				 "and the benchmark once at full scale)");
	}
	free(summary);
	free(details);
	evidence_free(&e);
	proc_result_free(&r);
}

void gate_tsan(const struct workspace *w, const struct scenario_list *list,
	       const struct gate_info *gate, struct gate_result *g)
{
	const char *argv[] = { w->binaries[FLAVOR_TSAN], NULL };
	char *hurry = fresh_path(w, "hurry-tsan"), factor[48], options[200];
	char *env_hurry = env_entry("TC_HURRY_FILE", hurry ? hurry : "");
	const char *env[] = {
		env_hurry, factor_env(gate, factor, sizeof(factor)),
		tool_options("TSAN_OPTIONS=halt_on_error=0 exitcode=%d atexit_sleep_ms=0 "
			     "second_deadlock_stack=1 log_path=stderr suppressions=/dev/fd/4",
			     gate, options, sizeof(options)),
		w->seed_env, list->only_env, NULL,
	};
	int supp = open_trusted(w, "harness/supp/tsan.supp");
	struct proc_opts o = {
		.sandbox = &w->sandbox,
		.cwd = w->scratch_dir,
		.timeout_s = gate_deadline(gate, list),
		.env = env,
		.big_address_space = true,
		.stacks_on_timeout = true,
		.channel_dir = w->dir,
		.hurry_path = hurry,
		.pass_fd = supp,
		.no_aslr = true,
		.output_cap = TOOL_OUTPUT_CAP,
	};
	struct proc_result r;
	struct evidence e;
	char *summary = NULL, *details = NULL, *log;
	int reports, canaries = 0;

	if (supp < 0 || !binary_ready(w, FLAVOR_TSAN, g)) {
		if (supp < 0) {
			g->ran = true;
			gate_set_summary(g, "could not run: the suppression file is missing");
		}
		free(hurry);
		free(env_hurry);
		if (supp >= 0)
			close(supp);
		return;
	}
	proc_run(argv, &o, &r);
	close(supp);
	evidence_parse(r.channel, r.channel_len, r.channel_dropped, r.token, &e);
	g->ran = true;
	log = drop_reports(r.output ? r.output : "", "WARNING: ThreadSanitizer: ",
			   "\n==================", RACE_CANARY, &canaries);
	reports = tsan_reduce(w, log ? log : "", &summary, &details);
	note_seccomp(&e, g);
	if (reports > 0) {
		gate_set_summary(g, "ThreadSanitizer: %s", summary);
		gate_add_detail(g, "%s", details);
	} else if (!driver_failed(w, list, &e, &r, gate, "ThreadSanitizer", g)) {
		if (r.output_dropped) {
			gate_set_summary(g, "could not run: your program printed more than 4 MiB, "
					 "which can cut ThreadSanitizer's report short; print less");
		} else if (canaries == 0) {
			gate_set_summary(g, "could not run: ThreadSanitizer did not report the "
					 "harness's known race, so its silence proves nothing%s",
					 r.output_dropped ? " (your program printed more than 4 MiB, "
					 "which buried the tool's report)" : "");
		} else {
			g->tool_passed = true;
			g->fraction = 1;
			gate_set_summary(g, "no ThreadSanitizer report (%zu scenarios, smaller "
					 "workload)", list->n);
		}
	}
	if (g->tool_passed && !list->cap_s && !list->partial)
		tsan_at_scale(w, env, gate, g);
	free(log);
	free(summary);
	free(details);
	evidence_free(&e);
	proc_result_free(&r);
	free(env_hurry);
	free(hurry);
}

/* Reads what Valgrind wrote to fd, from its start (bounded). */
static char *read_back(int fd, size_t cap)
{
	char *text = malloc(cap + 1);
	ssize_t got;
	size_t used = 0;

	if (!text)
		return NULL;
	while (used < cap && (got = pread(fd, text + used, cap - used, (off_t)used)) > 0)
		used += (size_t)got;
	text[used] = '\0';
	return text;
}

void gate_helgrind(const struct workspace *w, const struct scenario_list *list,
		   const struct gate_info *gate, struct gate_result *g)
{
	char *hurry = fresh_path(w, "hurry-helgrind"), *xml_path = fresh_path(w, "helgrind.xml");
	char *env_hurry = env_entry("TC_HURRY_FILE", hurry ? hurry : "");
	char *supp_opt = NULL, *summary = NULL, *details = NULL, *xml = NULL;
	int xml_fd = xml_path ? open(xml_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
				     O_CLOEXEC, 0600) : -1;
	struct proc_result r;
	struct evidence e;
	int errors, canaries = 0;

	if (asprintf(&supp_opt, "--suppressions=%s/harness/supp/helgrind.supp", w->root) < 0)
		supp_opt = NULL;
	if (xml_fd < 0 || !supp_opt || !binary_ready(w, FLAVOR_HELGRIND, g)) {
		if (!g->ran) {
			g->ran = true;
			gate_set_summary(g, "could not run: the report file could not be made");
		}
		goto out;
	}
	{
		const char *argv[] = {
			"valgrind", "--tool=helgrind", "--xml=yes", "--xml-fd=4", supp_opt,
			"--vgdb=no", "--child-silent-after-fork=yes",
			w->binaries[FLAVOR_HELGRIND], NULL,
		};
		char factor[48];
		const char *env[] = { env_hurry, factor_env(gate, factor, sizeof(factor)),
				      "TC_NO_STACKS=1",
				      "TC_NO_SECCOMP=1", w->seed_env, list->only_env, NULL };
		struct proc_opts o = {
			.sandbox = &w->sandbox,
			.cwd = w->scratch_dir,
			.timeout_s = gate_deadline(gate, list),
			.env = env,
			.big_address_space = true,
			.channel_dir = w->dir,
			.hurry_path = hurry,
			.pass_fd = xml_fd,
		};

		proc_run(argv, &o, &r);
	}
	evidence_parse(r.channel, r.channel_len, r.channel_dropped, r.token, &e);
	g->ran = true;
	xml = read_back(xml_fd, 16u << 20);
	errors = helgrind_reduce(w, xml ? xml : "", RACE_CANARY, &canaries, &summary, &details);
	note_seccomp(&e, g);
	if (r.end == PROC_NOT_STARTED) {
		gate_set_summary(g, "could not run: valgrind could not be started (run 'make "
				 "doctor')");
	} else if (errors > 0) {
		gate_set_summary(g, "Helgrind: %s", summary);
		gate_add_detail(g, "%s", details);
	} else if (!driver_failed(w, list, &e, &r, gate, "Helgrind", g)) {
		if (errors < 0 || !xml || !strstr(xml, "</valgrindoutput>")) {
			gate_set_summary(g, "could not run: Helgrind's report is missing or was cut "
					 "short");
		} else if (canaries == 0) {
			gate_set_summary(g, "could not run: Helgrind did not report the harness's "
					 "known race, so its silence proves nothing");
		} else {
			g->tool_passed = true;
			g->fraction = 1;
			gate_set_summary(g, "no Helgrind error (%zu scenarios, smaller workload)",
					 list->n);
		}
	}
	evidence_free(&e);
	proc_result_free(&r);
out:
	if (xml_fd >= 0)
		close(xml_fd);
	free(xml);
	free(summary);
	free(details);
	free(supp_opt);
	free(env_hurry);
	free(hurry);
	free(xml_path);
}

/* Adds the threads and descriptors each scenario left behind to g. */
static int report_leftovers(const struct workspace *w, const struct scenario_list *list,
			    const struct evidence *e, struct gate_result *g, bool *heap_only)
{
	int leaky = 0;

	*heap_only = false;

	for (size_t i = 0; i < list->n; i++) {
		const struct scenario_evidence *s = &e->at[list->index[i]];
		int threads = 0, fds = 0;
		char what[240];

		if (s->heap) {
			snprintf(what, sizeof(what), "%s bytes of heap kept each time it runs (still "
				 "pointed to, so LeakSanitizer cannot call them leaked; free what the "
				 "contract says to free)", s->heap);
			gate_add_detail(g, "%s: %s", list->name[i], what);
			if (!*heap_only)
				*heap_only = true, gate_set_summary(g, "%s: %s", list->name[i], what);
		}
		if (!s->leak)
			continue;
		sscanf(s->leak, "%d\t%d", &threads, &fds);
		snprintf(what, sizeof(what), "%d thread%s and %d descriptor%s left behind",
			 threads, threads == 1 ? "" : "s", fds, fds == 1 ? "" : "s");
		gate_add_detail(g, "%s left %s", list->name[i], what);
		if (threads > 0 && s->leakstacks) {
			char *stacks = stacks_reduce(w, s->leakstacks);

			gate_add_detail(g, "  where the threads are parked:\n%s", stacks);
			if (!leaky)
				gate_set_summary(g, "%s: %s; %.200s", list->name[i], what,
						 stacks + strspn(stacks, " "));
			free(stacks);
		} else if (!leaky) {
			gate_set_summary(g, "%s: %s", list->name[i], what);
		}
		leaky++;
	}
	if (g->summary) {
		char *nl = strchr(g->summary, '\n');

		if (nl)
			*nl = '\0';
	}
	return leaky;
}

void gate_leaks(const struct workspace *w, const struct scenario_list *list,
		const struct gate_info *gate, struct gate_result *g)
{
	const char *argv[] = { w->binaries[FLAVOR_LEAKS], NULL };
	char *hurry = fresh_path(w, "hurry-leaks");
	char *env_hurry = env_entry("TC_HURRY_FILE", hurry ? hurry : "");
	char factor[48], options[64];
	const char *env[] = {
		env_hurry,
		tool_options("LSAN_OPTIONS=exitcode=%d log_path=stderr", gate, options,
			     sizeof(options)),
		"TC_LEAK_CHECK=1", factor_env(gate, factor, sizeof(factor)), list->only_env, NULL,
	};
	struct proc_opts o = {
		.sandbox = &w->sandbox,
		.cwd = w->scratch_dir,
		.timeout_s = gate_deadline(gate, list),
		.env = env,
		.big_address_space = true,
		.channel_dir = w->dir,
		.hurry_path = hurry,
		.output_cap = TOOL_OUTPUT_CAP,
	};
	struct proc_result r;
	struct evidence e;
	char *summary = NULL, *details = NULL, *log;
	int leaky, canaries = 0;
	bool heap_kept;
	long bytes;

	if (!binary_ready(w, FLAVOR_LEAKS, g)) {
		free(hurry);
		free(env_hurry);
		return;
	}
	proc_run(argv, &o, &r);
	evidence_parse(r.channel, r.channel_len, r.channel_dropped, r.token, &e);
	g->ran = true;
	leaky = report_leftovers(w, list, &e, g, &heap_kept);
	log = drop_reports(r.output ? r.output : "", "leak of ", "\n\n", LEAK_CANARY, &canaries);
	bytes = lsan_reduce(w, log ? log : "", &summary, &details);
	note_seccomp(&e, g);
	if (bytes > 0) {
		gate_add_detail(g, "LeakSanitizer: %s\n%s", summary, details);
		if (!leaky)
			gate_set_summary(g, "LeakSanitizer: %s", summary);
	}
	if (!leaky && bytes == 0 && !heap_kept &&
	    !driver_failed(w, list, &e, &r, gate, "LeakSanitizer", g)) {
		if (r.output_dropped) {
			gate_set_summary(g, "could not run: your program printed more than 4 MiB, "
					 "which can cut LeakSanitizer's report short; print less");
		} else if (canaries == 0) {
			gate_set_summary(g, "could not run: LeakSanitizer did not report the "
					 "harness's known leak, so its silence proves nothing%s",
					 r.output_dropped ? " (your program printed more than 4 MiB)"
					 : "");
		} else {
			g->tool_passed = true;
			g->fraction = 1;
			gate_set_summary(g, "no thread, descriptor or heap memory left behind "
					 "(%zu scenarios)", list->n);
		}
	}
	free(log);
	free(summary);
	free(details);
	evidence_free(&e);
	proc_result_free(&r);
	free(env_hurry);
	free(hurry);
}

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

void gate_throughput(const struct workspace *w, const struct scenario_list *list,
		     const struct gate_info *gate, struct gate_result *g)
{
	char describe[160];
	const char *argv[] = { w->binaries[FLAVOR_BENCH], w->chapter->bench_args[0], w->chapter->bench_args[1], NULL };
	struct proc_opts o = {
		.sandbox = &w->sandbox,
		.cwd = w->scratch_dir,
		.timeout_s = gate_deadline(gate, list),
		.stacks_on_timeout = true,
		.channel_dir = w->dir,
	};
	struct proc_result r;
	struct evidence e;
	json_t *figures = NULL;
	json_error_t error;

	if (!binary_ready(w, FLAVOR_BENCH, g))
		return;
	proc_run(argv, &o, &r);
	evidence_parse(r.channel, r.channel_len, r.channel_dropped, r.token, &e);
	g->ran = true;
	if (r.end == PROC_EXITED && r.code == 0 && e.bench)
		figures = json_loads(e.bench, 0, &error);
	if (!figures) {
		gate_set_summary(g, "the benchmark %s without a result",
				 proc_describe(&r, describe, sizeof(describe)));
		if (r.stacks) {
			char *stacks = stacks_reduce(w, r.stacks);

			gate_add_detail(g, "where the threads were:\n%s", stacks);
			free(stacks);
		}
	} else {
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
