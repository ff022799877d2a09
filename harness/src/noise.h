/*
 * noise.h - the throughput gate on a grader other work slows down
 *
 * Each run of the benchmark times the serial baseline, the harness's own
 * parallel version and the learner's code side by side, so that a slower
 * machine slows all three. That is not enough when the load comes and goes
 * during a run (in CI, chapter 01's reference solution once measured 65 %
 * against the harness's 84 % in the same run; on a quiet machine the two
 * measure the same, 92 % and 92 %). So the gate may run the
 * benchmark again, up to the course policy's throughput "trials" (3 by
 * default; 1 turns the check off):
 *  - a run is trusted when the harness's parallel version itself reached
 *    the chapter's target efficiency (the figures' target_efficiency): when
 *    the reference cannot, the grader was too busy to judge anybody;
 *  - runs stop at the first trusted run that earns full marks, and at the
 *    first trusted clear miss (points fraction below NOISE_CLEAR_MISS, less
 *    than half of the way from serial to full) or invalid run (the work
 *    was wrong): only near misses and untrusted runs cost more runs;
 *  - otherwise, after `trials` runs, the best trusted run counts, provided
 *    the trusted runs agree (learner efficiencies within 15 points) or there
 *    is only one; else, and when no run was trusted, the result is
 *    "inconclusive": scored as measured (best run) or as full marks, as the
 *    policy's throughput "inconclusive" says, and named so in the summary and
 *    the figures ("inconclusive": true, "runs": N).
 */
#ifndef GRADER_NOISE_H
#define GRADER_NOISE_H

#include "result.h"
#include "workspace.h"

/*
 * The throughput gate's runner (gate_table): gate_throughput with the noise
 * check, into g (which must be empty). Blocks for every run of the
 * benchmark; not thread-safe with other runs on the same workspace.
 */
gate_runner noise_throughput;

/*
 * True when one run of the benchmark, scored into run, settles the gate:
 * it failed, its work was wrong ("valid" false), or it was trusted and
 * earned full marks or missed clearly. False for a near miss or an
 * untrusted run (worth another run). Pure; thread-safe.
 */
bool noise_settled(const struct gate_result *run);

/* Two learner efficiencies further apart than this disagree. */
#define NOISE_AGREEMENT 0.15

/* A trusted run scoring less than this fraction is not run again. */
#define NOISE_CLEAR_MISS 0.25

#endif
