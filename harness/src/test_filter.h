/*
 * test_filter.h - make grade TEST=...: some scenarios only, for fast
 * iteration on one failing test
 *
 * A selector is a scenario's name ("jobs_come_out_in_order_once_each") or
 * a contract clause ("R4" also takes R4a, R4b, ...; "R4b" only itself).
 * The chosen scenarios run on every gate that runs scenarios (correctness,
 * tsan, helgrind, leaks); the throughput gate and ThreadSanitizer's run at
 * the benchmark's scale do not run. The grading is marked partial: it is
 * feedback, not a grade.
 *
 * Ownership: nothing kept. Thread-safe (no state).
 */
#ifndef GRADER_TEST_FILTER_H
#define GRADER_TEST_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "gates.h"

/* True when selector names the scenario with this name and clause. */
bool test_filter_matches(const char *selector, const char *name, const char *clause);

/*
 * Keeps in list only the scenarios that one of the selectors (separated by
 * spaces or commas) names, in their order, and sets list->partial and
 * list->only_env. Returns false, with the reason and the scenarios there
 * are in why, when a selector names none.
 */
bool test_filter_apply(struct scenario_list *list, const char *selectors, char *why,
		       size_t size);

#endif
