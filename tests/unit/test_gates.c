/*
 * test_gates.c - what the gates read: the driver's scenario list, each
 * scenario's outcome from its evidence, and the points the docs state
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gates.h"
#include "runner.h"

Test(scenario_list, reads_scenarios_and_the_leaks_opt_in)
{
	char text[] = "R1a R1b\tfull_queue_blocks\t3\n"
		      "#gates\tleaks\n"
		      "a line the driver did not mean\n"
		      "R2\tfifo_order\t1.5\n";
	struct scenario_list list;

	cr_assert(scenario_list_parse(text, &list));
	cr_assert_eq(list.n, 2);
	cr_assert_str_eq(list.clause[0], "R1a R1b");
	cr_assert_str_eq(list.name[1], "fifo_order");
	cr_assert_float_eq(list.timeout_s[1], 1.5, 1e-9);
	cr_assert_float_eq(list.total_timeout_s, 4.5, 1e-9);
	cr_assert(list.checks_leaks);
}

Test(scenario_list, no_scenario_is_a_failure_and_no_opt_in_means_no_leaks)
{
	char empty[] = "#gates\tleaks\n", one[] = "R1\tonly\t2\n";
	struct scenario_list list;

	cr_assert_not(scenario_list_parse(empty, &list));
	cr_assert(scenario_list_parse(one, &list));
	cr_assert_not(list.checks_leaks);
}

Test(scenario_list, keeps_at_most_64)
{
	char *text = calloc(70, 32), *p = text;
	struct scenario_list list;

	for (int i = 0; i < 70; i++)
		p += sprintf(p, "R%d\ts%d\t1\n", i, i);
	cr_assert(scenario_list_parse(text, &list));
	cr_assert_eq(list.n, 64);
	cr_assert_str_eq(list.name[63], "s63");
	free(text);
}

/* The outcome of scenario 0 when its evidence is *s. */
static enum outcome outcome_of(struct scenario_evidence s, char **why)
{
	static struct workspace w = { .src_dir = "/b/01/src", .display_dir = "mine/01" };
	static struct evidence e;

	memset(&e, 0, sizeof(e));
	e.at[0] = s;
	return scenario_outcome(&w, &e, 0, why);
}

Test(scenario_outcome, pass_and_fail_name_the_clause)
{
	char *why;

	cr_assert_eq(outcome_of((struct scenario_evidence){ .begin = "x", .end = "pass" }, &why),
		     OUT_PASS);
	cr_assert_null(why);
	cr_assert_eq(outcome_of((struct scenario_evidence){
		.begin = "x", .end = "fail\tR3b\tthe second waiter never woke" }, &why), OUT_FAIL);
	cr_assert_str_eq(why, "R3b violated: the second waiter never woke");
	free(why);
}

Test(scenario_outcome, a_timeout_says_how_long_and_what_memory)
{
	char *why;

	cr_assert_eq(outcome_of((struct scenario_evidence){ .timeout = "3.0\t12" }, &why),
		     OUT_TIMEOUT);
	cr_assert(strstr(why, "timed out after 3.0 s (a deadlock"), "%s", why);
	cr_assert(strstr(why, "(no stacks)"), "%s", why);
	free(why);
	cr_assert_eq(outcome_of((struct scenario_evidence){ .timeout = "3.0\t300" }, &why),
		     OUT_TIMEOUT);
	cr_assert(strstr(why, "using 300 MiB of memory"), "%s", why);
	free(why);
}

Test(scenario_outcome, crashes_and_early_ends_are_not_passes)
{
	char *why;

	cr_assert_eq(outcome_of((struct scenario_evidence){ .crash = "11" }, &why), OUT_CRASH);
	cr_assert(strstr(why, "crashed (SIGSEGV)"), "%s", why);
	free(why);
	cr_assert_eq(outcome_of((struct scenario_evidence){ .early = "x", .end = "pass" }, &why),
		     OUT_EARLY, "an early end outweighs a pass");
	cr_assert(strstr(why, "pthread_exit()"), "%s", why);
	free(why);
	cr_assert_eq(outcome_of((struct scenario_evidence){ .begin = "x" }, &why), OUT_EARLY);
	cr_assert(strstr(why, "exit() or _exit()"), "%s", why);
	free(why);
	cr_assert_eq(outcome_of((struct scenario_evidence){ 0 }, &why), OUT_NOT_RUN);
	free(why);
}

/* harness/README.md's points table ("| gate | without | with |") is the gate table. */
Test(gate_table, harness_readme_states_its_points)
{
	FILE *f = fopen("harness/README.md", "r");
	char line[256];
	int rows = 0;
	bool in_points = false;

	cr_assert_not_null(f, "run from the workbook's root");
	while (fgets(line, sizeof(line), f)) {
		char name[32], plain[8], leaks[8];

		if (strncmp(line, "## ", 3) == 0)
			in_points = strncmp(line, "## Points", 9) == 0;
		if (!in_points || sscanf(line, "| %31[a-z] | %7[^ |] | %7[^ |] |", name, plain,
					 leaks) != 3 || strcmp(name, "gate") == 0)
			continue;
		for (int i = 0; i < GATE_COUNT; i++) {
			if (strcmp(gate_table[i].name, name) != 0)
				continue;
			rows++;
			cr_assert_eq(gate_table[i].points_with_leaks, atoi(leaks), "%s", name);
			if (gate_table[i].opt_in)
				cr_assert_str_eq(plain, "–", "%s applies only with leaks", name);
			else
				cr_assert_eq(gate_table[i].points, atoi(plain), "%s", name);
		}
	}
	fclose(f);
	cr_assert_eq(rows, GATE_COUNT, "one row per gate");
}
