#define _GNU_SOURCE
#include "gates.h"

#include <glob.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedback.h"
#include "proc.h"

/* Slow-down factors for the scenario watchdog (see harness/README.md). */
#define TSAN_TIMEOUT_FACTOR 2
#define HELGRIND_TIMEOUT_FACTOR 3
#define BENCH_TIMEOUT_S 60.0

static char *marker(const char *dir, size_t index, const char *suffix)
{
	char *path, *text;

	if (asprintf(&path, "%s/%zu%s", dir, index, suffix) < 0)
		return NULL;
	text = read_text(path, 64 * 1024);
	free(path);
	return text;
}

static char *make_subdir(const struct workspace *w, const char *name)
{
	char *dir;

	if (asprintf(&dir, "%s/%s", w->dir, name) < 0)
		return NULL;
	remove_tree(dir);
	make_dirs(dir);
	workspace_own(w, dir);
	return dir;
}

bool scenarios_list(const struct workspace *w, struct scenario_list *list)
{
	const char *argv[] = { w->binaries[FLAVOR_HELGRIND], "--list", NULL };
	struct proc_opts o = { .timeout_s = 20, .sandbox = &w->sandbox };
	struct proc_result r;
	char *line, *save = NULL;

	memset(list, 0, sizeof(*list));
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
		if (sscanf(line, "%15[^\t]\t%127[^\t]\t%lf", list->clause[i], list->name[i],
			   &list->timeout_s[i]) == 3) {
			list->total_timeout_s += list->timeout_s[i];
			list->n++;
		}
	}
	proc_result_free(&r);
	return list->n > 0;
}

/* What one scenario's markers say: true if it passed; *why otherwise. */
static bool scenario_outcome(const struct workspace *w, const char *dir, size_t i,
			     char **why)
{
	char *end = marker(dir, i, ".end"), *crash = marker(dir, i, ".crash");
	char *timeout = marker(dir, i, ".timeout"), *begin = marker(dir, i, ".begin");
	bool passed = false;

	*why = NULL;
	if (timeout) {
		char *dump = marker(dir, i, ".stacks");
		char *stacks = dump ? stacks_reduce(w, dump) : strdup("  (no stacks)\n");

		double seconds = atof(timeout);
		char *tab = strchr(timeout, '\t');
		long mb = tab ? atol(tab + 1) : -1;

		if (mb >= 256)
			asprintf(why, "timed out after %.1f s while using %ld MiB of memory (memory "
				 "that keeps growing?); where the threads were:\n%s", seconds, mb,
				 stacks);
		else
			asprintf(why, "timed out after %.1f s (a deadlock, or a wait nobody ends); "
				 "where the threads were:\n%s", seconds, stacks);
		free(dump);
		free(stacks);
	} else if (crash) {
		int sig = atoi(crash);
		char *dump = marker(dir, i, ".stacks");
		char *stacks = dump ? stacks_reduce(w, dump) : strdup("");

		asprintf(why, "crashed (SIG%s)%s\n%s", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
			 dump ? "; where the threads were:" : "", stacks);
		free(dump);
		free(stacks);
	} else if (end && strncmp(end, "pass", 4) == 0) {
		passed = true;
	} else if (end && strncmp(end, "fail\t", 5) == 0) {
		char *clause = end + 5, *message = strchr(clause, '\t');

		if (message)
			*message++ = '\0';
		asprintf(why, "%s violated: %s", clause, message ? message : "");
	} else if (begin) {
		asprintf(why, "ended early: the test's process exited before the test "
			 "finished (exit() or _exit() in your code?); that is not a pass");
	} else {
		asprintf(why, "did not run (an earlier failure stopped the run)");
	}
	free(end);
	free(crash);
	free(timeout);
	free(begin);
	return passed;
}

void gate_correctness(const struct workspace *w, const struct scenario_list *list,
		      struct gate_result *g)
{
	char *dir = make_subdir(w, "markers"), *env_markers;
	const char *argv[] = { w->binaries[FLAVOR_SUITE], "--jobs=1", "--ascii", NULL };
	struct proc_result r;
	size_t passed = 0;
	const char *first_failure = NULL;
	char *first_text = NULL;

