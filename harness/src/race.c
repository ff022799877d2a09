/*
 * race.c - the race gates: ThreadSanitizer (the scenarios, then the
 * benchmark once at full scale) and Helgrind
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
	size_t xml_len;

	supp_opt = xasprintf("--suppressions=%s/harness/supp/helgrind.supp", w->root);
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
	/* Valgrind wrote through the same open file: read it from its start. */
	xml = lseek(xml_fd, 0, SEEK_SET) == 0 ? read_bounded(xml_fd, 16u << 20, &xml_len) : NULL;
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
