/*
 * main.c - the threadclinic grader
 *
 * Usage: grade [options]
 *	-C, --chapters LIST	chapters to grade: numbers or names, separated by
 *				spaces or commas ("03", "1 2", "03-worker-pool");
 *				default: all, with short feedback
 *	-s, --submission DIR	take the learner's .c files from DIR/<chapter>/
 *	-r, --report FILE	write the JSON report to FILE
 *	    --strict		exit 1 when the score is short of the maximum
 *	    --root DIR		the workbook (default: .)
 *	    --build DIR		where to build (default: ROOT/build/grade)
 *	-v, --verbose		full feedback for every chapter, with all that
 *				the learner's code printed in each test (without
 *				it, the first 40 lines of each failed test)
 *	    --gradescope FILE	also write Gradescope's results.json to FILE
 *	    --classroom FILE	also write GitHub Classroom's reporter JSON to FILE
 *	    --junit FILE	also write a JUnit XML report to FILE
 *	    --batch DIR		grade every submission folder in DIR into a
 *				gradebook (PREFIX.csv and PREFIX.json)
 *	    --gradebook PREFIX	where the batch gradebook goes (default:
 *				BUILD/gradebook-<UTC time>); never replaced
 *	-j, --jobs N		batch gradings at once in phase one (default 2)
 *	    --only-submitted	batch: grade only the chapters a submission has
 *				files for
 *	    --require-sandbox	refuse to run learner code when a sandbox layer
 *				(own uid, namespaces, seccomp) is missing
 *	    --test LIST		some scenarios only (names, or clauses: "R4" takes
 *				R4a and R4b), on every gate that runs scenarios;
 *				no throughput; a partial run, not a grade
 *	    --course FILE	the course policy (harness/src/course.h); default:
 *				ROOT/course.json when it exists
 *	    --assignment NAME	grade the chapters of the policy's assignment NAME
 *	    --check-course	check the course policy, then exit
 *	    --seed N|off	the perturbation seed of the correctness and race
 *				gates (harness/lib/perturb.h); default: one per
 *				grading from the clock, shown in the details
 *
 * Exit status: 0 when grading ran to its end, whatever the scores; 1 with
 * --strict and a short score; 2 when the grader itself could not run.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "alloc.h"
#include "batch.h"
#include "chapter.h"
#include "course.h"
#include "gradebook.h"
#include "grade.h"
#include "report.h"
#include "files.h"

static void usage(FILE *out)
{
	fputs("usage: grade [-C CHAPTERS] [-s SUBMISSION] [-r REPORT.json] [--strict]\n"
	      "             [--root DIR] [--build DIR] [-v] [--gradescope FILE]\n"
	      "             [--classroom FILE] [--junit FILE] [--require-sandbox] [--seed N|off]\n"
	      "             [--test NAMES|CLAUSES] [-v]\n"
	      "             [--course FILE] [--assignment NAME] [--check-course]\n"
	      "       grade --batch DIR [--gradebook PREFIX] [-j N] [-C CHAPTERS]\n", out);
}

/* Splits "01 02,03" into a NULL-ended list of selectors (malloc'd). */
static char **split_selectors(const char *list)
{
	char *copy = xstrdup(list), *save = NULL, **out = xcalloc(strlen(list) + 2, sizeof(*out));
	size_t n = 0;

	for (char *tok = strtok_r(copy, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save))
		out[n++] = xstrdup(tok);
	free(copy);
	return out;
}

