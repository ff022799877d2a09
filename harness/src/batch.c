#define _GNU_SOURCE
#include "batch.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "grade.h"
#include "gradebook.h"
#include "report.h"
#include "files.h"
#include "parallel.h"

struct submission {
	char *name;
	char *dir;			/* o->dir/<name> */
	char *build_root;		/* <build>/batch/<name> */
	struct chapter *chapters;	/* learner files read from dir */
	size_t nchapters;
	struct grading **gradings;	/* one per selected chapter */
	struct chapter_result *results;
	size_t nselected;
	size_t *selected;		/* indices into chapters */
};

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A folder name as the terminal may show it: control characters (escape
 * sequences that could rewrite earlier lines) become '?'. Malloc'd.
 */
static char *shown_name(const char *name)
{
	char *out = xstrdup(name);

	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return out;
}

/* One grading of phase one: a submission and one of its selected chapters. */
struct phase_one_job {
	struct submission *sub;
	size_t k;			/* index into sub->selected */
};

struct phase_one {
	const struct batch_opts *o;
	const char *cache_root;
	struct phase_one_job *jobs;
};

/* parallel_for()'s item: the first part of grading i, on builder slot `slot`. */
static void phase_one_item(void *arg, size_t i, unsigned slot)
{
	struct phase_one *p = arg;
	struct submission *sub = p->jobs[i].sub;
	size_t k = p->jobs[i].k;
	const struct chapter *c = &sub->chapters[sub->selected[k]];
	struct grade_job job = { .root = p->o->root, .build_root = sub->build_root,
				 .cache_root = p->cache_root,
				 .submission_root = p->o->dir, .slot = slot,
				 .require_sandbox = p->o->require_sandbox,
				 .seed = p->o->seed };
	char *shown = shown_name(sub->name);

	sub->gradings[k] = xcalloc(1, sizeof(**sub->gradings));
	grade_begin(&job, c, sub->gradings[k]);
	printf("  %s %s: built and checked\n", shown, c->id);
	fflush(stdout);
	free(shown);
}

static bool is_wanted(const struct chapter *c, const char *const *selectors)
{
	if (!selectors)
		return true;
	for (const char *const *s = selectors; *s; s++)
		if (chapter_matches(c, *s))
			return true;
	return false;
}

/* True when the submission has every learner file of chapter c. */
static bool has_files(const struct chapter *c)
{
	for (size_t i = 0; i < c->nsources; i++) {
		char *path;
		bool there;

		path = xasprintf("%s/%s", c->learner_dir, c->sources[i]);
		there = access(path, R_OK) == 0;
		free(path);
		if (!there)
			return false;
	}
	return true;
}

static int load_submissions(const struct batch_opts *o, struct submission **out, size_t *n)
{
	DIR *d = opendir(o->dir);
	struct dirent *e;
	char **names = NULL;
	size_t count = 0;
	struct submission *subs;

	if (!d) {
		fprintf(stderr, "grade: cannot read the submissions in %s\n", o->dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		char *path;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", o->dir, e->d_name);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			names = xrealloc(names, (count + 1) * sizeof(*names));
			names[count++] = xstrdup(e->d_name);
		}
		free(path);
	}
	closedir(d);
	qsort(names, count, sizeof(*names), compare_names);
	subs = xcalloc(count ? count : 1, sizeof(*subs));
	for (size_t i = 0; i < count; i++) {
		struct submission *s = &subs[i];

		s->name = names[i];
		s->dir = xasprintf("%s/%s", o->dir, s->name);
		s->build_root = xasprintf("%s/batch/%s", o->build_root, s->name);
		make_dirs(s->build_root);
		if (chapters_discover(o->root, s->dir, &s->chapters, &s->nchapters) != 0)
			return -1;
		s->selected = xcalloc(s->nchapters ? s->nchapters : 1, sizeof(*s->selected));
		for (size_t k = 0; k < s->nchapters; k++)
			if (is_wanted(&s->chapters[k], o->chapters) &&
			    (!o->only_submitted || has_files(&s->chapters[k])))
				s->selected[s->nselected++] = k;
		s->gradings = xcalloc(s->nselected ? s->nselected : 1, sizeof(*s->gradings));
		s->results = xcalloc(s->nselected ? s->nselected : 1, sizeof(*s->results));
	}
	free(names);
	*out = subs;
	*n = count;
	return 0;
}

