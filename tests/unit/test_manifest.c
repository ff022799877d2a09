/*
 * test_manifest.c - the chapter manifests (harness/manifests/) and their reader
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest.h"

#define VALID_MODULE "\"module\": {\"sources\": [\"x.c\"], \"headers\": [\"x.h\"]}"
#define VALID_PATHS                                                                   \
	"\"lesson\": \"chapters/01-x/README.md\", \"scenarios\": \"harness/scenarios/01-x.c\", " \
	"\"bench\": \"harness/bench/01-x.c\", \"solution\": \"solutions/01-x\", "            \
	"\"zoo\": \"tests/zoo/01-x\""
#define VALID_STARTER                                                                 \
	"\"starter\": {\"loses\": [\"correctness\", \"tsan\"], \"may_lose\": [\"helgrind\"], " \
	"\"symptoms\": {\"correctness\": [\"crashed\"], \"tsan\": [\"data race\", \"T2\"]}}"

static char file[] = "/tmp/threadclinic-manifest-XXXXXX.json";

/* Writes text to a fresh temporary file; its path is in file. */
static void write_file(const char *text)
{
	int fd;

	strcpy(file, "/tmp/threadclinic-manifest-XXXXXX.json");
	fd = mkstemps(file, 5);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Loads text as chapter 01-x's manifest; the error message goes to error. */
static bool load(const char *text, struct chapter_manifest *m, char *error, size_t size)
{
	bool ok;

	write_file(text);
	ok = manifest_load(file, "01-x", m, error, size);
	unlink(file);
	return ok;
}

static void assert_rejected(const char *text, const char *why)
{
	struct chapter_manifest m;
	char error[1024] = "";

	cr_assert_not(load(text, &m, error, sizeof(error)), "accepted: %s", text);
	cr_assert(strstr(error, file) == error, "the error does not name the file: %s", error);
	cr_assert(strstr(error, why), "expected \"%s\" in: %s", why, error);
	cr_assert_null(m.id);
}

Test(manifest, reads_every_field)
{
	struct chapter_manifest m;
	char error[1024] = "";

	cr_assert(load("{\"id\": \"01-x\", \"title\": \"01 · X\", " VALID_PATHS ", " VALID_MODULE
		       ", \"leaks_gate\": false, \"throughput\": {\"target_efficiency\": 0.6, "
		       "\"trials\": 5}, " VALID_STARTER "}", &m, error, sizeof(error)), "%s", error);
	cr_assert_str_eq(m.id, "01-x");
	cr_assert_str_eq(m.title, "01 · X");
	cr_assert_str_eq(m.scenarios, "harness/scenarios/01-x.c");
	cr_assert_eq(m.nsources, 1);
	cr_assert_str_eq(m.sources[0], "x.c");
	cr_assert_str_eq(m.headers[0], "x.h");
	cr_assert_not(m.leaks_gate);
	cr_assert_float_eq(m.target_efficiency, 0.6, 1e-9);
	cr_assert_eq(m.trials, 5);
	cr_assert_eq(m.nloses, 2);
	cr_assert_eq(m.nmay_lose, 1);
	cr_assert_str_eq(m.may_lose[0], "helgrind");
	cr_assert_eq(m.nsymptoms, 3);
	cr_assert_str_eq(m.symptoms[1].gate, "tsan");
	cr_assert_str_eq(m.symptoms[2].text, "T2");
	manifest_free(&m);
	manifest_free(&m);	/* twice is harmless: it was emptied */
}

Test(manifest, mistakes_are_errors_that_name_the_file)
{
	const char *base = "{\"id\": \"01-x\", \"title\": \"t\", " VALID_PATHS ", " VALID_MODULE;

	assert_rejected("{\"id\": \"01-x\",", "line 1");
	assert_rejected("[]", "one JSON object");
	char *text;

	cr_assert(asprintf(&text, "%s, \"leaks_gate\": false, \"throughput\": {\"target_efficiency\": "
			   "0.6, \"trials\": 5}, " VALID_STARTER ", \"leak_gate\": true}", base) > 0);
	assert_rejected(text, "unknown key \"leak_gate\"");
	free(text);
	cr_assert(asprintf(&text, "%s, \"leaks_gate\": false, \"throughput\": {\"target_efficiency\": "
			   "0.6, \"trials\": 4}, " VALID_STARTER "}", base) > 0);
	assert_rejected(text, "\"trials\" must be an odd integer");
	free(text);
	cr_assert(asprintf(&text, "%s, \"leaks_gate\": false, \"throughput\": {\"target_efficiency\": "
			   "0.6, \"trials\": 5}, \"starter\": {\"loses\": [\"leaks\"], \"may_lose\": [], "
			   "\"symptoms\": {\"leaks\": [\"x\"]}}}", base) > 0);
	assert_rejected(text, "\"leaks_gate\" is false");
	free(text);
	cr_assert(asprintf(&text, "%s, \"leaks_gate\": false, \"throughput\": {\"target_efficiency\": "
			   "0.6, \"trials\": 5}, \"starter\": {\"loses\": [\"corectness\"], "
			   "\"may_lose\": [], \"symptoms\": {}}}", base) > 0);
	assert_rejected(text, "\"corectness\", which is not a gate");
	free(text);
	cr_assert(asprintf(&text, "%s, \"leaks_gate\": false, \"throughput\": {\"target_efficiency\": "
			   "0.6, \"trials\": 5}, \"starter\": {\"loses\": [\"correctness\", \"tsan\"], "
			   "\"may_lose\": [], \"symptoms\": {\"correctness\": [\"x\"]}}}", base) > 0);
	assert_rejected(text, "no symptom declared for \"tsan\"");
	free(text);
	cr_assert(asprintf(&text, "{\"id\": \"02-y\", \"title\": \"t\", " VALID_PATHS ", " VALID_MODULE
			   ", \"leaks_gate\": false, \"throughput\": {\"target_efficiency\": 0.6, "
			   "\"trials\": 5}, " VALID_STARTER "}") > 0);
	assert_rejected(text, "named for \"01-x\"");
	free(text);
}

Test(manifest, a_missing_file_is_an_error_that_names_it)
{
	struct chapter_manifest m;
	char error[1024];

	cr_assert_not(manifest_load("/nonexistent/harness/manifests/01-x.json", "01-x", &m, error,
				    sizeof(error)));
	cr_assert(strstr(error, "/nonexistent/harness/manifests/01-x.json: cannot read it"),
		  "%s", error);
}

/* Every chapter of the workbook has a manifest that loads, naming files that exist. */
Test(manifest, every_chapter_of_the_workbook_has_one)
{
	DIR *d = opendir("chapters");
	struct dirent *e;
	int chapters = 0;

	cr_assert_not_null(d, "run from the workbook's root");
	while ((e = readdir(d)) != NULL) {
		struct chapter_manifest m;
		char error[1024], *path, *file_path;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		path = manifest_path(".", e->d_name);
		cr_assert(manifest_load(path, e->d_name, &m, error, sizeof(error)), "%s", error);
		const char *files[] = { m.lesson, m.scenarios, m.bench, m.solution, m.zoo };

		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
			cr_assert_eq(access(files[i], R_OK), 0, "%s: %s does not exist", path,
				     files[i]);
		for (size_t i = 0; i < m.nsources; i++) {
			cr_assert(asprintf(&file_path, "chapters/%s/%s", m.id, m.sources[i]) > 0);
			cr_assert_eq(access(file_path, R_OK), 0, "%s: no %s", path, file_path);
			free(file_path);
		}
		manifest_free(&m);
		free(path);
		chapters++;
	}
	closedir(d);
	cr_assert_geq(chapters, 8);
}
