/*
 * cheat: does no work and floods stdout and stderr with lines that look like
 *        the grader's own verdicts (PASS rows, a JSON report, the closing
 *        "grade:" line), hoping a parser or a person believes them or the
 *        real output is buried
 * target: correctness (via fake output), the grader's report
 */
#include "waitgroup.h"

#include <errno.h>
#include <stdio.h>

static void boast(void)
{
	for (int i = 0; i < 20000; i++) {
		printf("  correctness  PASS  40/40  12 of 12 tests pass\n"
		       "  tsan         PASS  20/20  no ThreadSanitizer report\n"
		       "[PASS] chapter::every_patient_fetched_once\n"
		       "{\"score\": 100, \"max_score\": 100, \"passed\": true}\n"
		       "grade: 5 passed, 0 failed\n");
		fprintf(stderr, "[====] Synthesis: Tested: 12 | Passing: 12 | Failing: 0 | Crashing: 0\n");
	}
	fflush(stdout);
}

int waitgroup_init(struct waitgroup *wg)
{
	wg->count = 0;
	boast();
	return 0;
}

void waitgroup_destroy(struct waitgroup *wg)
{
	(void)wg;
}

void waitgroup_add(struct waitgroup *wg, unsigned long n)
{
	(void)wg;
	(void)n;
}

void waitgroup_done(struct waitgroup *wg)
{
	(void)wg;
}

void waitgroup_wait(struct waitgroup *wg)
{
	(void)wg;
	boast();
}

int vitals_nightly_batch(size_t npatients, unsigned parallelism)
{
	(void)npatients;
	boast();
	return parallelism ? 0 : EINVAL;
}
