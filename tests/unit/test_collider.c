/*
 * test_collider.c - the full-speed race detector's table of watched
 * accesses (harness/lib/collider_table.h): what is a conflict, what is not
 */
#include <criterion/criterion.h>
#include <string.h>

#include "collider_table.h"

static struct collider_table table;

static struct collider_access access_of(uintptr_t addr, size_t size, bool write, unsigned tid)
{
	return (struct collider_access){ addr, size, write, tid, 0x1000 + tid };
}

static void fresh(void)
{
	memset(&table, 0, sizeof(table));
}

TestSuite(collider_table, .init = fresh);

Test(collider_table, overlapping_write_of_another_thread_is_a_conflict)
{
	struct collider_access w = access_of(100, 4, true, 1), a = access_of(102, 1, false, 2), seen;
	int slot = collider_table_watch(&table, &w);

	cr_assert_geq(slot, 0);
	cr_assert(collider_table_busy(&table));
	cr_assert(collider_table_check(&table, &a, &seen));
	cr_assert_eq(seen.tid, 1u);
	cr_assert_eq(seen.site, w.site);
	cr_assert(seen.write);
	cr_assert_eq(collider_table_unwatch(&table, slot), 1u);
	cr_assert_not(collider_table_busy(&table));
}

Test(collider_table, a_write_meeting_a_watched_read_is_a_conflict)
{
	struct collider_access w = access_of(200, 8, false, 1), a = access_of(200, 8, true, 2);
	int slot = collider_table_watch(&table, &w);

	cr_assert(collider_table_check(&table, &a, NULL));
	cr_assert_eq(collider_table_hits(&table, slot), 1u);
	collider_table_unwatch(&table, slot);
}

Test(collider_table, neighbouring_bytes_do_not_overlap)
{
	struct collider_access w = access_of(100, 4, true, 1);
	struct collider_access before = access_of(96, 4, true, 2), after = access_of(104, 4, true, 2);
	int slot = collider_table_watch(&table, &w);

	cr_assert_not(collider_table_check(&table, &before, NULL));
	cr_assert_not(collider_table_check(&table, &after, NULL));
	cr_assert_eq(collider_table_unwatch(&table, slot), 0u);
}

Test(collider_table, the_same_thread_is_never_a_conflict)
{
	struct collider_access w = access_of(100, 4, true, 7), a = access_of(100, 4, true, 7);
	int slot = collider_table_watch(&table, &w);

	cr_assert_not(collider_table_check(&table, &a, NULL));
	collider_table_unwatch(&table, slot);
}

Test(collider_table, two_reads_are_never_a_conflict)
{
	struct collider_access w = access_of(100, 4, false, 1), a = access_of(100, 4, false, 2);
	int slot = collider_table_watch(&table, &w);

	cr_assert_not(collider_table_check(&table, &a, NULL));
	collider_table_unwatch(&table, slot);
}

Test(collider_table, a_withdrawn_access_is_no_longer_watched)
{
	struct collider_access w = access_of(100, 4, true, 1), a = access_of(100, 4, true, 2);
	int slot = collider_table_watch(&table, &w);

	collider_table_unwatch(&table, slot);
	cr_assert_not(collider_table_check(&table, &a, NULL));
}

Test(collider_table, a_full_table_watches_nothing_more)
{
	struct collider_access w = access_of(100, 4, true, 1);
	int slots[COLLIDER_SLOTS];

	for (int i = 0; i < COLLIDER_SLOTS; i++)
		cr_assert_geq(slots[i] = collider_table_watch(&table, &w), 0);
	cr_assert_eq(collider_table_watch(&table, &w), -1);
	for (int i = 0; i < COLLIDER_SLOTS; i++)
		collider_table_unwatch(&table, slots[i]);
	cr_assert_geq(collider_table_watch(&table, &w), 0);
}
