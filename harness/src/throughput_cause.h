/*
 * throughput_cause.h - why a program was slow, from the benchmark's figures
 *
 * The throughput gate's numbers (the serial baseline's time, the learner's,
 * the harness's parallel version's, and for chapters that watch a limited
 * service the peak number of calls in flight) point to a likely cause: no
 * speed-up at all means the work is serialised, a peak below the limit
 * means the parallelism given was not used, a time above the serial one
 * means overhead per item. These functions say so in words.
 *
 * Ownership: nothing kept. Thread-safe.
 */
#ifndef GRADER_THROUGHPUT_CAUSE_H
#define GRADER_THROUGHPUT_CAUSE_H

#include <jansson.h>

#include "result.h"

/*
 * Adds "likely cause: ..." lines to g's details for the benchmark figures
 * (bench_main.c's JSON: baseline_s, measured_s, speedup, and peak and
 * limit when present). Adds nothing when the figures point to nothing.
 */
void throughput_cause(struct gate_result *g, const json_t *figures);

#endif
