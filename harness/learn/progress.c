/*
 * progress.c - the learner's progress store: .threadclinic/progress.json in
 * the learner's clone (git-ignored). make grade and make watch record every
 * grading of chapters/ into it; make progress prints it.
 *
 * { "chapters": { "03-worker-pool": {
 *       "max": 100, "best": 80, "best_when": "...", "last": 60, "last_when": "...",
 *       "gradings": 4, "hints": 1,
 *       "gates": { "correctness": { "best": 40, "max": 40, "when": "..." }, ... },
 *                 (each gate's score in the best grading, so the row adds up to "best")
 *       "interviews": [ { "started": 1764650000, "minutes": 45, "seconds_to_full": 812 } ]
 * } } }
 */
#define _GNU_SOURCE
#include "learn.h"

#include <stdio.h>
#include <string.h>

static const char *const gate_names[] = { "correctness", "tsan", "helgrind", "leaks", "throughput" };
#define NGATES (sizeof(gate_names) / sizeof(gate_names[0]))

json_t *progress_load(void)
{
	json_error_t err;
	json_t *p = json_load_file(PROGRESS_FILE, 0, &err);

	if (!json_is_object(p)) {
		json_decref(p);
		p = json_object();
	}
	if (!json_is_object(json_object_get(p, "chapters")))
		json_object_set_new(p, "chapters", json_object());
	return p;
}

int progress_save(json_t *p)
{
	if (make_dirs(STATE_DIR) != 0) {
		fprintf(stderr, "progress: cannot write %s\n", PROGRESS_FILE);
		return -1;
	}
	return write_json(PROGRESS_FILE, p, JSON_INDENT(2) | JSON_SORT_KEYS, "progress");
}

json_t *progress_chapter(json_t *p, const char *id)
{
	json_t *chapters = json_object_get(p, "chapters"), *c = json_object_get(chapters, id);

	if (!c) {
		c = json_object();
		json_object_set_new(chapters, id, c);
	}
	return c;
}

bool progress_full(json_t *p, const char *id)
{
	json_t *c = json_object_get(json_object_get(p, "chapters"), id);
	json_int_t max = json_integer_value(json_object_get(c, "max"));

	return c && max > 0 && json_integer_value(json_object_get(c, "best")) >= max;
}

/* Raises *field of obj to value when value is higher (or the field is new). */
static bool raise_best(json_t *obj, const char *field, json_int_t value)
{
	json_t *old = json_object_get(obj, field);

	if (old && json_integer_value(old) >= value)
		return false;
	json_object_set_new(obj, field, json_integer(value));
	return true;
}

/* Replaces the chapter's gate scores with those of the grading rc. */
static void record_gates(json_t *c, json_t *rc, const char *when)
{
	json_t *gates = json_object(), *check;
	size_t i;

	json_object_set_new(c, "gates", gates);
	json_array_foreach(json_object_get(rc, "checks"), i, check) {
		const char *name = json_string_value(json_object_get(check, "name"));
		json_t *g;

		if (!name)
			continue;
		g = json_object();
		json_object_set_new(gates, name, g);
		json_object_set_new(g, "max", json_integer(json_integer_value(json_object_get(check, "max_score"))));
		json_object_set_new(g, "best", json_integer(json_integer_value(json_object_get(check, "score"))));
		json_object_set_new(g, "when", json_string(when));
	}
}

static void record_chapter(json_t *p, json_t *rc, const char *when)
{
	const char *id = json_string_value(json_object_get(rc, "id"));
	json_int_t score = json_integer_value(json_object_get(rc, "score"));
	json_t *c;

	if (!id)
		return;
	c = progress_chapter(p, id);
	json_object_set_new(c, "max", json_integer(json_integer_value(json_object_get(rc, "max_score"))));
	/* The gates shown are the best grading's, never a mix of gradings. */
	if (raise_best(c, "best", score) || !json_object_get(c, "gates")) {
		json_object_set_new(c, "best_when", json_string(when));
		record_gates(c, rc, when);
	}
	json_object_set_new(c, "last", json_integer(score));
	json_object_set_new(c, "last_when", json_string(when));
	json_object_set_new(c, "gradings",
			    json_integer(json_integer_value(json_object_get(c, "gradings")) + 1));
	if (score >= json_integer_value(json_object_get(rc, "max_score")))
		interview_full(p, id);
}

