/*
 * main.c - the threadclinic grader
 *
 * Usage: grade [options]
 *	-C, --chapters LIST	chapters to grade: numbers or names, separated by
 *				spaces or commas ("03", "1 2", "03-worker-pool");
 *				default: all, with short feedback; with more
 *				than one, the first parts of two gradings run at
 *				once and each throughput gate alone (grade.h)
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
 * --strict and a short score; 2 (GRADE_EXIT_COULD_NOT_RUN, alloc.h) when
 * the grader itself could not run, out of memory included.
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
#include "parallel.h"

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

/* What the command line asks for. */
struct options {
	const char *chapters, *submission, *report, *root, *build, *gradescope;
	const char *classroom, *junit, *batch, *gradebook, *seed;
	const char *tests;		/* --test: some scenarios only */
	const char *course, *assignment;
	unsigned jobs;
	bool strict, verbose, only_submitted, require_sandbox;
	bool all_output;		/* -v: all the learner's code printed */
	bool check_course;
};

/* The long options (see the top of this file). */
static const struct option long_options[] = {
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
	{ "seed", required_argument, NULL, 'E' },
	{ "test", required_argument, NULL, 'T' },
	{ "course", required_argument, NULL, 'P' },
	{ "assignment", required_argument, NULL, 'A' },
	{ "check-course", no_argument, NULL, 'X' },
	{ 0 },
};

/* Reads the options into *o; -1 to go on, or the exit status to end with. */
static int parse_options(int argc, char **argv, struct options *o)
{
	int opt;

	*o = (struct options){ .root = ".", .jobs = 2 };
	while ((opt = getopt_long(argc, argv, "C:s:r:vhj:", long_options, NULL)) != -1) {
		switch (opt) {
		case 'C': o->chapters = optarg; break;
		case 's': o->submission = optarg; break;
		case 'r': o->report = optarg; break;
		case 'S': o->strict = true; break;
		case 'R': o->root = optarg; break;
		case 'B': o->build = optarg; break;
		case 'v': o->verbose = o->all_output = true; break;
		case 'h': usage(stdout); return 0;
		case 'G': o->gradescope = optarg; break;
		case 'K': o->classroom = optarg; break;
		case 'J': o->junit = optarg; break;
		case 'b': o->batch = optarg; break;
		case 'g': o->gradebook = optarg; break;
		case 'j': o->jobs = (unsigned)atoi(optarg); break;
		case 'O': o->only_submitted = true; break;
		case 'Q': o->require_sandbox = true; break;
		case 'T': o->tests = optarg; break;
		case 'P': o->course = optarg; break;
		case 'A': o->assignment = optarg; break;
		case 'X': o->check_course = true; break;
		case 'E':
			if (!*optarg || (strcmp(optarg, "off") != 0 &&
					  optarg[strspn(optarg, "0123456789")])) {
				fprintf(stderr, "grade: --seed takes a decimal number or 'off'\n");
				return GRADE_EXIT_COULD_NOT_RUN;
			}
			o->seed = optarg;
			break;
		default: usage(stderr); return GRADE_EXIT_COULD_NOT_RUN;
		}
	}
	return -1;
}

/* False, with a message, when the options cannot go together. */
static bool options_agree(const struct options *o)
{
	if (o->tests && (o->gradescope || o->classroom || o->batch || o->junit)) {
		fprintf(stderr, "grade: --test runs some scenarios only, which is not a grade; "
			"it cannot go to --gradescope, --classroom, --junit or --batch\n");
		return false;
	}
	return true;
}

/*
 * Loads the course policy (o->course, or ROOT/course.json when it exists);
 * with an assignment, its chapters become o->chapters (*assigned, malloc'd).
 * -1 to go on, or the exit status to end with (--check-course ends here).
 */
static int load_course(struct options *o, const char *root, char **assigned)
{
	char why[1024], *fallback = xasprintf("%s/course.json", root);
	const char *course = o->course;
	int ret = -1;

	if (!course && access(fallback, F_OK) == 0)
		course = fallback;
	if (course_load(course, why, sizeof(why)) != 0) {
		fprintf(stderr, "grade: the course policy is wrong: %s\n", why);
		ret = GRADE_EXIT_COULD_NOT_RUN;
	} else if (o->assignment && !(*assigned = course_assignment(o->assignment))) {
		fprintf(stderr, "grade: the course policy (%s) has no assignment '%s'\n",
			course ? course : "none", o->assignment);
		ret = GRADE_EXIT_COULD_NOT_RUN;
	} else if (o->check_course) {
		printf("course policy: %s: ok\n", course_path() ? course_path() : "(defaults)");
		if (*assigned)
			printf("assignment %s: %s\n", o->assignment, *assigned);
		ret = 0;
	} else if (*assigned) {
		o->chapters = *assigned;
	}
	free(fallback);
	return ret;
}

