/*
 * manifest.h - a chapter's metadata, read from harness/manifests/<id>.json
 *
 * One JSON file per chapter holds what the grader, the self-check, the
 * benchmark and the lesson checks need to know about it: its module files,
 * whether it has the leaks gate, the throughput target and trials, and what
 * the unmodified starter must show (the gates it loses and, per gate, the
 * symptoms its lesson promises). The format is described once, in
 * harness/manifests/README.md.
 *
 * This file depends on libc and jansson only, so that tests/selfcheck.c can
 * link it too.
 *
 * Ownership: manifest_load() fills a struct the caller owns and releases
 * with manifest_free(). Thread-safety: no shared state; one struct per thread.
 */
#ifndef GRADER_MANIFEST_H
#define GRADER_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

/* A text a gate's summary or details must contain on the starter. */
struct manifest_symptom {
	char *gate;		/* "correctness", "tsan", ... */
	char *text;		/* also stated, word for word, in the lesson */
};

struct chapter_manifest {
	char *path;		/* the file it was read from */
	char *id;		/* "01-serial-to-parallel": the file's own name */
	char *title;		/* the lesson's title */
	/* Paths relative to the workbook root. */
	char *lesson;		/* chapters/<id>/README.md */
	char *scenarios;	/* harness/scenarios/<id>.c */
	char *bench;		/* harness/bench/<id>.c */
	char *solution;		/* solutions/<id> (a folder) */
	char *zoo;		/* tests/zoo/<id> (a folder) */
	/* Basenames inside chapters/<id>/ (and solutions/<id>/). */
	char **sources;		/* the learner-editable .c files */
	size_t nsources;
	char **headers;		/* the contract headers */
	size_t nheaders;
	bool leaks_gate;	/* graded on leaks as well */
	bool atomics;		/* learner code may use C11 atomics (default true) */
	double target_efficiency;	/* throughput: ideal / measured for full marks */
	unsigned trials;	/* throughput: timed trials, odd */
	/* The unmodified starter: the gates it must lose, and may lose. */
	char **loses;
	size_t nloses;
	char **may_lose;
	size_t nmay_lose;
	struct manifest_symptom *symptoms;
	size_t nsymptoms;
	/*
	 * The scenarios (by name) the unmodified starter passes every time:
	 * they earn no correctness points (harness/README.md, Points).
	 */
	char **starter_passes;
	size_t nstarter_passes;
	/*
	 * Optional: scenarios that code doing nothing passes (a limit never
	 * exceeded, no thread left behind): no points either.
	 */
	char **vacuous;
	size_t nvacuous;
};

/* The gate names a manifest may use, in report order; NULL-terminated. */
extern const char *const manifest_gate_names[];

/*
 * "<root>/harness/manifests/<id>.json", malloc'd (the caller frees it).
 * Never NULL: out of memory ends the program (alloc.h).
 */
char *manifest_path(const char *root, const char *id);

/*
 * Reads and checks the manifest at path, whose id must be expected_id.
 * Returns true and fills *m, or returns false with *m empty and a message
 * naming the file and the problem in error ("harness/manifests/01-x.json:
 * line 3: ..."). Does not block beyond reading the file.
 */
bool manifest_load(const char *path, const char *expected_id, struct chapter_manifest *m,
		   char *error, size_t size);

/* Releases what manifest_load() allocated; *m is left empty. NULL is fine. */
void manifest_free(struct chapter_manifest *m);

/* True when name is in list[0..n). */
bool manifest_lists(char *const *list, size_t n, const char *name);

#endif
