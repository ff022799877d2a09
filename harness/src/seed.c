/*
 * seed.c - the perturbation seed of one grading (seed.h)
 */
#include "seed.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../world/random.h"
#include "gates.h"

/*
 * The scenario gates' TC_SEED for this grading (perturb.h) into w, and a
 * line in the correctness details saying how to replay it.
 */
void choose_seed(const struct grade_job *job, struct workspace *w,
			struct chapter_result *out)
{
	struct gate_result *correctness = &out->gates[GATE_CORRECTNESS];
	unsigned long long seed;

	if (job->seed && strcmp(job->seed, "off") == 0) {
		snprintf(w->seed_env, sizeof(w->seed_env), "TC_SEED=");
		snprintf(out->seed, sizeof(out->seed), "off");
		return;
	}
	if (job->seed) {
		seed = strtoull(job->seed, NULL, 10);
	} else {
		struct timespec ts;
		uint64_t mix;

		clock_gettime(CLOCK_REALTIME, &ts);
		mix = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + job->slot;
		seed = 1 + world_random(&mix) % 999999;
	}
	snprintf(w->seed_env, sizeof(w->seed_env), "TC_SEED=%llu", seed);
	snprintf(out->seed, sizeof(out->seed), "%llu", seed);
	gate_add_detail(correctness, "perturbation seed %llu: replay with make grade SEED=%llu",
			seed, seed);
}
