#define _GNU_SOURCE
#include "test_filter.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"

bool test_filter_matches(const char *selector, const char *name, const char *clause)
{
	size_t n = strlen(selector);

	if (strcmp(selector, name) == 0 || strcasecmp(selector, clause) == 0)
		return true;
	/* "R4" takes "R4a" and "R4b", not "R40". */
	return n > 0 && strncasecmp(selector, clause, n) == 0 && isdigit((unsigned char)selector[n - 1]) &&
	       isalpha((unsigned char)clause[n]);
}

/* Appends the list's scenarios ("  R1  name") to why. */
static void list_scenarios(const struct scenario_list *list, char *why, size_t size)
{
	size_t used = strlen(why);

	for (size_t i = 0; i < list->n && used + 1 < size; i++) {
		int k = snprintf(why + used, size - used, "\n  %-5s %s", list->clause[i],
				 list->name[i]);

		if (k < 0)
			break;
		used += (size_t)k;
	}
}

bool test_filter_apply(struct scenario_list *list, const char *selectors, char *why,
		       size_t size)
{
	char *copy = xstrdup(selectors ? selectors : ""), *save = NULL;
	bool keep[64] = { false }, ok = true;
	size_t k = 0, used;

	for (char *tok = strtok_r(copy, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
		bool found = false;

		for (size_t i = 0; i < list->n; i++)
			if (test_filter_matches(tok, list->name[i], list->clause[i]))
				keep[i] = found = true;
		if (!found && ok) {
			snprintf(why, size, "TEST=%s names no scenario of this chapter; its "
				 "scenarios are:", tok);
			list_scenarios(list, why, size);
			ok = false;
		}
	}
	free(copy);
	if (!ok)
		return false;
	list->total_timeout_s = 0;
	used = (size_t)snprintf(list->only_env, sizeof(list->only_env), "TC_ONLY=");
	for (size_t i = 0; i < list->n; i++) {
		if (!keep[i])
			continue;
		if (k != i) {
			memcpy(list->clause[k], list->clause[i], sizeof(list->clause[k]));
			memcpy(list->name[k], list->name[i], sizeof(list->name[k]));
			list->timeout_s[k] = list->timeout_s[i];
			list->index[k] = list->index[i];
			list->free_pass[k] = list->free_pass[i];
		}
		list->total_timeout_s += list->timeout_s[k];
		used += (size_t)snprintf(list->only_env + used, sizeof(list->only_env) - used,
					 "%s%zu", k ? "," : "", list->index[k]);
		k++;
	}
	list->n = k;
	list->partial = true;
	return k > 0;
}
