/*
 * random.h - the simulated world's deterministic random numbers
 *
 * SplitMix64: every generator of the world (records, ePRO submissions)
 * draws from it, so the same seed always gives the same data and a test
 * can predict what the learner's code must produce.
 *
 * Safety: keeps no state of its own; *state belongs to the caller.
 */
#ifndef WORLD_RANDOM_H
#define WORLD_RANDOM_H

#include <stdint.h>

/* Advances *state and returns the next 64 random bits. */
static inline uint64_t world_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

#endif