	asprintf(&env_markers, "TC_MARKERS=%s", dir);
	{
		const char *env[] = { env_markers, w->seed_env, "TC_TIMEOUT_FACTOR=1", NULL };
		struct proc_opts o = {
			.sandbox = &w->sandbox,
			.timeout_s = list->total_timeout_s + 30,
			.env = env,
		};

		proc_run(argv, &o, &r);
	}
	g->ran = true;
	for (size_t i = 0; i < list->n; i++) {
		char *why;

		if (scenario_outcome(w, dir, i, &why)) {
			passed++;
			gate_add_detail(g, "PASS %s (%s)", list->name[i], list->clause[i]);
			continue;
		}
		gate_add_detail(g, "FAIL %s (%s): %s", list->name[i], list->clause[i], why);
		if (!first_failure) {
			first_failure = list->name[i];
			asprintf(&first_text, "%s: %s", list->name[i], why);
		}
		free(why);
	}
	if (r.end == PROC_TIMED_OUT)
		gate_add_detail(g, "the test run as a whole timed out and was stopped");
	g->tool_passed = list->n && passed == list->n;
	g->fraction = g->tool_passed ? 1 : 0;
	if (r.out_of_memory)
		gate_add_detail(g, "the tests used more memory than allowed (%lu MiB) and were "
				"stopped", w->sandbox.max_memory_mb);
	if (g->tool_passed) {
		gate_set_summary(g, "%zu of %zu tests pass", passed, list->n);
	} else if (r.out_of_memory) {
		gate_set_summary(g, "stopped: the tests used more than %lu MiB of memory",
				 w->sandbox.max_memory_mb);
	} else {
		char *nl = first_text ? strchr(first_text, '\n') : NULL;

		if (nl)
			*nl = '\0';
		gate_set_summary(g, "%zu of %zu tests fail; first: %s", list->n - passed,
				 list->n, first_text ? first_text : "?");
	}
	free(first_text);
	proc_result_free(&r);
	free(env_markers);
	free(dir);
}

/*
 * A driver run ended badly if a scenario timed out or crashed, or the
 * process did: says so in g and returns true.
 */
static bool driver_failed(const struct workspace *w, const struct scenario_list *list,
			  const char *markers, const struct proc_result *r,
			  int clean_exit_code, struct gate_result *g)
{
	char describe[128];

	for (size_t i = 0; i < list->n; i++) {
		char *why, *nl;

		bool abnormal;

		abnormal = !scenario_outcome(w, markers, i, &why) &&
			   (!strncmp(why, "timed out", 9) || !strncmp(why, "crashed", 7) ||
			    !strncmp(why, "ended early", 11));
		if (!abnormal) {
			free(why);
			continue;
		}
		gate_add_detail(g, "%s (%s): %s", list->name[i], list->clause[i], why);
		nl = strchr(why, '\n');
		if (nl)
			*nl = '\0';
		gate_set_summary(g, "%s %s", list->name[i], why);
		free(why);
		return true;
	}
	if (r->end == PROC_EXITED && (r->code == 0 || r->code == clean_exit_code))
		return false;
	gate_set_summary(g, "the race driver %s", proc_describe(r, describe, sizeof(describe)));
	if (r->output && *r->output) {
		char *shown = workspace_rewrite(w, r->output);

		gate_add_detail(g, "its output began:\n%.2000s", shown);
		free(shown);
	}
	return true;
}

/* Concatenates the files matching pattern (sanitizer logs, one per pid). */
static char *read_logs(const char *pattern)
{
	char *all = NULL;
	size_t n = 0;
	FILE *out = open_memstream(&all, &n);
	glob_t found;

	if (glob(pattern, 0, NULL, &found) == 0) {
		for (size_t i = 0; i < found.gl_pathc; i++) {
			char *text = read_text(found.gl_pathv[i], 1 << 20);

			if (text)
				fputs(text, out);
			free(text);
		}
		globfree(&found);
	}
	fclose(out);
	return all;
}

void gate_tsan(const struct workspace *w, const struct scenario_list *list,
	       struct gate_result *g)
{
	char *markers = make_subdir(w, "tsan-markers"), *logs = make_subdir(w, "tsan-log");
	char *env_markers, *env_tsan, *pattern, *summary, *details;
	const char *argv[] = { w->binaries[FLAVOR_TSAN], NULL };
	struct proc_result r;
	char *all;
	int reports;

