/*
 * test_learner_feedback.c - the learner's own output (learner_output.h),
 * TEST= selectors (test_filter.h), partial credit (gates.h), crash causes
 * (crash_cause.h) and throughput causes (throughput_cause.h)
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "crash_cause.h"
#include "gates.h"
#include "learner_output.h"
#include "test_filter.h"
#include "throughput_cause.h"

#define BEGIN(i) "\n\036tc-output begin " #i "\036\n"
#define END(i) "\n\036tc-output end " #i "\036\n"

Test(learner_output, cuts_out_one_scenario)
{
	const char out[] = "runner noise\n" BEGIN(0) "zero\n" END(0) "[----] criterion\n"
			   BEGIN(1) "one a\none b\n" END(1);
	size_t more;
	char *text = learner_output_of(out, 1, 0, 0, &more);

	cr_assert_str_eq(text, "  | one a\n  | one b\n");
	cr_assert_eq(more, 0);
	free(text);
	cr_assert_null(learner_output_of(out, 2, 0, 0, &more));
}

Test(learner_output, a_crash_ends_at_the_next_mark)
{
	const char out[] = BEGIN(3) "before the crash\n" BEGIN(4) "next\n" END(4);
	size_t more;
	char *text = learner_output_of(out, 3, 0, 0, &more);

	cr_assert_str_eq(text, "  | before the crash\n");
	free(text);
}

Test(learner_output, cleans_controls_and_escapes)
{
	const char out[] = BEGIN(0) "\033[1;31mred\033[0m\a\r\tx\033]0;title\007y\xc2\x85z\n" END(0);
	size_t more;
	char *text = learner_output_of(out, 0, 0, 0, &more);

	cr_assert_str_eq(text, "  | red    xyz\n");
	free(text);
}

Test(learner_output, caps_lines)
{
	const char out[] = BEGIN(0) "1\n2\n3\n4\n5\n" END(0);
	size_t more;
	char *text = learner_output_of(out, 0, 2, 0, &more);

	cr_assert_str_eq(text, "  | 1\n  | 2\n");
	cr_assert_eq(more, 3);
	free(text);
}

Test(test_filter, names_and_clauses)
{
	cr_assert(test_filter_matches("every_record_once", "every_record_once", "R1"));
	cr_assert(test_filter_matches("R4", "x", "R4a"));
	cr_assert(test_filter_matches("r4b", "x", "R4b"));
	cr_assert_not(test_filter_matches("R4", "x", "R40"));
	cr_assert_not(test_filter_matches("R4b", "x", "R4a"));
	cr_assert_not(test_filter_matches("every", "every_record_once", "R1"));
}

Test(test_filter, keeps_the_chosen_with_their_indices)
{
	struct scenario_list list = { .n = 3 };
	char why[512];

	for (size_t i = 0; i < 3; i++) {
		snprintf(list.name[i], sizeof(list.name[i]), "s%zu", i);
		snprintf(list.clause[i], sizeof(list.clause[i]), "R%zu", i + 1);
		list.index[i] = i;
		list.timeout_s[i] = 1;
	}
	cr_assert(test_filter_apply(&list, "R3, s0", why, sizeof(why)));
	cr_assert_eq(list.n, 2);
	cr_assert_str_eq(list.name[0], "s0");
	cr_assert_str_eq(list.name[1], "s2");
	cr_assert_eq(list.index[1], 2);
	cr_assert_str_eq(list.only_env, "TC_ONLY=0,2");
	cr_assert(list.partial);
	cr_assert_not(test_filter_apply(&list, "R9", why, sizeof(why)));
	cr_assert(strstr(why, "names no scenario"));
}

Test(throughput_cause, serialised_and_below_the_limit)
{
	struct gate_result g = { 0 };
	json_t *f = json_pack("{s:f, s:f, s:i, s:i}", "baseline_s", 1.0, "measured_s", 0.9,
			      "peak", 1, "limit", 8);

	throughput_cause(&g, f);
	cr_assert(strstr(g.details, "calls went one at a time"));
	cr_assert(strstr(g.details, "at most 1 call was in flight at once, of the 8 allowed"));
	json_decref(f);
	free(g.details);
}

Test(throughput_cause, slower_than_serial)
{
	struct gate_result g = { 0 };
	json_t *f = json_pack("{s:f, s:f}", "baseline_s", 1.0, "measured_s", 1.5);

	throughput_cause(&g, f);
	cr_assert(strstr(g.details, "took longer than the serial baseline"));
	json_decref(f);
	free(g.details);
}

Test(throughput_cause, nothing_for_a_parallel_run)
{
	struct gate_result g = { 0 };
	json_t *f = json_pack("{s:f, s:f, s:i, s:i}", "baseline_s", 1.0, "measured_s", 0.2,
			      "peak", 8, "limit", 8);

	throughput_cause(&g, f);
	cr_assert_null(g.details);
	json_decref(f);
}

Test(correctness_fraction, proportional_among_the_counted)
{
	cr_assert_float_eq(correctness_fraction(true, 0, 0), 1.0, 1e-9);
	cr_assert_float_eq(correctness_fraction(false, 0, 4), 0.0, 1e-9);
	cr_assert_float_eq(correctness_fraction(false, 3, 4), 0.75, 1e-9);
	cr_assert_float_eq(correctness_fraction(false, 0, 0), 0.0, 1e-9);
}

Test(learner_output, marks_can_be_stripped)
{
	char text[] = "a\n" BEGIN(0) "b\n" END(0) "c\n";

	learner_output_strip_marks(text);
	cr_assert_str_eq(text, "a\nb\nc\n");
}

Test(crash_cause, names_the_public_call_and_the_likely_mistake)
{
	char *join = crash_cause(SIGSEGV, crash_public_name("pthread_clockjoin_ex"), false);
	char *lock = crash_cause(SIGSEGV, crash_public_name("wrap_pthread_mutex_lock"), true);
	char *stack = crash_cause(SIGSEGV, "", true);

	cr_assert_str_eq(crash_public_name("pthread_cond_wait_common"), "pthread_cond_wait");
	cr_assert_str_eq(crash_public_name("futex_do_wait"), "");
	cr_assert_null(crash_public_name("validate_record"));
	cr_assert(strstr(join, "joined twice"), "%s", join);
	cr_assert(strstr(lock, "destroyed or never initialised") && strstr(lock, "join before"),
		  "%s", lock);
	cr_assert(strstr(stack, "Did you join before returning?"), "%s", stack);
	cr_assert(strstr(crash_tsan_cause("use of an invalid mutex"), "destroy"));
	free(join);
	free(lock);
	free(stack);
}