int progress_record(const char *report_path, bool quiet)
{
	json_error_t err;
	json_t *report = json_load_file(report_path, 0, &err), *p, *rc;
	char when[32];
	size_t i;
	int status;

	if (!report) {
		if (!quiet)
			fprintf(stderr, "progress: no grading report at %s (%s)\n", report_path, err.text);
		return -1;
	}
	/* A TEST= run is partial: its scores are not a grade (grade's report
	   marks it "partial"), so it never counts as a chapter's best. */
	if (json_is_true(json_object_get(report, "partial"))) {
		if (!quiet)
			printf("progress: a partial run (TEST=) is not recorded\n");
		json_decref(report);
		return 0;
	}
	p = progress_load();
	now_text(when, sizeof(when));
	json_array_foreach(json_object_get(report, "chapters"), i, rc)
		record_chapter(p, rc, when);
	status = progress_save(p);
	json_array_foreach(json_object_get(report, "chapters"), i, rc)
		interview_clock(json_string_value(json_object_get(rc, "id")));
	if (!quiet && status == 0)
		printf("progress recorded in %s (make progress shows it)\n", PROGRESS_FILE);
	json_decref(report);
	json_decref(p);
	return status;
}

static void bar(char *buf, double fraction, int width)
{
	int full = (int)(fraction * width + 0.5);

	for (int i = 0; i < width; i++)
		buf[i] = i < full ? '#' : '.';
	buf[width] = '\0';
}

int progress_show(void)
{
	struct chapter all[MAX_CHAPTERS];
	size_t n = book_chapters(all, MAX_CHAPTERS), done = 0;
	json_t *p = progress_load();
	long got = 0, max = 0;
	char b[64];

	printf("%-26s", "chapter");
	for (size_t g = 0; g < NGATES; g++)
		printf(" %-11s", gate_names[g]);
	printf(" %-7s %-12s %-16s %5s  %s\n", "best", "bar", "when", "hints", "note");
	for (size_t i = 0; i < n; i++) {
		json_t *c = json_object_get(json_object_get(p, "chapters"), all[i].id);
		json_t *gates = json_object_get(c, "gates"), *iv = json_object_get(c, "interviews");
		json_int_t best = json_integer_value(json_object_get(c, "best"));
		json_int_t cmax = json_integer_value(json_object_get(c, "max"));
		char note[96] = "";

		printf("%-26s", all[i].id);
		for (size_t g = 0; g < NGATES; g++) {
			json_t *gate = json_object_get(gates, gate_names[g]);
			char cell[32];

			if (gate)
				snprintf(cell, sizeof(cell), "%lld/%lld",
					 (long long)json_integer_value(json_object_get(gate, "best")),
					 (long long)json_integer_value(json_object_get(gate, "max")));
			else
				snprintf(cell, sizeof(cell), c ? "n/a" : "-");
			printf(" %-11s", cell);
		}
		if (!cmax)
			cmax = 100;
		bar(b, c ? (double)best / (double)cmax : 0.0, 10);
		if (json_array_size(iv)) {
			json_t *last = json_array_get(iv, json_array_size(iv) - 1);
			json_t *secs = json_object_get(last, "seconds_to_full");

			if (secs)
				snprintf(note, sizeof(note), "interview: full marks in %lldm%02llds",
					 (long long)json_integer_value(secs) / 60, (long long)json_integer_value(secs) % 60);
			else
				snprintf(note, sizeof(note), "interview: not finished");
		}
		char score[32] = "-";

		if (c)
			snprintf(score, sizeof(score), "%lld/%lld", (long long)best, (long long)cmax);
		printf(" %-7s [%s] %-16s %5lld  %s\n", score, b,
		       c ? (json_string_value(json_object_get(c, "best_when")) ?: "") : "never graded",
		       (long long)json_integer_value(json_object_get(c, "hints")), note);
		got += (long)best;
		max += (long)cmax;
		if (c && best >= cmax)
			done++;
	}
	bar(b, max ? (double)got / (double)max : 0.0, 40);
	printf("\nbook [%s] %ld/%ld points, %zu of %zu chapters at full marks\n", b, got, max, done, n);
	json_decref(p);
	return 0;
}
