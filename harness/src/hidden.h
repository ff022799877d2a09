/*
 * hidden.h - an instructor's hidden tests stay hidden from the student
 *
 * A Gradescope bundle built with HIDDEN=DIR grades DIR/<chapter>.c's
 * scenarios too (harness/lib/scenario.h). Their names, clauses and messages
 * are for the instructor: in the student-visible results every line naming
 * a hidden scenario (or a frame of harness/hidden/) becomes a generic line,
 * and the withheld lines go into one extra test per chapter whose
 * visibility is the course policy's hidden_visibility ("after_published":
 * shown once grades are published, or "hidden": never shown to students).
 * Points are unchanged: a failing hidden test costs what a failing visible
 * one costs.
 */
#ifndef GRADER_HIDDEN_H
#define GRADER_HIDDEN_H

#include "gates.h"
#include "result.h"

/* Records the hidden scenario names of list in c->hidden (none: NULL). */
void hidden_record(struct chapter_result *c, const struct scenario_list *list);

/*
 * text with every line that names a hidden scenario of c replaced by a
 * generic line (malloc'd; NULL when text is NULL). Each withheld line is
 * appended to *withheld (malloc'd, may start NULL) when withheld is not NULL.
 * With no hidden scenarios, a copy of text.
 */
char *hidden_redact(const struct chapter_result *c, const char *text, char **withheld);

#endif
