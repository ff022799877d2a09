/*
 * evidence.h - what the harness inside a graded process reported, read
 * back from the channel (harness/lib/channel.h) of one run
 *
 * Only messages that carry the run's token count: anything else on the
 * pipe (learner code writing to descriptor 3, say) is ignored. The grader
 * computes every verdict from this and from what it observed itself (exit
 * status, tool reports); no file the learner's uid could write is read.
 *
 * Ownership: evidence_parse() allocates; evidence_free() releases.
 * Not thread-safe (one struct per run).
 */
#ifndef GRADER_EVIDENCE_H
#define GRADER_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>

#define EVIDENCE_MAX 64

/* What one scenario reported; each field NULL when it said nothing. */
struct scenario_evidence {
	char *begin, *end, *crash, *timeout, *stacks, *leak, *leakstacks, *early;
	char *heap;		/* heap bytes a second run added and kept */
	char *cycle;		/* a deadlock, named (lib/lockgraph.h) */
};

struct evidence {
	struct scenario_evidence at[EVIDENCE_MAX];
	char *bench;		/* the benchmark's JSON figures */
	char *seccomp;		/* "on", or "off<TAB>reason" */
	char *collider;		/* races the collider saw, a line each (lib/collider.h) */
	bool collider_canary;	/* the collider caught its canary's race */
	int collider_peak;	/* threads that ran the learner's code at once, at
				   most (tc_collider_peak_reset); -1: not said */
	bool canary;		/* the driver ran its canaries */
	bool done;		/* the driver reached its end */
	size_t done_count;	/* scenarios it says it ran */
	bool overflowed;	/* the channel filled up: evidence incomplete */
};

/* Reads len bytes of channel data sent with token. */
void evidence_parse(const char *data, size_t len, size_t dropped, const char *token,
		    struct evidence *e);

void evidence_free(struct evidence *e);

#endif