/* Hands the graded submissions to gradebook.c. */
static int write_gradebook(const struct batch_opts *o, struct submission *subs, size_t n,
			   time_t when)
{
	struct gradebook_entry *entries = xcalloc(n, sizeof(*entries));
	const struct chapter ***graded = xcalloc(n, sizeof(*graded));
	int ret;

	for (size_t i = 0; i < n; i++) {
		graded[i] = xcalloc(subs[i].nselected + 1, sizeof(**graded));
		for (size_t k = 0; k < subs[i].nselected; k++)
			graded[i][k] = &subs[i].chapters[subs[i].selected[k]];
		entries[i] = (struct gradebook_entry){ .name = subs[i].name, .dir = subs[i].dir,
			.chapters = graded[i], .results = subs[i].results,
			.n = subs[i].nselected };
	}
	ret = gradebook_write(o->csv_path, o->json_path, entries, n, subs[0].chapters,
			      subs[0].nchapters, when);
	for (size_t i = 0; i < n; i++)
		free(graded[i]);
	free(graded);
	free(entries);
	return ret;
}

/* Phase one: the gradings' first parts, `jobs` at a time. */
static void run_phase_one(const struct batch_opts *o, struct submission *subs, size_t n,
			  unsigned jobs, const char *cache_root)
{
	struct phase_one p = { .o = o, .cache_root = cache_root };
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		count += subs[i].nselected;
	p.jobs = xcalloc(count ? count : 1, sizeof(*p.jobs));
	count = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < subs[i].nselected; k++)
			p.jobs[count++] = (struct phase_one_job){ &subs[i], k };
	parallel_for(count, jobs, phase_one_item, &p);
	free(p.jobs);
}

/* Phase two: each grading's throughput gate alone, then its scores. */
static size_t run_phase_two(struct submission *subs, size_t n)
{
	size_t total = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < subs[i].nselected; k++) {
			struct grading *g = subs[i].gradings[k];

			grade_throughput(g);
			grade_end(g, &subs[i].results[k]);
			free(g);
			total++;
		}
	return total;
}

/* Prints each submission's total and frees the submissions. */
static void close_submissions(struct submission *subs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int score = 0, max = 0;

		for (size_t k = 0; k < subs[i].nselected; k++) {
			score += subs[i].results[k].score;
			max += subs[i].results[k].max_score;
			chapter_result_free(&subs[i].results[k]);
		}
		char *shown = shown_name(subs[i].name);

		printf("  %-30s %d/%d\n", shown, score, max);
		free(shown);
		chapters_free(subs[i].chapters, subs[i].nchapters);
		free(subs[i].gradings);
		free(subs[i].results);
		free(subs[i].selected);
		free(subs[i].name);
		free(subs[i].dir);
		free(subs[i].build_root);
	}
	free(subs);
}

int batch_grade(const struct batch_opts *o)
{
	struct submission *subs;
	unsigned jobs = o->jobs ? (o->jobs > 8 ? 8 : o->jobs) : 2;
	size_t n, total;
	double start = proc_now_s(), phase_two;
	time_t when = time(NULL);
	char *cache_root;
	int ret;

	if (load_submissions(o, &subs, &n) != 0)
		return 2;
	if (n == 0) {
		fprintf(stderr, "grade: no submission folders in %s\n", o->dir);
		return 2;
	}
	if (gradebook_reserve(o->csv_path, o->json_path) != 0)
		return 2;
	printf("batch: %zu submissions; phase 1 (build and checks) with %u at once\n", n, jobs);
	fflush(stdout);
	cache_root = xasprintf("%s/cache", o->build_root);
	run_phase_one(o, subs, n, jobs, cache_root);
	phase_two = proc_now_s();
	printf("batch: phase 2 (throughput, one at a time)\n");
	total = run_phase_two(subs, n);
	ret = write_gradebook(o, subs, n, when);
	printf("batch: %zu submissions, %zu chapter gradings in %.1f s (%.1f s per submission; "
	       "throughput phase %.1f s)\n", n, total, proc_now_s() - start,
	       (proc_now_s() - start) / (double)n, proc_now_s() - phase_two);
	close_submissions(subs, n);
	free(cache_root);
	if (ret == 0)
		printf("gradebook: %s, %s\n", o->csv_path, o->json_path);
	return ret == 0 ? 0 : 2;
}