/* Marks chapters named in list; returns false if a name matches nothing. */
static bool select_chapters(const char *list, const struct chapter *chapters, size_t n,
			    bool *selected)
{
	char *copy = xstrdup(list), *save = NULL;
	bool ok = true;

	for (char *tok = strtok_r(copy, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
		bool found = false;

		for (size_t i = 0; i < n; i++)
			if (chapter_matches(&chapters[i], tok))
				selected[i] = found = true;
		if (!found) {
			fprintf(stderr, "grade: no chapter matches '%s'; chapters are:\n", tok);
			for (size_t i = 0; i < n; i++)
				fprintf(stderr, "  %s\n", chapters[i].id);
			ok = false;
		}
	}
	free(copy);
	return ok;
}

/*
 * The one-chapter terminal view, printed while grading: the chapter's
 * header and each gate's line as soon as that gate is scored, in table
 * order, flushed at once so that a watcher sees the lines one by one.
 */
struct live {
	const char *id;
	bool details;
	bool header;		/* "== id ==" printed */
	int next;		/* the first gate not printed yet */
	unsigned done;		/* bit i: gate i is scored */
};

/* Prints the gates from l->next on while they are done (or do not apply). */
static void live_print(struct live *l, const struct chapter_result *c, unsigned done)
{
	/* Not before: the grader's notes on stderr come before the block. */
	if (!l->header) {
		report_print_header(stdout, l->id);
		l->header = true;
	}
	for (; l->next < GATE_COUNT; l->next++) {
		if (c->gates[l->next].applies && !(done & (1u << l->next)))
			break;
		report_print_gate(stdout, c, l->next, l->details);
	}
	fflush(stdout);
}

/* job.gate_done for the terminal view. */
static void live_gate_done(const struct chapter_result *c, enum gate i, void *arg)
{
	struct live *l = arg;

	l->done |= 1u << i;
	live_print(l, c, l->done);
}

/* The rest of the chapter, from its final result. */
static void live_finish(struct live *l, const struct chapter_result *c)
{
	live_print(l, c, ~0u);
	report_print_total(stdout, c, l->details);
	fflush(stdout);
}

/*
 * Loads the course policy (course, or ROOT/course.json when it exists) and,
 * with an assignment, sets *chapters to its chapters (malloc'd). 0 or -1.
 */
static int load_course(const char *root, const char *course, const char *assignment,
		       char **chapters)
{
	char why[1024], *fallback = NULL;
	int ret = 0;

	if (!course && asprintf(&fallback, "%s/course.json", root) >= 0 &&
	    access(fallback, F_OK) == 0)
		course = fallback;
	if (course_load(course, why, sizeof(why)) != 0) {
		fprintf(stderr, "grade: the course policy is wrong: %s\n", why);
		ret = -1;
	} else if (assignment && !(*chapters = course_assignment(assignment))) {
		fprintf(stderr, "grade: the course policy (%s) has no assignment '%s'\n",
			course ? course : "none", assignment);
		ret = -1;
	}
	free(fallback);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "chapters", required_argument, NULL, 'C' },
		{ "submission", required_argument, NULL, 's' },
		{ "report", required_argument, NULL, 'r' },
		{ "strict", no_argument, NULL, 'S' },
		{ "root", required_argument, NULL, 'R' },
		{ "build", required_argument, NULL, 'B' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "gradescope", required_argument, NULL, 'G' },
		{ "classroom", required_argument, NULL, 'K' },
		{ "junit", required_argument, NULL, 'J' },
		{ "batch", required_argument, NULL, 'b' },
		{ "gradebook", required_argument, NULL, 'g' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "only-submitted", no_argument, NULL, 'O' },
		{ "require-sandbox", no_argument, NULL, 'Q' },
		{ "require-sandbox", no_argument, NULL, 'Q' },
		{ "seed", required_argument, NULL, 'E' },
		{ "test", required_argument, NULL, 'T' },
		{ "course", required_argument, NULL, 'P' },
		{ "assignment", required_argument, NULL, 'A' },
		{ "check-course", no_argument, NULL, 'X' },
		{ 0 },
	};
	const char *chapters_arg = NULL, *submission = NULL, *report = NULL;
	const char *root_arg = ".", *build_arg = NULL, *gradescope = NULL, *classroom = NULL;
	const char *junit = NULL, *batch_dir = NULL, *gradebook = NULL, *seed = NULL;
	const char *tests = NULL;
	const char *course = NULL, *assignment = NULL;
	bool check_course = false;
	char *assigned = NULL;
	unsigned jobs = 2;
	int passed_gates, failed_gates;
	bool strict = false, verbose = false, only_submitted = false, *selected;
	bool require_sandbox = false, all_output = false;
	char *root, *build_root, *submission_abs = NULL, *cache_root = NULL;
	struct chapter *chapters;
	struct chapter_result *results;
	size_t n, graded = 0;
	struct grade_job job;
	int opt, score = 0, max = 0;

	xmlInitParser();
	while ((opt = getopt_long(argc, argv, "C:s:r:vhj:", options, NULL)) != -1) {
		switch (opt) {
		case 'C': chapters_arg = optarg; break;
		case 's': submission = optarg; break;
		case 'r': report = optarg; break;
		case 'S': strict = true; break;
		case 'R': root_arg = optarg; break;
		case 'B': build_arg = optarg; break;
		case 'v': verbose = all_output = true; break;
		case 'h': usage(stdout); return 0;
		case 'G': gradescope = optarg; break;
		case 'K': classroom = optarg; break;
		case 'J': junit = optarg; break;
		case 'b': batch_dir = optarg; break;
		case 'g': gradebook = optarg; break;
		case 'j': jobs = (unsigned)atoi(optarg); break;
		case 'O': only_submitted = true; break;
		case 'Q': require_sandbox = true; break;
		case 'T': tests = optarg; break;
		case 'P': course = optarg; break;
		case 'A': assignment = optarg; break;
		case 'X': check_course = true; break;
		case 'E':
			if (!*optarg || (strcmp(optarg, "off") != 0 &&
					  optarg[strspn(optarg, "0123456789")])) {
				fprintf(stderr, "grade: --seed takes a decimal number or 'off'\n");
				return 2;
			}
			seed = optarg;
			break;
		default: usage(stderr); return 2;
		}
	}
	if (tests && (gradescope || classroom || batch_dir || junit)) {
		fprintf(stderr, "grade: --test runs some scenarios only, which is not a grade; "
			"it cannot go to --gradescope, --classroom, --junit or --batch\n");
		return 2;
	}
	root = realpath(root_arg, NULL);
	if (!root) {
		fprintf(stderr, "grade: the workbook %s does not exist\n", root_arg);
		return 2;
	}
	if (load_course(root, course, assignment, &assigned) != 0)
		return 2;
	if (check_course) {
		printf("course policy: %s: ok\n", course_path() ? course_path() : "(defaults)");
		if (assigned)
			printf("assignment %s: %s\n", assignment, assigned);
		return 0;
	}
	if (assigned)
		chapters_arg = assigned;
	if (submission) {
		submission_abs = realpath(submission, NULL);
		if (!submission_abs) {
			fprintf(stderr, "grade: the submission directory %s does not exist\n",
				submission);
			return 2;
		}
	}
	if (build_arg) {
		make_dirs(build_arg);
		build_root = realpath(build_arg, NULL);
	} else {
		build_root = xasprintf("%s/build/grade", root);
	}
	if (!build_root || make_dirs(build_root) != 0) {
		fprintf(stderr, "grade: cannot create the build directory\n");
		return 2;
	}
	if (batch_dir) {
		char *dir = realpath(batch_dir, NULL), *prefix, *csv, *json;
		char **selectors = chapters_arg && *chapters_arg ? split_selectors(chapters_arg) : NULL;
		int ret;

		if (!dir) {
			fprintf(stderr, "grade: the batch directory %s does not exist\n", batch_dir);
			return 2;
		}
		prefix = gradebook ? xstrdup(gradebook) :
				     gradebook_default_prefix(build_root, time(NULL));
		if (!prefix)
			return 2;
		csv = xasprintf("%s.csv", prefix);
		json = xasprintf("%s.json", prefix);
		ret = batch_grade(&(struct batch_opts){
			.root = root, .build_root = build_root, .dir = dir,
			.chapters = (const char *const *)selectors, .csv_path = csv,
			.json_path = json, .jobs = jobs, .only_submitted = only_submitted,
			.require_sandbox = require_sandbox,
			.seed = seed,
		});
		free(dir);
		free(prefix);
		free(csv);
		free(json);
		return ret;
	}
	if (chapters_discover(root, submission_abs, &chapters, &n) != 0 || n == 0) {
		fprintf(stderr, "grade: no chapters found in %s/chapters\n", root);
		return 2;
	}
	selected = xcalloc(n, sizeof(*selected));
	results = xcalloc(n, sizeof(*results));
	if (chapters_arg && *chapters_arg) {
		if (!select_chapters(chapters_arg, chapters, n, selected))
			return 2;
		verbose = true;
	} else {
		for (size_t i = 0; i < n; i++)
			selected[i] = true;
	}

	cache_root = xasprintf("%s/cache", build_root);
	job = (struct grade_job){ .root = root, .build_root = build_root,
				  .cache_root = cache_root, .submission_root = submission_abs,
				  .require_sandbox = require_sandbox,
				  .all_output = all_output,
				  .tests = tests,
				  .seed = seed };
	for (size_t i = 0; i < n; i++) {
		struct live live = { .id = chapters[i].id, .details = verbose };

		if (!selected[i])
			continue;
		fprintf(stdout, "grading %s ...\n", chapters[i].id);
		fflush(stdout);
		job.gate_done = live_gate_done;
		job.gate_done_arg = &live;
		grade_chapter(&job, &chapters[i], &results[graded]);
		live_finish(&live, &results[graded]);
		score += results[graded].score;
		max += results[graded].max_score;
		graded++;
	}
	report_print_table(stdout, results, graded);
	if (tests && *tests)
		printf("\npartial run (TEST=%s): only the scenarios named ran, and no throughput; "
		       "this is feedback, not a grade (make grade CH=NN without TEST grades)\n",
		       tests);
	if (!verbose && score < max)
		printf("\nFor full feedback on one chapter: make grade CH=NN\n");
	if ((report && report_write_json(report, results, graded) != 0) ||
	    (gradescope && report_write_gradescope(gradescope, results, graded) != 0) ||
	    (classroom && report_write_classroom(classroom, results, graded) != 0) ||
	    (junit && report_write_junit(junit, results, graded) != 0))
		return 2;
	/* The plain closing line CI dashboards read: gates with full points. */
	report_count(results, graded, &passed_gates, &failed_gates);
	printf("grade: %d passed, %d failed\n", passed_gates, failed_gates);
	for (size_t i = 0; i < graded; i++)
		chapter_result_free(&results[i]);
	free(results);
	free(selected);
	chapters_free(chapters, n);
	free(root);
	free(build_root);
	free(cache_root);
	free(submission_abs);
	return strict && score < max ? 1 : 0;
}
