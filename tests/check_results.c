/*
 * check_results.c - validates a Gradescope results.json against the schema
 * documented in Gradescope's autograder specification, and the marks we
 * expect for it.
 *
 * Usage: check_results FILE full|partial|short
 *	full: every test at full marks; partial: some points but not all;
 *	short: fewer points than the maximum (perhaps none)
 * Exit status 0 when the file is valid and the marks are as expected; the
 * reasons otherwise, one per line.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int problems;

static void problem(const char *what, const char *name)
{
	printf("results.json: %s%s%s\n", what, name ? ": " : "", name ? name : "");
	problems++;
}

static bool one_of(const char *s, const char *const *allowed)
{
	for (; s && *allowed; allowed++)
		if (strcmp(s, *allowed) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static const char *const statuses[] = { "passed", "failed", NULL };
	static const char *const visibilities[] = { "hidden", "after_due_date", "after_published",
						    "visible", NULL };
	json_error_t error;
	json_t *root, *tests, *test, *board, *entry;
	double sum = 0, max = 0;
	size_t i;

	if (argc != 3 || (strcmp(argv[2], "full") && strcmp(argv[2], "partial") &&
			  strcmp(argv[2], "short"))) {
		fprintf(stderr, "usage: check_results FILE full|partial|short\n");
		return 2;
	}
	root = json_load_file(argv[1], 0, &error);
	if (!json_is_object(root)) {
		printf("results.json: not a JSON object (%s)\n", error.text);
		return 1;
	}
	tests = json_object_get(root, "tests");
	if (!json_is_array(tests) || json_array_size(tests) == 0)
		problem("\"tests\" must be a non-empty array", NULL);
	json_array_foreach(tests, i, test) {
		const char *name = json_string_value(json_object_get(test, "name"));

		if (!name)
			problem("a test has no \"name\" string", NULL);
		if (!json_is_number(json_object_get(test, "score")) ||
		    !json_is_number(json_object_get(test, "max_score")))
			problem("\"score\" and \"max_score\" must be numbers", name);
		if (json_object_get(test, "status") &&
		    !one_of(json_string_value(json_object_get(test, "status")), statuses))
			problem("\"status\" must be passed or failed", name);
		if (json_object_get(test, "visibility") &&
		    !one_of(json_string_value(json_object_get(test, "visibility")), visibilities))
			problem("unknown \"visibility\"", name);
		if (json_object_get(test, "output") && !json_is_string(json_object_get(test, "output")))
			problem("\"output\" must be a string", name);
		sum += json_number_value(json_object_get(test, "score"));
		max += json_number_value(json_object_get(test, "max_score"));
	}
	if (json_object_get(root, "score") &&
	    json_number_value(json_object_get(root, "score")) != sum)
		problem("top-level \"score\" differs from the sum of the tests", NULL);
	board = json_object_get(root, "leaderboard");
	if (board && !json_is_array(board))
		problem("\"leaderboard\" must be an array", NULL);
	json_array_foreach(board, i, entry)
		if (!json_is_string(json_object_get(entry, "name")) ||
		    !json_is_number(json_object_get(entry, "value")))
			problem("a leaderboard entry needs \"name\" and a numeric \"value\"", NULL);
	if (strcmp(argv[2], "full") == 0 && (sum != max || max == 0))
		problem("expected full marks", NULL);
	if (strcmp(argv[2], "full") == 0 && json_array_size(board) == 0)
		problem("expected throughput figures on the leaderboard", NULL);
	if (strcmp(argv[2], "partial") == 0 && !(sum > 0 && sum < max))
		problem("expected partial marks", NULL);
	if (strcmp(argv[2], "short") == 0 && !(sum < max))
		problem("expected fewer points than the maximum", NULL);
	printf("results.json: score %.0f of %.0f, %zu tests%s\n", sum, max, json_array_size(tests),
	       problems ? "" : ", valid");
	json_decref(root);
	return problems ? 1 : 0;
}
