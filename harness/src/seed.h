/*
 * seed.h - the perturbation seed of one grading (harness/lib/perturb.h)
 *
 * The scenario gates run with TC_SEED in their environment: the job's
 * --seed (a number, or "off"), else one drawn from the clock and the job's
 * slot. Not thread-safe for one workspace; touches nothing shared.
 */
#ifndef GRADER_SEED_H
#define GRADER_SEED_H

#include "grade.h"

/*
 * Writes the seed into w->seed_env and out->seed, and a line in the
 * correctness details saying how to replay it.
 */
void choose_seed(const struct grade_job *job, struct workspace *w, struct chapter_result *out);

#endif
