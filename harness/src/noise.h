/*
 * noise.h - the throughput gate on a grader other work slows down
 *
 * Each run of the benchmark times the serial baseline, the harness's own
 * parallel version and the learner's code side by side, so that a slower
 * machine slows all three. That is not enough when the load comes and goes
 * during a run. With the course policy's throughput "trials" above 1, the
 * gate may run the benchmark again:
 *  - a run is trusted when the harness's parallel version itself reached
 *    the chapter's target efficiency (the figures' target_efficiency): when
 *    the reference cannot, the grader was too busy to judge anybody;
 *  - runs stop at the first trusted run that earns full marks;
 *  - otherwise, after `trials` runs, the best trusted run counts, provided
 *    the trusted runs agree (learner efficiencies within 15 points) or there
 *    is only one; else, and when no run was trusted, the result is
 *    "inconclusive": scored as measured (best run) or as full marks, as the
 *    policy's throughput "inconclusive" says, and named so in the summary and
 *    the figures ("inconclusive": true, "runs": N).
 * With trials 1 (the default) this is one run of gate_throughput(), today's
 * behaviour.
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

/* Two learner efficiencies further apart than this disagree. */
#define NOISE_AGREEMENT 0.15

#endif
