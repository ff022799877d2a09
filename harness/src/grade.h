/*
 * grade.h - grades one chapter: prepare, compile, build, run the gates
 */
#ifndef GRADER_GRADE_H
#define GRADER_GRADE_H

#include "chapter.h"
#include "result.h"

/*
 * Grades chapter into *out (which the caller frees with
 * chapter_result_free). Never fails: whatever goes wrong with the
 * submission becomes a failed gate with its reason.
 */
void grade_chapter(const char *root, const char *build_root,
		   const struct chapter *chapter, struct chapter_result *out);

#endif
