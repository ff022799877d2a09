/*
 * leaks.c - the leaks gate: threads, descriptors and heap memory a
 * scenario leaves behind (LeakSanitizer and the harness's own counts)
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

#include "feedback.h"
#include "proc.h"

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
	char options[64], *summary = NULL, *details = NULL, *log;
	const char *env[] = {
		NULL,
		tool_options("LSAN_OPTIONS=exitcode=%d log_path=stderr", gate, options,
			     sizeof(options)),
		"TC_LEAK_CHECK=1", NULL, list->only_env, NULL,
	};
	struct proc_opts o = {
		.timeout_s = gate_deadline(gate, list),
		.env = env,
		.big_address_space = true,
		.output_cap = TOOL_OUTPUT_CAP,
	};
	struct scenario_run s;
	int leaky, canaries = 0;
	bool heap_kept;
	long bytes;

	scenario_run_init(&s, w, gate);
	env[0] = s.env_hurry;
	env[3] = s.factor;
	if (!binary_ready(w, FLAVOR_LEAKS, g)) {
		scenario_run_free(&s);
		return;
	}
	scenario_run(&s, w, argv, &o);
	g->ran = true;
	leaky = report_leftovers(w, list, &s.e, g, &heap_kept);
	log = drop_reports(s.r.output, "leak of ", "\n\n", LEAK_CANARY, &canaries);
	bytes = lsan_reduce(w, log ? log : "", &summary, &details);
	note_seccomp(&s.e, g);
	if (bytes > 0) {
		gate_add_detail(g, "LeakSanitizer: %s\n%s", summary, details);
		if (!leaky)
			gate_set_summary(g, "LeakSanitizer: %s", summary);
	}
	if (!leaky && bytes == 0 && !heap_kept &&
	    silence_counts(w, list, &s, gate, "LeakSanitizer", "leak", canaries,
			   s.r.output_dropped ? "could not run: your program printed more than "
			   "4 MiB, which can cut LeakSanitizer's report short; print less" : NULL,
			   g)) {
		tool_passed(g);
		gate_set_summary(g, "no thread, descriptor or heap memory left behind "
				 "(%zu scenarios)", list->n);
	}
	free(log);
	free(summary);
	free(details);
	scenario_run_free(&s);
}