	asprintf(&env_markers, "TC_MARKERS=%s", markers);
	asprintf(&env_tsan, "TSAN_OPTIONS=halt_on_error=0 exitcode=66 atexit_sleep_ms=0 "
		 "second_deadlock_stack=1 log_path=%s/report suppressions=%s/harness/supp/tsan.supp",
		 logs, w->root);
	{
		const char *env[] = { env_markers, env_tsan, w->seed_env, "TC_TIMEOUT_FACTOR=2",
				      NULL };
		struct proc_opts o = {
			.sandbox = &w->sandbox,
			.timeout_s = list->total_timeout_s * TSAN_TIMEOUT_FACTOR + 30,
			.env = env,
			.big_address_space = true,
			.stacks_on_timeout = true,
		};

		proc_run(argv, &o, &r);
	}
	g->ran = true;
	asprintf(&pattern, "%s/report*", logs);
	all = read_logs(pattern);
	reports = tsan_reduce(w, all ? all : "", &summary, &details);
	if (reports > 0) {
		gate_set_summary(g, "ThreadSanitizer: %s", summary);
		gate_add_detail(g, "%s", details);
	} else if (!driver_failed(w, list, markers, &r, 66, g)) {
		g->tool_passed = true;
		g->fraction = 1;
		gate_set_summary(g, "no ThreadSanitizer report (%zu scenarios, smaller workload)",
				 list->n);
	}
	free(summary);
	free(details);
	free(all);
	free(pattern);
	proc_result_free(&r);
	free(env_markers);
	free(env_tsan);
	free(markers);
	free(logs);
}

void gate_helgrind(const struct workspace *w, const struct scenario_list *list,
		   struct gate_result *g)
{
	char *markers = make_subdir(w, "helgrind-markers"), *env_markers;
	char *xml, *xml_opt, *supp_opt, *summary = NULL, *details = NULL;
	struct proc_result r;
	int errors;

	asprintf(&env_markers, "TC_MARKERS=%s", markers);
	asprintf(&xml, "%s/helgrind.xml", w->dir);
	asprintf(&xml_opt, "--xml-file=%s", xml);
	asprintf(&supp_opt, "--suppressions=%s/harness/supp/helgrind.supp", w->root);
	remove(xml);
	{
		const char *argv[] = {
			"valgrind", "--tool=helgrind", "--xml=yes", xml_opt, supp_opt,
			"--child-silent-after-fork=yes", w->binaries[FLAVOR_HELGRIND], NULL,
		};
		const char *env[] = { env_markers, w->seed_env, "TC_TIMEOUT_FACTOR=3",
				      "TC_NO_STACKS=1", NULL };
		struct proc_opts o = {
			.sandbox = &w->sandbox,
			.timeout_s = list->total_timeout_s * HELGRIND_TIMEOUT_FACTOR + 60,
			.env = env,
			.big_address_space = true,
		};

		proc_run(argv, &o, &r);
	}
	g->ran = true;
	errors = helgrind_reduce(w, xml, &summary, &details);
	if (r.end == PROC_NOT_STARTED) {
		gate_set_summary(g, "valgrind could not be started (run 'make doctor')");
	} else if (errors > 0) {
		gate_set_summary(g, "Helgrind: %s", summary);
		gate_add_detail(g, "%s", details);
	} else if (!driver_failed(w, list, markers, &r, 0, g)) {
		if (errors < 0) {
			gate_set_summary(g, "Helgrind wrote no report");
		} else {
			g->tool_passed = true;
			g->fraction = 1;
			gate_set_summary(g, "no Helgrind error (%zu scenarios, smaller workload)",
					 list->n);
		}
	}
	free(summary);
	free(details);
	proc_result_free(&r);
	free(env_markers);
	free(xml);
	free(xml_opt);
	free(supp_opt);
	free(markers);
}

void gate_leaks(const struct workspace *w, const struct scenario_list *list,
		struct gate_result *g)
{
	char *markers = make_subdir(w, "leak-markers"), *logs = make_subdir(w, "lsan-log");
	char *env_markers, *env_lsan, *pattern, *log, *summary = NULL, *details = NULL;
	const char *argv[] = { w->binaries[FLAVOR_LEAKS], NULL };
	struct proc_result r;
	int leaky_scenarios = 0;
	long bytes;

