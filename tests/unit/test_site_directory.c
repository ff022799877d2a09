/*
 * test_site_directory.c - the simulated site directory (chapter 12's world)
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "clock.h"
#include "site_directory_ctl.h"

Test(site_directory, answers_listed_sites_with_rising_serials)
{
	struct site_info a, b;

	cr_assert_eq(site_directory_reset(0, 4), 0);
	cr_assert_eq(site_directory_lookup(2, &a), 0);
	cr_assert_eq(site_directory_lookup(2, &b), 0);
	cr_assert_eq(a.site, 2);
	cr_assert_str_eq(a.name, "Site 0002");
	cr_assert_eq(a.answer, 1);
	cr_assert_eq(b.answer, 2, "each lookup is a new answer");
	cr_assert_eq(site_directory_calls(2), 2);
	cr_assert_eq(service_calls_for(&site_directory, 2), 2);
	cr_assert_eq(site_directory_next_answer(), 3);
}

Test(site_directory, not_found_and_failing_leave_out_alone)
{
	struct site_info info;

	cr_assert_eq(site_directory_reset(0, 4), 0);
	memset(&info, 0x5a, sizeof(info));
	site_directory_unlist(1);
	cr_assert_eq(site_directory_lookup(1, &info), ENOENT);
	cr_assert_eq(site_directory_lookup(9, &info), ENOENT, "a number past nsites is not listed");
	cr_assert_eq(info.site, 0x5a5a5a5a);
	site_directory_set_failing(true);
	cr_assert_eq(site_directory_lookup(0, &info), EIO);
	site_directory_set_failing(false);
	cr_assert_eq(site_directory_lookup(0, &info), 0);
	cr_assert_eq(site_directory_calls(1), 1);
	cr_assert_eq(service_unknown_items(&site_directory), 1);
}

static void *lookup_three(void *arg)
{
	struct site_info info;

	*(int *)arg = site_directory_lookup(3, &info);
	return NULL;
}

Test(site_directory, a_held_lookup_waits_until_released)
{
	pthread_t t;
	int result = -1;
	uint64_t deadline;

	cr_assert_eq(site_directory_reset(1000000, 4), 0);
	site_directory_hold(3, true);
	cr_assert_eq(pthread_create(&t, NULL, lookup_three, &result), 0);
	deadline = world_now_ns() + 2000000000ull;
	while (site_directory_held_calls(3) < 1 && world_now_ns() < deadline)
		world_sleep_ns(1000000);
	cr_assert_eq(site_directory_held_calls(3), 1);
	cr_assert_eq(site_directory_in_flight(3), 1);
	world_sleep_ns(20000000);
	cr_assert_eq(site_directory_held_calls(3), 1, "still held 20 ms later");
	cr_assert_eq(service_calls_for(&site_directory, 3), 0, "its round trip has not started");
	site_directory_hold(3, false);
	pthread_join(t, NULL);
	cr_assert_eq(result, 0);
	cr_assert_eq(site_directory_in_flight(3), 0);
	cr_assert_eq(service_calls_for(&site_directory, 3), 1);
}
