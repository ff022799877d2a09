/*
 * bench_main.c - runs chapter_bench and writes the throughput figures
 *
 * Usage: bench RESULT.json
 * Writes {"baseline_s", "measured_s", "ideal_s", "speedup", "efficiency",
 * "target_efficiency", "workload", "valid", "problem"} and prints one line
 * for people. Exit status 0 when the figures were written.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "clock.h"

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *values, unsigned n)
{
	qsort(values, n, sizeof(*values), compare_doubles);
	return values[n / 2];
}

static double time_once(void (*run)(void))
{
	uint64_t start = world_now_ns();

	run();
	return (double)(world_now_ns() - start) / 1e9;
}

int main(int argc, char **argv)
{
	const struct bench *b = &chapter_bench;
	double baseline[16], measured[16], base_s, meas_s, ideal = 0;
	char problem[512] = "";
	unsigned trials = b->trials > 16 ? 16 : b->trials;
	bool valid = true;
	json_t *result;

	if (argc != 2) {
		fprintf(stderr, "usage: %s RESULT.json\n", argv[0]);
		return 2;
	}
	for (unsigned t = 0; t < trials && valid; t++) {
		if (!b->setup()) {
			fprintf(stderr, "bench: harness set-up failed\n");
			return 2;
		}
		baseline[t] = time_once(b->run_baseline);
		b->teardown();
		if (!b->setup()) {
			fprintf(stderr, "bench: harness set-up failed\n");
			return 2;
		}
		ideal = b->ideal_s();
		measured[t] = time_once(b->run_submission);
		valid = b->verify(problem, sizeof(problem));
		b->teardown();
		if (!valid)
			trials = t + 1;
	}
	base_s = median(baseline, trials);
	meas_s = median(measured, trials);

	result = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:s, s:b, s:s, s:i}",
			   "baseline_s", base_s, "measured_s", meas_s,
			   "ideal_s", ideal, "speedup", base_s / meas_s,
			   "efficiency", ideal / meas_s,
			   "target_efficiency", b->target_efficiency,
			   "workload", b->workload, "valid", valid,
			   "problem", problem, "trials", (int)trials);
	if (!result || json_dump_file(result, argv[1], JSON_INDENT(2)) != 0) {
		fprintf(stderr, "bench: cannot write %s\n", argv[1]);
		return 2;
	}
	printf("%s: baseline %.3f s, yours %.3f s, ideal %.3f s (speedup %.1fx, "
	       "efficiency %.0f%%)%s%s\n", b->workload, base_s, meas_s, ideal,
	       base_s / meas_s, 100.0 * ideal / meas_s,
	       valid ? "" : ": INVALID: ", problem);
	json_decref(result);
	return 0;
}
