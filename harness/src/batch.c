#define _GNU_SOURCE
#include "batch.h"

#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
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

struct phase_one {
	const struct batch_opts *o;
	struct submission *subs;
	size_t nsubs;
	const char *cache_root;
	pthread_mutex_t lock;
	size_t next_sub, next_chapter;	/* guarded by lock */
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

/* Takes the next (submission, chapter) pair; false when none is left. */
static bool take_job(struct phase_one *p, size_t *sub, size_t *ch)
{
	bool found = false;

	pthread_mutex_lock(&p->lock);
	while (p->next_sub < p->nsubs && !found) {
		if (p->next_chapter < p->subs[p->next_sub].nselected) {
			*sub = p->next_sub;
			*ch = p->next_chapter++;
			found = true;
		} else {
			p->next_sub++;
			p->next_chapter = 0;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return found;
}

struct worker_arg {
	struct phase_one *p;
	unsigned slot;
};

static void *phase_one_worker(void *arg)
{
	struct worker_arg *a = arg;
	struct phase_one *p = a->p;
	size_t s, k;

	while (take_job(p, &s, &k)) {
		struct submission *sub = &p->subs[s];
		const struct chapter *c = &sub->chapters[sub->selected[k]];
		struct grade_job job = { .root = p->o->root, .build_root = sub->build_root,
					 .cache_root = p->cache_root,
					 .submission_root = p->o->dir, .slot = a->slot,
					 .require_sandbox = p->o->require_sandbox,
					 .seed = p->o->seed };

		sub->gradings[k] = xcalloc(1, sizeof(**sub->gradings));
		grade_begin(&job, c, sub->gradings[k]);
		pthread_mutex_lock(&p->lock);
		char *shown = shown_name(sub->name);

		printf("  %s %s: built and checked\n", shown, c->id);
		free(shown);
		fflush(stdout);
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
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
	struct phase_one p = { .o = o, .subs = subs, .nsubs = n, .cache_root = cache_root };
	pthread_t threads[8];
	struct worker_arg args[8];

	pthread_mutex_init(&p.lock, NULL);
	for (unsigned t = 0; t < jobs; t++) {
		args[t] = (struct worker_arg){ &p, t };
		pthread_create(&threads[t], NULL, phase_one_worker, &args[t]);
	}
	for (unsigned t = 0; t < jobs; t++)
		pthread_join(threads[t], NULL);
	pthread_mutex_destroy(&p.lock);
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