/* The directories a grading needs, as absolute paths (malloc'd). */
struct places {
	char *root, *build_root, *submission;
};

/* Resolves the workbook's root; false, with a message, when it is missing. */
static bool find_root(const struct options *o, struct places *p)
{
	*p = (struct places){ .root = realpath(o->root, NULL) };
	if (!p->root)
		fprintf(stderr, "grade: the workbook %s does not exist\n", o->root);
	return p->root != NULL;
}

/* Resolves and creates the others; false, with a message, when one is missing. */
static bool find_places(const struct options *o, struct places *p)
{
	if (o->submission) {
		p->submission = realpath(o->submission, NULL);
		if (!p->submission) {
			fprintf(stderr, "grade: the submission directory %s does not exist\n",
				o->submission);
			return false;
		}
	}
	if (o->build) {
		make_dirs(o->build);
		p->build_root = realpath(o->build, NULL);
	} else {
		p->build_root = xasprintf("%s/build/grade", p->root);
	}
	if (!p->build_root || make_dirs(p->build_root) != 0) {
		fprintf(stderr, "grade: cannot create the build directory\n");
		return false;
	}
	return true;
}

/* --batch: every submission folder into a gradebook; the exit status. */
static int run_batch(const struct options *o, const struct places *p)
{
	char *dir = realpath(o->batch, NULL), *prefix, *csv, *json;
	char **selectors = o->chapters && *o->chapters ? split_selectors(o->chapters) : NULL;
	int ret;

	if (!dir) {
		fprintf(stderr, "grade: the batch directory %s does not exist\n", o->batch);
		return GRADE_EXIT_COULD_NOT_RUN;
	}
	prefix = o->gradebook ? xstrdup(o->gradebook) :
				gradebook_default_prefix(p->build_root, time(NULL));
	if (!prefix) {
		free(dir);
		return GRADE_EXIT_COULD_NOT_RUN;
	}
	csv = xasprintf("%s.csv", prefix);
	json = xasprintf("%s.json", prefix);
	ret = batch_grade(&(struct batch_opts){
		.root = p->root, .build_root = p->build_root, .dir = dir,
		.chapters = (const char *const *)selectors, .csv_path = csv,
		.json_path = json, .jobs = o->jobs, .only_submitted = o->only_submitted,
		.require_sandbox = o->require_sandbox,
		.seed = o->seed,
	});
	free(dir);
	free(prefix);
	free(csv);
	free(json);
	return ret;
}

/* Grades one chapter, printing its gates as they end (the one-chapter view). */
static void grade_live(struct grade_job *job, const struct chapter *chapter, bool verbose,
		       struct chapter_result *out)
{
	struct live live = { .id = chapter->id, .details = verbose };

	fprintf(stdout, "grading %s ...\n", chapter->id);
	fflush(stdout);
	job->gate_done = live_gate_done;
	job->gate_done_arg = &live;
	grade_chapter(job, chapter, out);
	live_finish(&live, out);
}

/*
 * Several chapters: the first parts (build, correctness, race and leak
 * gates) of WHOLE_BOOK_JOBS gradings at once, like a batch, then each
 * chapter's throughput alone, in order, and its block.
 */
#define WHOLE_BOOK_JOBS 2

struct book {
	const struct grade_job *job;	/* copied per grading, with its slot */
	const struct chapter *const *chapters;
	struct grading *gradings;
};

/* parallel_for()'s item: the first part of chapter i's grading. */
static void book_phase_one(void *arg, size_t i, unsigned slot)
{
	struct book *b = arg;
	struct grade_job job = *b->job;

	job.slot = slot;
	grade_begin(&job, b->chapters[i], &b->gradings[i]);
	printf("  %s: built and checked\n", b->chapters[i]->id);
	fflush(stdout);
}

static void grade_book(const struct grade_job *job, const struct chapter *const *chapters,
		       size_t n, bool verbose, struct chapter_result *results)
{
	struct book b = { .job = job, .chapters = chapters,
			  .gradings = xcalloc(n, sizeof(struct grading)) };

	printf("grading %zu chapters: builds and checks %d at a time, then throughput one "
	       "at a time\n", n, WHOLE_BOOK_JOBS);
	fflush(stdout);
	parallel_for(n, WHOLE_BOOK_JOBS, book_phase_one, &b);
	for (size_t i = 0; i < n; i++) {
		struct live live = { .id = chapters[i]->id, .details = verbose };

		grade_throughput(&b.gradings[i]);
		grade_end(&b.gradings[i], &results[i]);
		live_finish(&live, &results[i]);
	}
	free(b.gradings);
}

