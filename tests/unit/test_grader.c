/*
 * test_grader.c - chapter selection, scoring and gating
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chapter.h"
#include "gates.h"
#include "result.h"
#include "workspace.h"

Test(chapter, selectors_match_by_number_or_name)
{
	struct chapter c = { .id = "03-worker-pool" };

	cr_assert(chapter_matches(&c, "03"));
	cr_assert(chapter_matches(&c, "3"));
	cr_assert(chapter_matches(&c, "03-worker-pool"));
	cr_assert_not(chapter_matches(&c, "04"));
	cr_assert_not(chapter_matches(&c, "worker"));
	cr_assert_not(chapter_matches(&c, "03-worker"));
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fclose(f);
}

/* A minimal valid manifest for chapter id with module file source. */
static void write_manifest(const char *root, const char *id, const char *source, bool leaks)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/harness/manifests", root);
	make_dirs(path);
	snprintf(path, sizeof(path), "%s/harness/manifests/%s.json", root, id);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fprintf(f, "{\"id\": \"%s\", \"title\": \"t\", \"lesson\": \"chapters/%s/README.md\",\n"
		"\"module\": {\"sources\": [\"%s\"], \"headers\": [\"a.h\"]},\n"
		"\"scenarios\": \"harness/scenarios/%s.c\", \"bench\": \"harness/bench/%s.c\",\n"
		"\"solution\": \"solutions/%s\", \"zoo\": \"tests/zoo/%s\", \"leaks_gate\": %s,\n"
		"\"throughput\": {\"target_efficiency\": 0.55, \"trials\": 3},\n"
		"\"starter\": {\"loses\": [\"correctness\"], \"may_lose\": [],\n"
		"  \"symptoms\": {\"correctness\": [\"crashed\"]}}}\n",
		id, id, source, id, id, id, id, leaks ? "true" : "false");
	fclose(f);
}

