/*
 * test_world.c - the simulated world: records, services, census, clock
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "census.h"
#include "clock.h"
#include "records.h"
#include "records_oracle.h"
#include "service.h"

Test(records, same_seed_same_records)
{
	struct record a[50], b[50];

	records_generate(a, 50, 7);
	records_generate(b, 50, 7);
	cr_assert(memcmp(a, b, sizeof(a)) == 0);
	for (size_t i = 0; i < 50; i++)
		cr_assert_eq(a[i].id, i);
}

Test(records, about_one_in_eight_implausible)
{
	static struct record r[4000];
	size_t plausible;

	records_generate(r, 4000, 1);
	plausible = records_count_plausible(r, 4000);
	cr_assert(plausible > 3300 && plausible < 3700, "plausible=%zu", plausible);
}

static uint32_t expect_once(size_t item, void *ctx)
{
	(void)item;
	(void)ctx;
	return 1;
}

Test(service, counts_each_item_and_unknown_ids)
{
	struct service s;
	uint32_t seen = 0;

	cr_assert_eq(service_init(&s, "test", 0, 2, 3), 0);
	service_call(&s, 0);
	service_call(&s, 2);
	service_call(&s, 2);
	service_call(&s, 9);
	cr_assert_eq(service_calls(&s), 4);
	cr_assert_eq(service_calls_for(&s, 2), 2);
	cr_assert_eq(service_unknown_items(&s), 1);
	cr_assert_eq(service_peak(&s), 1);
	cr_assert_eq(service_violations(&s), 0);
	/* item 1 was never called: the first mismatch against "once each" */
	cr_assert_eq(service_first_mismatch(&s, expect_once, NULL, &seen), 1);
	cr_assert_eq(seen, 0);
	service_destroy(&s);
}

struct caller {
	struct service *s;
	pthread_barrier_t *start;
	size_t item;
};

static void *call_once(void *arg)
{
	struct caller *c = arg;

	pthread_barrier_wait(c->start);
	service_call(c->s, c->item);
	return NULL;
}

Test(service, records_peak_and_limit_violations)
{
	struct service s;
	pthread_barrier_t start;
	pthread_t tids[4];
	struct caller callers[4];

	/* 4 callers released together into a 50 ms call: all in flight at once */
	service_init(&s, "limited", 50000000, 2, 4);
	pthread_barrier_init(&start, NULL, 4);
	for (size_t i = 0; i < 4; i++) {
		callers[i] = (struct caller){ &s, &start, i };
		pthread_create(&tids[i], NULL, call_once, &callers[i]);
	}
	for (size_t i = 0; i < 4; i++)
		pthread_join(tids[i], NULL);
	cr_assert_eq(service_peak(&s), 4);
	cr_assert_eq(service_violations(&s), 2, "calls 3 and 4 exceed the limit of 2");
	cr_assert_eq(service_in_flight(&s), 0);
	pthread_barrier_destroy(&start);
	service_destroy(&s);
}

Test(service, counts_calls_after_mark)
{
	struct service s;

	service_init(&s, "marked", 0, SERVICE_NO_LIMIT, 2);
	service_call(&s, 0);
	service_mark(&s);
	service_call(&s, 1);
	cr_assert_eq(service_calls_after_mark(&s), 1);
	service_destroy(&s);
}

Test(service, a_call_takes_its_latency)
{
	struct service s;
	uint64_t start;

	service_init(&s, "slow", 20000000, 1, 1);
	start = world_now_ns();
	service_call(&s, 0);
	cr_assert_geq(world_now_ns() - start, 20000000);
	service_destroy(&s);
}

static void *park(void *arg)
{
	pthread_barrier_wait(arg);	/* parked until the test releases it */
	return NULL;
}

Test(census, sees_a_new_thread_and_its_end)
{
	pthread_barrier_t release;
	pthread_t tid;
	int before = census_threads();
	char where[4096];

	cr_assert_gt(before, 0);
	pthread_barrier_init(&release, NULL, 2);
	pthread_create(&tid, NULL, park, &release);
	cr_assert_eq(census_threads(), before + 1);
	census_describe(where, sizeof(where));
	cr_assert(strstr(where, "parked in"), "%s", where);
	pthread_barrier_wait(&release);
	pthread_join(tid, NULL);
	cr_assert_eq(census_settle(before, 500), before);
	pthread_barrier_destroy(&release);
}