/* Grades the selected chapters; returns how many (results[0..n)). */
static size_t grade_selected(const struct options *o, const struct places *p,
			     const struct chapter *chapters, const bool *selected, size_t n,
			     bool verbose, struct chapter_result *results)
{
	char *cache_root = xasprintf("%s/cache", p->build_root);
	struct grade_job job = { .root = p->root, .build_root = p->build_root,
				 .cache_root = cache_root, .submission_root = p->submission,
				 .require_sandbox = o->require_sandbox, .seed = o->seed,
				 .all_output = o->all_output, .tests = o->tests };
	const struct chapter **chosen = xcalloc(n ? n : 1, sizeof(*chosen));
	size_t graded = 0;

	for (size_t i = 0; i < n; i++)
		if (selected[i])
			chosen[graded++] = &chapters[i];
	if (graded == 1)
		grade_live(&job, chosen[0], verbose, &results[0]);
	else if (graded > 1)
		grade_book(&job, chosen, graded, verbose, results);
	free(chosen);
	free(cache_root);
	return graded;
}

/* The table, the report files and the closing line; the exit status. */
static int finish(const struct options *o, const struct chapter_result *results, size_t n,
		  bool verbose)
{
	int passed_gates, failed_gates, score = 0, max = 0;

	for (size_t i = 0; i < n; i++) {
		score += results[i].score;
		max += results[i].max_score;
	}
	report_print_table(stdout, results, n);
	if (o->tests && *o->tests)
		printf("\npartial run (TEST=%s): only the scenarios named ran, and no throughput; "
		       "this is feedback, not a grade (make grade CH=NN without TEST grades)\n",
		       o->tests);
	if (!verbose && score < max)
		printf("\nFor full feedback on one chapter: make grade CH=NN\n");
	if ((o->report && report_write_json(o->report, results, n) != 0) ||
	    (o->gradescope && report_write_gradescope(o->gradescope, results, n) != 0) ||
	    (o->classroom && report_write_classroom(o->classroom, results, n) != 0) ||
	    (o->junit && report_write_junit(o->junit, results, n) != 0))
		return GRADE_EXIT_COULD_NOT_RUN;
	/* The plain closing line CI dashboards read: gates with full points. */
	report_count(results, n, &passed_gates, &failed_gates);
	printf("grade: %d passed, %d failed\n", passed_gates, failed_gates);
	return o->strict && score < max ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct places p;
	struct chapter *chapters;
	struct chapter_result *results;
	size_t n, graded;
	bool *selected, verbose;
	char *assigned = NULL;
	int ret;

	xmlInitParser();
	ret = parse_options(argc, argv, &o);
	if (ret >= 0)
		return ret;
	if (!options_agree(&o) || !find_root(&o, &p))
		return GRADE_EXIT_COULD_NOT_RUN;
	ret = load_course(&o, p.root, &assigned);
	if (ret >= 0)
		return ret;
	if (!find_places(&o, &p))
		return GRADE_EXIT_COULD_NOT_RUN;
	if (o.batch)
		return run_batch(&o, &p);
	if (chapters_discover(p.root, p.submission, &chapters, &n) != 0 || n == 0) {
		fprintf(stderr, "grade: no chapters found in %s/chapters\n", p.root);
		return GRADE_EXIT_COULD_NOT_RUN;
	}
	selected = xcalloc(n, sizeof(*selected));
	results = xcalloc(n, sizeof(*results));
	/* One chapter named or more: full feedback for each. */
	verbose = o.verbose || (o.chapters && *o.chapters);
	if (o.chapters && *o.chapters) {
		if (!select_chapters(o.chapters, chapters, n, selected))
			return GRADE_EXIT_COULD_NOT_RUN;
	} else {
		for (size_t i = 0; i < n; i++)
			selected[i] = true;
	}
	graded = grade_selected(&o, &p, chapters, selected, n, verbose, results);
	ret = finish(&o, results, graded, verbose);
	for (size_t i = 0; i < graded; i++)
		chapter_result_free(&results[i]);
	free(results);
	free(selected);
	chapters_free(chapters, n);
	free(p.root);
	free(p.build_root);
	free(p.submission);
	free(assigned);
	return ret;
}
