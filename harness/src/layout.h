/*
 * layout.h - where a submission keeps a chapter's learner files
 *
 * One finder for every way of grading (make grade SUBMISSION=, a batch's
 * student folders, Gradescope's run_autograder), so that a folder is read the
 * same way everywhere. Accepted layouts, tried in this order:
 *	<sub>/NN-slug/<module>.c		like chapters/ (the workbook's own)
 *	<sub>/chapters/NN-slug/<module>.c	a clone of the workbook (GitHub Classroom)
 *	<sub>/<module>.c			flat: the module files side by side
 *	<sub>/.../<dir naming NN-slug>/<module>.c	nested deeper (an upload
 *						that zipped its parent folder), at most
 *						LAYOUT_MAX_DEPTH folders down
 * Links are never followed while searching (a link found at a candidate path
 * is still returned, so that the grader refuses it with its reason).
 */
#ifndef GRADER_LAYOUT_H
#define GRADER_LAYOUT_H

#include <stddef.h>

#define LAYOUT_MAX_DEPTH 4

/*
 * The folder of submission that holds the files of chapter `id` (basenames
 * sources[0..n)), as a malloc'd path the caller frees. When none of the
 * layouts holds any of them: <submission>/<id> (grading then reports the
 * missing file under the conventional path). Never NULL (alloc.h).
 * Thread-safe (reads the file system only).
 */
char *layout_find(const char *submission, const char *id, char *const *sources, size_t n);

#endif
