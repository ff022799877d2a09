#include "throughput_cause.h"

/* Below this speed-up over the serial baseline, the work ran one at a time. */
#define SERIALISED_SPEEDUP 1.5
/* Above this share of the serial time, the code was slower than serial. */
#define SLOWER_THAN_SERIAL 1.05

void throughput_cause(struct gate_result *g, const json_t *figures)
{
	double base = json_real_value(json_object_get(figures, "baseline_s"));
	double measured = json_real_value(json_object_get(figures, "measured_s"));
	json_t *peak = json_object_get(figures, "peak"), *limit = json_object_get(figures, "limit");
	double speedup = measured > 0 ? base / measured : 0;

	if (base <= 0 || measured <= 0)
		return;
	if (measured > base * SLOWER_THAN_SERIAL)
		gate_add_detail(g, "likely cause: your code took longer than the serial baseline "
				"(%.3f s against %.3f s): what it adds for each item costs more than "
				"running items side by side saves (a thread started per item, a "
				"busy-wait, a sleep, or one lock taken around every item?)",
				measured, base);
	else if (speedup < SERIALISED_SPEEDUP)
		gate_add_detail(g, "likely cause: your code ran only %.1fx as fast as the serial "
				"baseline, so the calls went one at a time: is a lock held across "
				"the service call, or is each thread joined right after it starts?",
				speedup);
	if (json_is_integer(peak) && json_is_integer(limit) && json_integer_value(limit) > 0 &&
	    json_integer_value(peak) < json_integer_value(limit))
		gate_add_detail(g, "likely cause: at most %lld call%s %s in flight at once, of "
				"the %lld allowed: the code does not use all the parallelism it is "
				"given (fewer threads or permits than the limit, or threads waiting "
				"for each other)", (long long)json_integer_value(peak),
				json_integer_value(peak) == 1 ? "" : "s",
				json_integer_value(peak) == 1 ? "was" : "were",
				(long long)json_integer_value(limit));
}