	asprintf(&env_markers, "TC_MARKERS=%s", markers);
	asprintf(&env_lsan, "LSAN_OPTIONS=exitcode=23 log_path=%s/report", logs);
	{
		const char *env[] = { env_markers, env_lsan, "TC_LEAK_CHECK=1",
				      "TC_TIMEOUT_FACTOR=2", NULL };
		struct proc_opts o = {
			.sandbox = &w->sandbox,
			.timeout_s = list->total_timeout_s * 2 + 30,
			.env = env,
			.big_address_space = true,
		};

		proc_run(argv, &o, &r);
	}
	g->ran = true;
	for (size_t i = 0; i < list->n; i++) {
		char *leak = marker(markers, i, ".leak"), *dump;
		int threads = 0, fds = 0;

		if (!leak)
			continue;
		sscanf(leak, "%d\t%d", &threads, &fds);
		dump = marker(markers, i, ".leakstacks");
		gate_add_detail(g, "%s left %d thread%s and %d descriptor%s behind", list->name[i],
				threads, threads == 1 ? "" : "s", fds, fds == 1 ? "" : "s");
		if (threads > 0 && dump) {
			char *stacks = stacks_reduce(w, dump);

			gate_add_detail(g, "  where the threads are parked:\n%s", stacks);
			if (!leaky_scenarios)
				gate_set_summary(g, "%s: %d thread%s and %d descriptor%s left "
						 "behind; %.200s", list->name[i], threads,
						 threads == 1 ? "" : "s", fds, fds == 1 ? "" : "s",
						 stacks + strspn(stacks, " "));
			free(stacks);
		} else if (!leaky_scenarios) {
			gate_set_summary(g, "%s: %d thread%s and %d descriptor%s left behind",
					 list->name[i], threads, threads == 1 ? "" : "s", fds,
					 fds == 1 ? "" : "s");
		}
		leaky_scenarios++;
		free(leak);
		free(dump);
	}
	if (g->summary) {
		char *nl = strchr(g->summary, '\n');

		if (nl)
			*nl = '\0';
	}
	asprintf(&pattern, "%s/report*", logs);
	log = read_logs(pattern);
	bytes = lsan_reduce(w, log ? log : "", &summary, &details);
	if (bytes > 0) {
		gate_add_detail(g, "LeakSanitizer: %s\n%s", summary, details);
		if (!leaky_scenarios)
			gate_set_summary(g, "LeakSanitizer: %s", summary);
	}
	if (!leaky_scenarios && bytes == 0 && !driver_failed(w, list, markers, &r, 23, g)) {
		g->tool_passed = true;
		g->fraction = 1;
		gate_set_summary(g, "no thread, descriptor or heap memory left behind "
				 "(%zu scenarios)", list->n);
	}
	free(summary);
	free(details);
	free(log);
	free(pattern);
	proc_result_free(&r);
	free(env_markers);
	free(env_lsan);
	free(markers);
	free(logs);
}

void gate_throughput(const struct workspace *w, struct gate_result *g)
{
	char *json_path, describe[128];
	const char *argv[3] = { w->binaries[FLAVOR_BENCH], NULL, NULL };
	struct proc_opts o = {
		.sandbox = &w->sandbox,
		.timeout_s = BENCH_TIMEOUT_S,
		.stacks_on_timeout = true,
	};
	struct proc_result r;
	json_t *figures;
	json_error_t error;

	asprintf(&json_path, "%s/bench.json", w->dir);
	remove(json_path);
	argv[1] = json_path;
	proc_run(argv, &o, &r);
	g->ran = true;
	figures = r.end == PROC_EXITED && r.code == 0 ? json_load_file(json_path, 0, &error) : NULL;
	if (!figures) {
		gate_set_summary(g, "the benchmark %s without a result",
				 proc_describe(&r, describe, sizeof(describe)));
		if (r.stacks) {
			char *stacks = stacks_reduce(w, r.stacks);

			gate_add_detail(g, "where the threads were:\n%s", stacks);
			free(stacks);
		}
	} else {
		double eff = json_real_value(json_object_get(figures, "efficiency"));
		double target = json_real_value(json_object_get(figures, "target_efficiency"));
		double ideal = json_real_value(json_object_get(figures, "ideal_s"));
		double base = json_real_value(json_object_get(figures, "baseline_s"));
		double measured = json_real_value(json_object_get(figures, "measured_s"));
		double floor_eff = base > 0 ? ideal / base : 0;
		bool valid = json_is_true(json_object_get(figures, "valid"));

		if (!valid) {
			gate_set_summary(g, "the benchmark's work was wrong: %s",
					 json_string_value(json_object_get(figures, "problem")));
		} else {
			g->fraction = target > floor_eff ? (eff - floor_eff) / (target - floor_eff) : 0;
			g->fraction = fmin(1, fmax(0, g->fraction));
			g->tool_passed = eff >= target;
			gate_set_summary(g, "%.3f s vs serial %.3f s (speedup %.1fx); ideal %.3f s; "
					 "efficiency %.0f%% (target %.0f%%)", measured, base,
					 base / measured, ideal, eff * 100, target * 100);
		}
		gate_add_detail(g, "workload: %s",
				json_string_value(json_object_get(figures, "workload")));
		json_object_set_new(figures, "floor_efficiency", json_real(floor_eff));
		g->figures = figures;
	}
	proc_result_free(&r);
	free(json_path);
}
