/*
 * race.c - the race gates: ThreadSanitizer (the scenarios, then the
 * whole benchmark at full scale) and Helgrind
 */
#define _GNU_SOURCE
#include "runner.h"

#include <jansson.h>

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

/* The options of every ThreadSanitizer run: suppressions on fd 4, no ASLR. */
static struct proc_opts tsan_opts(const struct workspace *w, const char *const *env,
				  int supp, double timeout_s)
{
	return (struct proc_opts){
		.sandbox = &w->sandbox,
		.cwd = w->scratch_dir,
		.timeout_s = timeout_s,
		.env = env,
		.big_address_space = true,
		.stacks_on_timeout = true,
		.channel_dir = w->dir,
		.pass_fd = supp,
		.no_aslr = true,
		.output_cap = TOOL_OUTPUT_CAP,
	};
}

/* Fails a gate that had passed, with a summary. */
static void unpass(struct gate_result *g)
{
	g->tool_passed = false;
	g->fraction = 0;
}

/*
 * The benchmark under ThreadSanitizer, run exactly as the throughput gate
 * runs it (the same arguments, every trial, the serial baseline and the
 * harness's version in between; only its times are thrown away), so that the
 * learner's code cannot tell the watched calls at the benchmark's scale
 * from the timed ones by their number or their order (red team 4: code
 * that raced, leaked or took its locks in a deadlock-prone order from the
 * second benchmark-sized call on). The scenarios' small workloads may not
 * reach a race that needs more items or more threads either. Turns a passed
 * gate into a failed one when it finds a race, when the benchmark finds the
 * work wrong there, or when that run does not reach its end.
 */
static void tsan_at_scale(const struct workspace *w, const char *const *env,
			  const struct gate_info *gate, struct gate_result *g)
{
	int supp = open_trusted(w, "harness/supp/tsan.supp");
	/* The benchmark's deadline, the throughput gate's, stretched as ThreadSanitizer needs. */
	struct proc_opts o = tsan_opts(w, env, supp,
				       gate_table[GATE_THROUGHPUT].margin_s * gate->timeout_factor);
	struct proc_result r;
	struct evidence e;
	char *summary = NULL, *details = NULL, describe[160];
	json_t *figures;

	if (supp < 0 || !workspace_binary_intact(w, FLAVOR_TSAN_BENCH)) {
		unpass(g);
		gate_set_summary(g, "could not run: the benchmark's ThreadSanitizer build is "
				 "missing or changed");
		if (supp >= 0)
			close(supp);
		return;
	}
	figures = bench_run(w, FLAVOR_TSAN_BENCH, &o, gate->tool_exit, &r, &e);
	close(supp);
	if (tsan_reduce(w, r.output, &summary, &details) > 0) {
		unpass(g);
		gate_set_summary(g, "ThreadSanitizer, at the benchmark's scale: %s", summary);
		gate_add_detail(g, "at the benchmark's scale (the scenarios did not show it):\n%s",
				details);
	} else if (!figures || r.output_dropped) {
		unpass(g);
		gate_set_summary(g, "could not run: the benchmark under ThreadSanitizer %s before "
				 "its end%s", proc_describe(&r, describe, sizeof(describe)),
				 r.output_dropped ? " (your program printed more than 4 MiB)" : "");
	} else if (w->correctness_passed && !json_is_true(json_object_get(figures, "valid"))) {
		/* Right in the tests, wrong at scale while watched: not a tool's
		   silence to trust (a failed test already holds this gate). */
		unpass(g);
		gate_set_summary(g, "the benchmark under ThreadSanitizer found the work wrong: %s",
				 json_string_value(json_object_get(figures, "problem")));
	} else {
		gate_set_summary(g, "no ThreadSanitizer report (the scenarios, smaller workload, "
				 "and the benchmark at full scale), and no race or failure "
				 "in a run at full speed");
	}
	json_decref(figures);
	free(summary);
	free(details);
	evidence_free(&e);
	proc_result_free(&r);
}

