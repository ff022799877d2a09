/*
 * test_evidence.c - only messages carrying the run's token count
 */
#include <criterion/criterion.h>
#include <string.h>

#include "evidence.h"

#define TOKEN "0123456789abcdef0123456789abcdef"

Test(evidence, reads_genuine_messages)
{
	const char data[] = TOKEN " begin 0 4\nname" TOKEN " end 0 4\npass"
			    TOKEN " stacks 1 3\nab\n" TOKEN " stacks 1 2\ncd" TOKEN " done 0 1\n2";
	struct evidence e;

	evidence_parse(data, sizeof(data) - 1, 0, TOKEN, &e);
	cr_assert_str_eq(e.at[0].begin, "name");
	cr_assert_str_eq(e.at[0].end, "pass");
	cr_assert_str_eq(e.at[1].stacks, "ab\ncd");
	cr_assert(e.done);
	cr_assert_eq(e.done_count, 2);
	cr_assert_not(e.overflowed);
	evidence_free(&e);
}

Test(evidence, ignores_forged_and_broken_messages)
{
	const char data[] = "ffffffffffffffffffffffffffffffff end 0 4\npass"
			    "garbage " TOKEN " end 1 400\npass"	/* longer than what is there */
			    TOKEN " end 2 4 pass"			/* no newline after the header */
			    TOKEN " begin 3 1\nx";
	struct evidence e;

	evidence_parse(data, sizeof(data) - 1, 0, TOKEN, &e);
	cr_assert_null(e.at[0].end);
	cr_assert_null(e.at[1].end);
	cr_assert_null(e.at[2].end);
	cr_assert_str_eq(e.at[3].begin, "x");
	evidence_free(&e);
}

Test(evidence, an_overflowed_channel_is_incomplete)
{
	struct evidence e;

	evidence_parse(TOKEN " end 0 4\npass", 41, 10, TOKEN, &e);
	cr_assert(e.overflowed);
	evidence_free(&e);
}

Test(evidence, reads_the_colliders_races_and_canary)
{
	const char data[] = TOKEN " collidercanary 0 6\nx (w)\n" TOKEN " collider 2 10\na.c:1 (w)\n"
			    TOKEN " collider 3 10\nb.c:2 (r)\n";
	struct evidence e;

	evidence_parse(data, sizeof(data) - 1, 0, TOKEN, &e);
	cr_assert(e.collider_canary);
	cr_assert_str_eq(e.collider, "a.c:1 (w)\nb.c:2 (r)\n");
	evidence_free(&e);
}
