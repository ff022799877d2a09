/*
 * test_result_text.c - a program's stray bytes cannot cost a report: what
 * enters a gate's summary or details is valid UTF-8 without control
 * characters, so the JSON and JUnit reports keep it (red team 4: invalid
 * UTF-8 printed by a failing test broke the JUnit file and dropped the
 * JSON details)
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "result.h"

static const char junk[] = "| caf\xc3\xa9 \xff\xfe bad \xe2\x82 cut \xed\xa0\x80 surrogate "
			   "\xc0\xaf overlong \x01\x1b[31m";

Test(result_text, invalid_utf8_and_controls_become_question_marks)
{
	struct gate_result g = { 0 };

	gate_add_detail(&g, "%s", junk);
	gate_set_summary(&g, "first: %s", junk);
	cr_assert_str_eq(g.details, "| caf\xc3\xa9 ?? bad ?? cut ??? surrogate ?? overlong ??[31m\n");
	cr_assert(strstr(g.summary, "caf\xc3\xa9 ??"), "%s", g.summary);
	free(g.details);
	free(g.summary);
}

Test(result_text, the_reports_keep_the_details)
{
	struct chapter_result c = { .seed = "1" };
	char json_path[] = "/tmp/threadclinic-text-XXXXXX", xml_path[64];
	json_t *report, *details;
	xmlDocPtr doc;
	int fd = mkstemp(json_path);

	cr_assert(fd >= 0);
	close(fd);
	c.id = strdup("01-serial-to-parallel");
	snprintf(xml_path, sizeof(xml_path), "%s.xml", json_path);
	c.gates[GATE_CORRECTNESS].applies = true;
	c.gates[GATE_CORRECTNESS].ran = true;
	gate_set_summary(&c.gates[GATE_CORRECTNESS], "1 of 1 tests fail");
	gate_add_detail(&c.gates[GATE_CORRECTNESS], "%s", junk);
	chapter_result_finish(&c);
	cr_assert_eq(report_write_json(json_path, &c, 1), 0);
	cr_assert_eq(report_write_junit(xml_path, &c, 1), 0);
	report = json_load_file(json_path, 0, NULL);
	cr_assert_not_null(report, "the JSON report is readable");
	details = json_object_get(json_array_get(json_object_get(json_array_get(
		json_object_get(report, "chapters"), 0), "checks"), 0), "details");
	cr_assert(json_is_string(details) && strstr(json_string_value(details), "surrogate"),
		  "the details are in the JSON report");
	doc = xmlReadFile(xml_path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	cr_assert_not_null(doc, "the JUnit file parses");
	xmlFreeDoc(doc);
	json_decref(report);
	unlink(json_path);
	unlink(xml_path);
	chapter_result_free(&c);
}
