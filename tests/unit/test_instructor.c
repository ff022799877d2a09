/*
 * test_instructor.c - the instructor's side: CSV quoting, the layout finder,
 * the course policy's checks and scoring, hidden-test redaction
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "course.h"
#include "gradebook.h"
#include "hidden.h"
#include "layout.h"

static char *csv(const char *field)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	gradebook_csv_field(out, field);
	fclose(out);
	return text;
}

Test(gradebook, fields_are_quoted_as_rfc_4180_says)
{
	const char *cases[][2] = {
		{ "alice", "alice" },
		{ "o\"neil, pat", "\"o\"\"neil, pat\"" },
		{ "zoë nested", "zoë nested" },
		{ "two\nlines", "\"two\nlines\"" },
		{ "cr\r", "\"cr\r\"" },
		{ "", "" },
		/* a spreadsheet would run these as formulas: a leading apostrophe */
		{ "=HYPERLINK(\"http://x\",\"alice\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"alice\"\")\"" },
		{ "+1", "'+1" },
		{ "-2", "'-2" },
		{ "@sum", "'@sum" },
		{ "\tx", "'\tx" },
		{ "a=b", "a=b" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *got = csv(cases[i][0]);

		cr_expect_str_eq(got, cases[i][1], "field %zu", i);
		free(got);
	}
}

static void touch(const char *path)
{
	char *dir = strdup(path), *cmd;

	*strrchr(dir, '/') = '\0';
	cr_assert(asprintf(&cmd, "mkdir -p '%s' && : > '%s'", dir, path) > 0);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
	free(dir);
}

Test(layout, every_layout_is_found_and_a_missing_file_keeps_the_plain_path)
{
	char root[] = "/tmp/threadclinic-layout-XXXXXX", path[256], *sources[] = { "pool.c" };
	const char *layouts[] = { "a/03-worker-pool", "b/chapters/03-worker-pool", "c",
				  "d/x/my-03-worker-pool-copy" };
	char *found, *cmd;

	cr_assert_not_null(mkdtemp(root));
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s/pool.c", root, layouts[i]);
		touch(path);
		snprintf(path, sizeof(path), "%s/%c", root, layouts[i][0]);
		found = layout_find(path, "03-worker-pool", sources, 1);
		snprintf(path, sizeof(path), "%s/%s", root, layouts[i]);
		cr_expect_str_eq(found, path);
		free(found);
	}
	snprintf(path, sizeof(path), "%s/e", root);
	mkdir(path, 0755);
	found = layout_find(path, "03-worker-pool", sources, 1);
	snprintf(path, sizeof(path), "%s/e/03-worker-pool", root);
	cr_expect_str_eq(found, path);
	free(found);
	cr_assert(asprintf(&cmd, "rm -rf '%s'", root) > 0);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
}

static int load(const char *json, char *why, size_t size)
{
	char path[] = "/tmp/threadclinic-course-XXXXXX";
	int fd = mkstemp(path), ret;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	ret = course_load(path, why, size);
	unlink(path);
	return ret;
}

Test(course, mistakes_are_refused_with_the_key)
{
	const char *bad[][2] = {
		{ "{\"gates\": {\"throughput\": {\"mdoe\": \"off\"}}}", "mdoe" },
		{ "{\"gates\": {\"speed\": {}}}", "speed" },
		{ "{\"gates\": {\"correctness\": {\"mode\": \"off\"}}}", "cannot be off" },
		{ "{\"partial_credit\": \"some\"}", "partial_credit" },
		{ "{\"throughput\": {\"trials\": 9}}", "trials" },
		{ "{\"chapters\": {\"03\": {\"weight\": -1}}}", "weight" },
		{ "{\"assignments\": {\"hw1\": []}}", "hw1" },
		{ "{\"gates\": ", ":1:" },
	};
	char why[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cr_expect_eq(load(bad[i][0], why, sizeof(why)), -1, "%s", bad[i][0]);
		cr_expect_not_null(strstr(why, bad[i][1]), "%s: %s", bad[i][0], why);
	}
	cr_assert_eq(course_load(NULL, why, sizeof(why)), 0);
}