Test(chapter, discovers_chapters_in_order_with_their_manifests)
{
	char root[] = "/tmp/threadclinic-wb-XXXXXX", path[512];
	struct chapter *chapters;
	size_t n;

	cr_assert_not_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/chapters/02-b", root);
	make_dirs(path);
	snprintf(path, sizeof(path), "%s/chapters/01-a", root);
	make_dirs(path);
	snprintf(path, sizeof(path), "%s/chapters/notes", root);
	make_dirs(path);
	snprintf(path, sizeof(path), "%s/chapters/01-a/a.c", root);
	touch(path);
	write_manifest(root, "01-a", "a.c", false);
	write_manifest(root, "02-b", "b.c", true);
	cr_assert_eq(chapters_discover(root, "/sub", &chapters, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(chapters[0].id, "01-a");
	cr_assert_str_eq(chapters[1].id, "02-b");
	cr_assert_eq(chapters[0].nsources, 1);
	cr_assert_str_eq(chapters[0].sources[0], "a.c");
	cr_assert_str_eq(chapters[1].sources[0], "b.c");
	cr_assert_str_eq(chapters[0].learner_dir, "/sub/01-a");
	cr_assert_not(chapter_has_leaks_gate(&chapters[0]));
	cr_assert(chapter_has_leaks_gate(&chapters[1]));
	cr_assert_str_eq(chapters[1].bench_args[0], "--target-efficiency=0.55");
	cr_assert_str_eq(chapters[1].bench_args[1], "--trials=3");
	snprintf(path, sizeof(path), "%s/harness/scenarios/01-a.c", root);
	cr_assert_str_eq(chapters[0].scenarios, path);
	chapters_free(chapters, n);
	remove_tree(root);
}

Test(chapter, a_chapter_without_a_manifest_is_an_error)
{
	char root[] = "/tmp/threadclinic-wb-XXXXXX", path[512];
	struct chapter *chapters = NULL;
	size_t n = 0;

	cr_assert_not_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/chapters/01-a", root);
	make_dirs(path);
	snprintf(path, sizeof(path), "%s/chapters/02-b", root);
	make_dirs(path);
	write_manifest(root, "01-a", "a.c", false);
	cr_assert_eq(chapters_discover(root, NULL, &chapters, &n), EINVAL);
	remove_tree(root);
}

static void pass_gate(struct chapter_result *c, enum gate g)
{
	c->gates[g].ran = true;
	c->gates[g].tool_passed = true;
	c->gates[g].fraction = 1;
}

Test(result, full_marks_add_up_to_100_with_or_without_leaks)
{
	for (int leaks = 0; leaks <= 1; leaks++) {
		struct chapter_result c;

		chapter_result_init(&c, "01-a", leaks);
		for (int g = 0; g < GATE_COUNT; g++)
			pass_gate(&c, g);
		chapter_result_finish(&c);
		cr_assert_eq(c.score, 100);
		cr_assert_eq(c.max_score, 100);
		chapter_result_free(&c);
	}
}

Test(gate_table, each_column_of_points_sums_to_100)
{
	int plain = 0, with_leaks = 0;

	for (int i = 0; i < GATE_COUNT; i++) {
		if (!gate_table[i].opt_in)
			plain += gate_table[i].points;
		with_leaks += gate_table[i].points_with_leaks;
		cr_assert_eq(gate_points(i, false), gate_table[i].points);
		cr_assert_eq(gate_points(i, true), gate_table[i].points_with_leaks);
	}
	cr_assert_eq(plain, 100);
	cr_assert_eq(with_leaks, 100);
}

Test(gate_table, every_gate_has_a_name_a_runner_and_a_binary)
{
	for (int i = 0; i < GATE_COUNT; i++) {
		const struct gate_info *gate = &gate_table[i];

		cr_assert_not_null(gate->name, "gate %d", i);
		cr_assert_not_null(gate->run, "%s", gate->name);
		cr_assert_neq(gate->flavors, 0u, "%s builds nothing", gate->name);
		cr_assert_eq(gate->flavors >> FLAVOR_COUNT, 0u, "%s", gate->name);
		cr_assert_gt(gate->margin_s, 0, "%s", gate->name);
		cr_assert_geq(gate->timeout_factor, 0, "%s", gate->name);
		cr_assert_str_eq(gate_name(i), gate->name);
		for (int j = 0; j < i; j++)
			cr_assert_str_neq(gate_table[j].name, gate->name);
	}
}

Test(gate_table, correctness_comes_first_and_gates_the_others)
{
	cr_assert_eq(GATE_CORRECTNESS, 0, "the gated gates read correctness's result");
	cr_assert_not(gate_table[GATE_CORRECTNESS].gated);
	cr_assert_eq(gate_table[GATE_CORRECTNESS].phase, PHASE_ONE);
	for (int i = 1; i < GATE_COUNT; i++)
		cr_assert(gate_table[i].gated, "%s", gate_table[i].name);
}

Test(gate_table, deadline_is_the_factor_times_the_scenarios_plus_the_margin)
{
	struct scenario_list list = { .total_timeout_s = 10 };
	const struct gate_info *tsan = &gate_table[GATE_TSAN];

	cr_assert_float_eq(gate_deadline(tsan, &list),
			   10 * tsan->timeout_factor + tsan->margin_s, 1e-9);
	cr_assert_float_eq(gate_deadline(&gate_table[GATE_THROUGHPUT], &list),
			   gate_table[GATE_THROUGHPUT].margin_s, 1e-9,
			   "the benchmark does not run the scenarios");
	list.cap_s = 4;
	cr_assert_float_eq(gate_deadline(tsan, &list), 4, 1e-9);
}

Test(result, race_and_throughput_points_need_correctness)
{
	struct chapter_result c;

	chapter_result_init(&c, "01-a", false);
	c.gates[GATE_CORRECTNESS].ran = true;
	c.gates[GATE_CORRECTNESS].fraction = 0.5;
	pass_gate(&c, GATE_TSAN);
	pass_gate(&c, GATE_HELGRIND);
	pass_gate(&c, GATE_THROUGHPUT);
	chapter_result_finish(&c);
	cr_assert_eq(c.gates[GATE_CORRECTNESS].score, 20);
	cr_assert_eq(c.gates[GATE_TSAN].score, 0, "an empty function is race-free");
	cr_assert_eq(c.gates[GATE_THROUGHPUT].score, 0);
	cr_assert_eq(c.score, 20);
	chapter_result_free(&c);
}

Test(workspace, rewrites_copies_to_the_learners_paths)
{
	struct workspace w = { .src_dir = "/b/01/src", .display_dir = "mine/01" };
	char *text = workspace_rewrite(&w, "at /b/01/src/clean.c:3 and /b/01/src/clean.c:4");

	cr_assert_str_eq(text, "at mine/01/clean.c:3 and mine/01/clean.c:4");
	cr_assert(workspace_is_learner_file(&w, "/b/01/src/clean.c"));
	cr_assert_not(workspace_is_learner_file(&w, "/b/01/srcx/clean.c"));
	free(text);
}

Test(throughput, points_run_from_serial_to_the_harness_version)
{
	double serial = 0.11, reference = 0.85, full = 0.9 * reference;

	cr_assert_float_eq(throughput_fraction(serial, serial, full), 0.0, 1e-9);
	cr_assert_float_eq(throughput_fraction(reference, serial, full), 1.0, 1e-9);
	cr_assert_float_eq(throughput_fraction(full, serial, full), 1.0, 1e-9);
	/* A third slower than the reference keeps about half, not most. */
	cr_assert_lt(throughput_fraction(reference * 2 / 3, serial, full), 0.55);
	cr_assert_gt(throughput_fraction(reference * 2 / 3, serial, full), 0.4);
	cr_assert_float_eq(throughput_fraction(0.01, serial, full), 0.0, 1e-9);
}
