/*
 * stamp.h - the name of the current state of the grader's trusted inputs
 *
 * The object cache (build.c) keeps the harness's compiled objects under this
 * stamp, so an object compiled from an older harness, chapter header or
 * grader is never reused. Reads modification times only; thread-safe.
 */
#ifndef GRADER_STAMP_H
#define GRADER_STAMP_H

/*
 * The newest modification time (ns) among the harness's sources under
 * root, the chapters' headers and the running grader.
 */
long long harness_stamp(const char *root);

#endif