/* A chapter result as grading leaves it: correctness passed or not. */
static void result(struct chapter_result *c, bool correct)
{
	chapter_result_init(c, "03-worker-pool", true);
	for (int i = 0; i < GATE_COUNT; i++) {
		c->gates[i].ran = true;
		c->gates[i].tool_passed = i == GATE_CORRECTNESS ? correct : true;
		c->gates[i].fraction = c->gates[i].tool_passed ? 1 : 0;
	}
	chapter_result_finish(c);
}

Test(course, the_default_changes_nothing_and_weights_scale_the_maxima)
{
	struct chapter_result c;
	char why[512];

	cr_assert_eq(course_load(NULL, why, sizeof(why)), 0);
	result(&c, true);
	cr_expect_eq(c.max_score, 100);
	cr_expect_eq(c.score, 100);
	chapter_result_free(&c);
	cr_assert_eq(load("{\"gates\": {\"throughput\": {\"mode\": \"off\"}, \"tsan\": "
			  "{\"mode\": \"feedback\"}}, \"chapters\": {\"3\": {\"weight\": 2}}}",
			  why, sizeof(why)), 0, "%s", why);
	result(&c, true);
	cr_expect_not(c.gates[GATE_THROUGHPUT].applies);
	cr_expect_eq(c.gates[GATE_TSAN].max_score, 0);
	cr_expect_eq(c.gates[GATE_CORRECTNESS].max_score, 80);
	cr_expect_eq(c.max_score, 80 + 30 + 30);
	cr_expect_eq(c.score, c.max_score);
	chapter_result_free(&c);
	result(&c, false);	/* the maxima never depend on the submission */
	cr_expect_eq(c.max_score, 80 + 30 + 30);
	cr_expect_eq(c.score, 0);
	chapter_result_free(&c);
	course_load(NULL, why, sizeof(why));
}

Test(course, independent_partial_credit_counts_clean_race_gates)
{
	struct chapter_result c;
	char why[512];

	cr_assert_eq(load("{\"partial_credit\": \"independent\"}", why, sizeof(why)), 0);
	result(&c, false);
	cr_expect_eq(c.gates[GATE_CORRECTNESS].score, 0);
	cr_expect_eq(c.gates[GATE_TSAN].score, 15);
	cr_expect_eq(c.score, 60);
	chapter_result_free(&c);
	course_load(NULL, why, sizeof(why));
}

Test(hidden, hidden_names_and_messages_become_a_generic_line)
{
	struct chapter_result c = { 0 };
	char *withheld = NULL, *shown;

	c.hidden = json_pack("[s]", "secret_big_odd_batch");
	shown = hidden_redact(&c, "PASS visible_one (R1)\n"
			      "FAIL secret_big_odd_batch (R2): expected 266/35\n"
			      "    more about it\n"
			      "PASS secret_big_odd_batch (R2)\n"
			      "    #2 0x1 in helper harness/hidden/01-x.c:12\n"
			      "FAIL visible_two (R3): shown", &withheld);
	cr_expect_null(strstr(shown, "secret"));
	cr_expect_null(strstr(shown, "266"));
	cr_expect_null(strstr(shown, "(R2)"));
	cr_expect_null(strstr(shown, "helper"));
	cr_expect_not_null(strstr(shown, "FAIL a hidden test"));
	cr_expect_not_null(strstr(shown, "PASS visible_one (R1)\n"));
	cr_expect_not_null(strstr(shown, "FAIL visible_two (R3): shown"));
	cr_expect_not_null(strstr(withheld, "expected 266/35"));
	cr_expect_not_null(strstr(withheld, "more about it"));
	free(shown);
	free(withheld);
	json_decref(c.hidden);
}