void gate_tsan(const struct workspace *w, const struct scenario_list *list,
	       const struct gate_info *gate, struct gate_result *g)
{
	const char *argv[] = { w->binaries[FLAVOR_TSAN], NULL };
	char options[200], *summary = NULL, *details = NULL, *log;
	const char *env[] = {
		NULL, NULL,
		tool_options("TSAN_OPTIONS=halt_on_error=0 exitcode=%d atexit_sleep_ms=0 "
			     "second_deadlock_stack=1 log_path=stderr suppressions=/dev/fd/4",
			     gate, options, sizeof(options)),
		w->seed_env, list->only_env, NULL,
	};
	int supp = open_trusted(w, "harness/supp/tsan.supp"), canaries = 0;
	struct proc_opts o = tsan_opts(w, env, supp, gate_deadline(gate, list));
	struct scenario_run s;

	scenario_run_init(&s, w, gate);
	env[0] = s.env_hurry;
	env[1] = s.factor;
	if (supp < 0) {
		g->ran = true;
		gate_set_summary(g, "could not run: the suppression file is missing");
	}
	if (supp < 0 || !binary_ready(w, FLAVOR_TSAN, g)) {
		scenario_run_free(&s);
		if (supp >= 0)
			close(supp);
		return;
	}
	scenario_run(&s, w, argv, &o);
	close(supp);
	g->ran = true;
	log = drop_reports(s.r.output, "WARNING: ThreadSanitizer: ", "\n==================",
			   RACE_CANARY, &canaries);
	note_seccomp(&s.e, g);
	if (tsan_reduce(w, log ? log : "", &summary, &details) > 0) {
		gate_set_summary(g, "ThreadSanitizer: %s", summary);
		gate_add_detail(g, "%s", details);
	} else if (silence_counts(w, list, &s, gate, "ThreadSanitizer", "race", canaries,
				  s.r.output_dropped ? "could not run: your program printed more "
				  "than 4 MiB, which can cut ThreadSanitizer's report short; print "
				  "less" : NULL, g)) {
		tool_passed(g);
		gate_set_summary(g, "no ThreadSanitizer report (%zu scenarios, smaller "
				 "workload)", list->n);
	}
	if (g->tool_passed && !list->cap_s && !list->partial)
		tsan_at_scale(w, env, gate, g);
	if (g->tool_passed && !list->cap_s)
		collider_run(w, list, gate, g);	/* the same, at full speed */
	free(log);
	free(summary);
	free(details);
	scenario_run_free(&s);
}

/* Runs the Helgrind driver under Valgrind, its XML report written to xml_fd. */
static void run_helgrind(const struct workspace *w, const struct scenario_list *list,
			 const struct gate_info *gate, struct scenario_run *s, int xml_fd)
{
	char *supp_opt = xasprintf("--suppressions=%s/harness/supp/helgrind.supp", w->root);
	const char *argv[] = {
		"valgrind", "--tool=helgrind", "--xml=yes", "--xml-fd=4", supp_opt,
		"--vgdb=no", "--child-silent-after-fork=yes",
		w->binaries[FLAVOR_HELGRIND], NULL,
	};
	const char *env[] = { s->env_hurry, s->factor, "TC_NO_STACKS=1", "TC_NO_SECCOMP=1",
			      w->seed_env, list->only_env, NULL };
	struct proc_opts o = {
		.timeout_s = gate_deadline(gate, list),
		.env = env,
		.big_address_space = true,
		.pass_fd = xml_fd,
	};

	scenario_run(s, w, argv, &o);
	free(supp_opt);
}

void gate_helgrind(const struct workspace *w, const struct scenario_list *list,
		   const struct gate_info *gate, struct gate_result *g)
{
	char *xml_path = fresh_path(w, "helgrind.xml"), *summary = NULL, *details = NULL;
	char *xml = NULL;
	int xml_fd = open(xml_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int errors, canaries = 0;
	struct scenario_run s;
	size_t xml_len;

	scenario_run_init(&s, w, gate);
	if (xml_fd < 0 || !binary_ready(w, FLAVOR_HELGRIND, g)) {
		if (!g->ran) {
			g->ran = true;
			gate_set_summary(g, "could not run: the report file could not be made");
		}
		goto out;
	}
	run_helgrind(w, list, gate, &s, xml_fd);
	g->ran = true;
	/* Valgrind wrote through the same open file: read it from its start. */
	xml = lseek(xml_fd, 0, SEEK_SET) == 0 ? read_bounded(xml_fd, 16u << 20, &xml_len) : NULL;
	errors = helgrind_reduce(w, xml ? xml : "", RACE_CANARY, &canaries, &summary, &details);
	note_seccomp(&s.e, g);
	if (s.r.end == PROC_NOT_STARTED) {
		gate_set_summary(g, "could not run: valgrind could not be started (run 'make "
				 "doctor')");
	} else if (errors > 0) {
		gate_set_summary(g, "Helgrind: %s", summary);
		gate_add_detail(g, "%s", details);
	} else if (silence_counts(w, list, &s, gate, "Helgrind", "race", canaries,
				  errors < 0 || !xml || !strstr(xml, "</valgrindoutput>") ?
				  "could not run: Helgrind's report is missing or was cut short" :
				  NULL, g)) {
		tool_passed(g);
		gate_set_summary(g, "no Helgrind error (%zu scenarios, smaller workload)", list->n);
	}
out:
	if (xml_fd >= 0)
		close(xml_fd);
	free(xml);
	free(summary);
	free(details);
	scenario_run_free(&s);
	free(xml_path);
}
