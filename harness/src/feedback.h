/*
 * feedback.h - reduces tool reports to the learner's own file and line
 *
 * ThreadSanitizer's text report, Helgrind's XML report and eu-stack's thread
 * dump all speak of the grader's copies of the learner's files; these
 * functions keep the frames in those files, name them as the learner knows
 * them, and say in one line what happened.
 *
 * Ownership: every char ** result is malloc'd for the caller.
 */
#ifndef GRADER_FEEDBACK_H
#define GRADER_FEEDBACK_H

#include "workspace.h"

/*
 * Reads ThreadSanitizer's log text. Returns the number of reports (0: clean);
 * for the first one, *summary is one line and *details the conflicting
 * accesses, each with the learner's file:line.
 */
int tsan_reduce(const struct workspace *w, const char *log, char **summary,
		char **details);

/*
 * Reads Valgrind's XML report text (--xml=yes). Errors whose stacks name
 * the function `canary` (the harness's own known race) are not counted;
 * *canaries gets how many there were. Returns the number of other errors,
 * or -1 when the text is not a readable report; *summary and *details as
 * above.
 */
int helgrind_reduce(const struct workspace *w, const char *xml, const char *canary,
		    int *canaries, char **summary, char **details);

/*
 * A copy of a tool's log without the reports that mention `canary` (the
 * harness's own known race or leak). A report starts at `begin` and runs
 * to `end` (or the end of the log); *found gets how many were dropped.
 * malloc'd, or NULL when out of memory.
 */
char *drop_reports(const char *log, const char *begin, const char *end, const char *canary,
		   int *found);

/*
 * Reads LeakSanitizer's log text. Returns the bytes leaked (0: none); when
 * there are leaks, *summary says how much and from where (the learner's
 * file:line of the first allocation), *details lists up to 5 leaks.
 */
long lsan_reduce(const struct workspace *w, const char *log, char **summary,
		 char **details);

/*
 * Reads an eu-stack dump: one line per thread that is inside the learner's
 * code, saying where it is parked and in what call. malloc'd; never NULL.
 */
char *stacks_reduce(const struct workspace *w, const char *dump);

/*
 * The likely cause of a crash by signal sig, from the dump taken when it
 * happened (crash_cause.h): one line "likely cause: ...", malloc'd, or NULL.
 */
char *stacks_crash_cause(const struct workspace *w, const char *dump, int sig);

#endif
