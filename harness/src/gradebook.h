/*
 * gradebook.h - a batch's gradebook, as CSV and as JSON
 *
 * One row per submission: its name, the git commit graded (when the
 * submission folder is a git clone), when the batch ran (UTC), and for each
 * chapter anybody was graded on: the chapter's score, one column per gate,
 * the perturbation seed, and a SHA-256 of every learner file graded, so that
 * a regrade dispute can be settled; then the total and its maximum.
 *
 * The CSV follows RFC 4180: comma-separated, CRLF line ends, a field quoted
 * when it holds a comma, a double quote, CR or LF, a quote inside doubled.
 * The JSON holds the same values (harness/README.md, "Gradebook").
 *
 * A gradebook is never overwritten: gradebook_reserve() creates both files
 * exclusively before the batch starts grading.
 */
#ifndef GRADER_GRADEBOOK_H
#define GRADER_GRADEBOOK_H

#include <stdio.h>
#include <time.h>

#include "chapter.h"
#include "result.h"

/* One submission: results[k] graded the files of *chapters[k]. */
struct gradebook_entry {
	const char *name;			/* the folder's name */
	const char *dir;			/* the folder */
	const struct chapter *const *chapters;	/* n of them */
	const struct chapter_result *results;	/* n of them */
	size_t n;
};

/*
 * A default prefix <build_root>/gradebook-YYYYMMDDTHHMMSSZ for a batch that
 * started at `when` (malloc'd, never NULL).
 */
char *gradebook_default_prefix(const char *build_root, time_t when);

/*
 * Creates csv_path and json_path, both empty, failing when either exists
 * (a gradebook is never replaced). Returns 0, or -1 with a message on
 * stderr. Not thread-safe with itself on the same paths.
 */
int gradebook_reserve(const char *csv_path, const char *json_path);

/*
 * Writes the gradebook of entries[0..n) into the reserved files; `order`
 * lists every chapter of the workbook (ids in workbook order, norder of
 * them), and `when` is the batch's start. Reads each graded file to hash it.
 * Returns 0, or -1 with a message on stderr. Blocks on file I/O only.
 */
int gradebook_write(const char *csv_path, const char *json_path,
		    const struct gradebook_entry *entries, size_t n,
		    const struct chapter *order, size_t norder, time_t when);

/*
 * Writes field to out as one RFC 4180 CSV field: as it is, or quoted with
 * its quotes doubled when it holds a comma, a quote, CR or LF. A field
 * starting with =, +, -, @, a tab or CR gets a leading apostrophe first, so
 * that a spreadsheet shows a student's folder name instead of running it as
 * a formula (the JSON gradebook keeps the name as it is). Exported for tests.
 */
void gradebook_csv_field(FILE *out, const char *field);

/*
 * The commit checked out in dir (a git clone: dir/.git, a folder or a
 * "gitdir:" file), read from HEAD, the loose ref or packed-refs without
 * running git; "" when dir is not a clone or HEAD cannot be resolved.
 * Writes at most size bytes into out (41 suffice).
 */
void gradebook_git_commit(const char *dir, char *out, size_t size);

#endif
