/*
 * attack: does no work; calls the harness's own channel function (linked into the same binary, so it carries the secret token) to send "end pass" for every scenario index and "done", then exits with status 0 before the scenario can check anything (red team: written without reading the defences)
 * cheats: correctness
 * reason: 'tc_channel_send_text'
 * bound: 60
 */
#include "clean.h"

#include <errno.h>
#include <stdlib.h>

void tc_channel_send_text(const char *kind, size_t index, const char *text);

int clean_records(const struct record *records, size_t n, unsigned parallelism,
		  struct clean_report *report)
{
	(void)records;
	if (parallelism == 0)
		return EINVAL;
	for (size_t i = 0; i < 32; i++) {
		tc_channel_send_text("begin", i, "x");
		tc_channel_send_text("end", i, "pass");
	}
	tc_channel_send_text("done", 0, "32");
	report->stored = n;
	report->rejected = 0;
	exit(0);
}
