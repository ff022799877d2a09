/*
 * learn.h - the learner's daily loop around the grader: watch, hint,
 * progress, reset, interview, compile_commands.json and the classroom
 * template export. One program (build/bin/learn), one concept per file.
 *
 * Every function here runs in the single thread of the learn program; none is
 * thread-safe unless it says so. Paths are relative to the workbook root,
 * which main() makes the current directory.
 */
#ifndef LEARN_H
#define LEARN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

/* Where the learner's own state lives (git-ignored): progress, backups. */
#define STATE_DIR ".threadclinic"
#define PROGRESS_FILE STATE_DIR "/progress.json"
#define INTERVIEW_FILE STATE_DIR "/interview.json"
#define BACKUP_DIR STATE_DIR "/backups"

#define MAX_CHAPTERS 64

/* One chapter of chapters/: its folder name, its learner file and header. */
struct chapter {
	char id[128];		/* "03-worker-pool" */
	char dir[256];		/* "chapters/03-worker-pool" */
	char source[320];	/* "chapters/03-worker-pool/pool.c" (the learner's file) */
	char header[320];	/* "chapters/03-worker-pool/pool.h" (the contract) */
};

/* --- book.c: the chapters and small file helpers --- */

/* Fills out[] with the chapters of chapters/, sorted; returns how many. */
size_t book_chapters(struct chapter *out, size_t max);
/*
 * Finds the chapter a learner named ("3", "03", "03-worker-pool"); false,
 * with a message on stderr naming the chapters, when none matches.
 */
bool book_find(const char *name, struct chapter *out);
/* Reads a whole file into a new NUL-terminated string (caller frees); NULL on error. */
char *read_text(const char *path, size_t *len);
/*
 * Reads f to its end into a new NUL-terminated string (caller frees; *len,
 * when not NULL, its length); NULL when out of memory. Does not close f.
 */
char *read_stream(FILE *f, size_t *len);
/* Writes len bytes to path through a temporary file and a rename; 0 or -1. */
int write_text(const char *path, const char *text, size_t len);
/* Writes v as indented JSON (jansson's dump flags) to path; 0, or -1 after "<who>: cannot write <path>". */
int write_json(const char *path, json_t *v, size_t flags, const char *who);
/* mkdir -p; 0 or -1. */
int make_dirs(const char *path);
/* Copies a file (contents and mode); 0 or -1. */
int copy_file(const char *from, const char *to);
/* The local time as "2026-12-02 04:20" into buf. */
void now_text(char *buf, size_t size);
/* Copies src into the learner's backups as <name>.<timestamp>[.why]; fills path. */
int backup_file(const char *src, const struct chapter *ch, const char *why,
		char *path, size_t size);

/* --- progress.c: the progress store --- */

/* Loads the progress file (an empty store when there is none); never NULL. */
json_t *progress_load(void);
/* Saves it; 0 or -1 (a message on stderr). */
int progress_save(json_t *p);
/* The chapter's entry, created when missing; borrowed from p. */
json_t *progress_chapter(json_t *p, const char *id);
/* Whether the chapter's best total is its maximum. */
bool progress_full(json_t *p, const char *id);
/*
 * Merges a grader --report file into the store: best score per gate, when,
 * last total; closes a running interview that reached full marks. quiet:
 * print nothing but the interview clock. Returns 0 or -1.
 */
int progress_record(const char *report_path, bool quiet);
/* Prints every chapter's row and the bars; returns 0. */
int progress_show(void);

/* --- hints.c --- */

/* Prints the next hint tier of ch from its README and counts it; 0 or -1. */
int hint_next(const struct chapter *ch);
/* How many tiers the lesson has (0 when the README has none). */
size_t hint_tiers(const struct chapter *ch);

/* --- reset.c --- */

/*
 * Restores ch's starter (or, during/after an interview of ch, the learner's
 * own file backed up when it began), after backing up the current file;
 * prints both paths. 0 or -1.
 */
int reset_chapter(const struct chapter *ch);
/* Remembers the commit the learner started from (once); see reset.c. */
void reset_remember_base(void);

/* --- interview.c --- */

/* Writes into *out (caller frees) a blank implementation of ch's header. */
int interview_blank(const struct chapter *ch, char **out);
/* Starts an interview of ch lasting minutes; 0 or -1. */
int interview_start(const struct chapter *ch, int minutes);
/* Prints the interview clock line when an interview of ch (or any, ch NULL) is on. */
void interview_clock(const char *chapter_id);
/* Called by progress_record() when id reached full marks: stops the clock. */
void interview_full(json_t *progress, const char *id);

/* --- watch.c --- */

/* Runs the watch loop (chapter_name NULL: follow progress; stay: never move on). Returns 0 at Ctrl-C. */
int watch_run(const char *chapter_name, bool stay);

/* --- editor.c --- */

/* Writes compile_commands.json for every chapter file; 0 or -1. */
int editor_compile_commands(const char *out_path);

/* --- export.c --- */

/* Exports the learner's view of the workbook into dir; 0 or -1. */
int export_template(const char *dir);

#endif
