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
 * Reads Valgrind's XML file (--xml=yes). Returns the number of errors, or -1
 * when the file is missing or unreadable; *summary and *details as above.
 */
int helgrind_reduce(const struct workspace *w, const char *xml_path,
		    char **summary, char **details);

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

#endif
