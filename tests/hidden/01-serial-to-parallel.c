/*
 * An instructor's hidden test for chapter 01, as a course would write one
 * (tests/instructor.sh builds a Gradescope bundle with it). A batch of an
 * odd size the visible scenarios do not use, on four lanes: the report's
 * two counts must add up to the batch (clean.h R2).
 */
#include <stdlib.h>

#include "clean.h"
#include "scenario.h"
#include "service.h"

static void secret_big_odd_batch(struct check *c, const struct scenario_env *env)
{
	size_t n = env->small ? 35 : 266;
	struct record *records = calloc(n + 1, sizeof(*records));
	struct clean_report report = { 0, 0 };
	int ret;

	EXPECT(c, records != NULL, "R2", "the test ran out of memory");
	records_generate(records, n, 0x5ec7e7);
	service_init(&validation_api, "the hospital validation API", 1000000u, 4, n);
	service_init(&records_db, "the records database", 1000000u, 4, n);
	ret = clean_records(records, n, 4, &report);
	service_destroy(&validation_api);
	service_destroy(&records_db);
	free(records);
	EXPECT(c, ret == 0 && report.stored + report.rejected == n, "R2",
	       "expected stored + rejected = %zu, observed %zu + %zu (returned %d)", n,
	       report.stored, report.rejected, ret);
}

const struct scenario hidden_scenarios[] = {
	{ "secret_big_odd_batch", "R2", 5.0, secret_big_odd_batch },
};
const size_t hidden_scenario_count = 1;
