#include "scenario.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t scenario_total(void)
{
	return chapter_scenario_count + (&hidden_scenario_count ? hidden_scenario_count : 0);
}

const struct scenario *scenario_get(size_t index)
{
	if (index < chapter_scenario_count)
		return &chapter_scenarios[index];
	return &hidden_scenarios[index - chapter_scenario_count];
}

void check_fail(struct check *c, const char *clause, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	c->failed = true;
	snprintf(c->clause, sizeof(c->clause), "%s", clause);
	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
}

double scenario_timeout_factor(void)
{
	const char *text = getenv("TC_TIMEOUT_FACTOR");
	double factor = text ? strtod(text, NULL) : 1.0;

	return factor > 0 ? factor : 1.0;
}
