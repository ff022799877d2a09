#define _GNU_SOURCE
#include "course.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "gates.h"

#define DEFAULT_TARGET 0.9
#define DEFAULT_TRIALS 3

/* The loaded policy: written by course_load() only, before grading. */
static json_t *policy;
static char *policy_path;

static const char *const visibilities[] = { "visible", "hidden", "after_due_date",
					    "after_published", NULL };

static bool one_of(const char *s, const char *const *allowed)
{
	for (; s && *allowed; allowed++)
		if (strcmp(s, *allowed) == 0)
			return true;
	return false;
}

/* Notes: keys that start with "_" are the instructor's comments. */
static bool is_note(const char *key)
{
	return key[0] == '_';
}

/* Checks one "gates" object; 0 or -1 with why. */
static int check_gates(json_t *gates, const char *where, char *why, size_t size)
{
	static const char *const modes[] = { "scored", "feedback", "off", NULL };
	const char *name, *key;
	json_t *gate, *v;

	json_object_foreach(gates, name, gate) {
		bool known = false;

		for (int g = 0; g < GATE_COUNT; g++)
			known |= strcmp(name, gate_name(g)) == 0;
		if (!known || !json_is_object(gate))
			return snprintf(why, size, "%s: \"%s\" is not a gate (correctness, tsan, "
					"helgrind, leaks, throughput) with an object", where, name), -1;
		json_object_foreach(gate, key, v) {
			bool fine = is_note(key) ||
				(!strcmp(key, "mode") && one_of(json_string_value(v), modes)) ||
				(!strcmp(key, "visibility") && one_of(json_string_value(v), visibilities)) ||
				(!strcmp(key, "weight") && json_is_number(v) && json_number_value(v) >= 0);

			if (!fine)
				return snprintf(why, size, "%s.%s: \"%s\" is unknown or has a wrong "
						"value", where, name, key), -1;
			if (!strcmp(name, "correctness") && !strcmp(key, "mode") &&
			    !strcmp(json_string_value(v), "off"))
				return snprintf(why, size, "%s.correctness: cannot be off (the "
						"other gates count only once it passes; "
						"\"feedback\" is allowed)", where), -1;
		}
	}
	return 0;
}

static int check_chapters(json_t *chapters, char *why, size_t size)
{
	const char *id, *key;
	json_t *ch, *v;
	char where[160];

	json_object_foreach(chapters, id, ch) {
		snprintf(where, sizeof(where), "chapters.%s", id);
		if (!json_is_object(ch))
			return snprintf(why, size, "%s: an object is expected", where), -1;
		json_object_foreach(ch, key, v) {
			if (is_note(key))
				continue;
			if (!strcmp(key, "weight") && json_is_number(v) && json_number_value(v) >= 0)
				continue;
			if (!strcmp(key, "gates") && json_is_object(v)) {
				if (check_gates(v, where, why, size) != 0)
					return -1;
				continue;
			}
			return snprintf(why, size, "%s.%s: unknown, or a wrong value", where, key), -1;
		}
	}
	return 0;
}

static int check_throughput(json_t *t, char *why, size_t size)
{
	static const char *const inconclusive[] = { "measured", "full", NULL };
	const char *key;
	json_t *v;

	json_object_foreach(t, key, v) {
		bool fine = is_note(key) ||
			(!strcmp(key, "target") && json_is_number(v) && json_number_value(v) > 0 &&
			 json_number_value(v) <= 1.5) ||
			(!strcmp(key, "trials") && json_is_integer(v) && json_integer_value(v) >= 1 &&
			 json_integer_value(v) <= 5) ||
			(!strcmp(key, "inconclusive") && one_of(json_string_value(v), inconclusive));

		if (!fine)
			return snprintf(why, size, "throughput.%s: unknown, or a wrong value (target "
					"0-1.5, trials 1-5, inconclusive measured/full)", key), -1;
	}
	return 0;
}

static int check_assignments(json_t *a, char *why, size_t size)
{
	const char *name;
	json_t *list, *ch;
	size_t i;

	json_object_foreach(a, name, list) {
		if (!json_is_array(list) || json_array_size(list) == 0)
			return snprintf(why, size, "assignments.%s: a list of chapters is expected",
					name), -1;
		json_array_foreach(list, i, ch)
			if (!json_is_string(ch))
				return snprintf(why, size, "assignments.%s: chapters are strings "
						"(\"03\" or \"03-worker-pool\")", name), -1;
	}
	return 0;
}

static int check_policy(json_t *root, char *why, size_t size)
{
	static const char *const rules[] = { "gated", "independent", NULL };
	static const char *const hidden[] = { "after_published", "hidden", NULL };
	const char *key;
	json_t *v;

	if (!json_is_object(root))
		return snprintf(why, size, "the policy is a JSON object"), -1;
	json_object_foreach(root, key, v) {
		int r = 0;

		if (is_note(key))
			continue;
		if (!strcmp(key, "assignments") && json_is_object(v))
			r = check_assignments(v, why, size);
		else if (!strcmp(key, "gates") && json_is_object(v))
			r = check_gates(v, "gates", why, size);
		else if (!strcmp(key, "chapters") && json_is_object(v))
			r = check_chapters(v, why, size);
		else if (!strcmp(key, "throughput") && json_is_object(v))
			r = check_throughput(v, why, size);
		else if (!(!strcmp(key, "partial_credit") && one_of(json_string_value(v), rules)) &&
			 !(!strcmp(key, "hidden_visibility") && one_of(json_string_value(v), hidden)))
			return snprintf(why, size, "\"%s\": unknown, or a wrong value", key), -1;
		if (r != 0)
			return -1;
	}
	return 0;
}

int course_load(const char *path, char *why, size_t size)
{
	json_error_t error;
	json_t *root;
	char reason[512];

	json_decref(policy);
	policy = NULL;
	free(policy_path);
	policy_path = NULL;
	if (!path)
		return 0;
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &error);
	if (!root) {
		snprintf(why, size, "%s:%d:%d: %s", path, error.line, error.column, error.text);
		return -1;
	}
	if (check_policy(root, reason, sizeof(reason)) != 0) {
		snprintf(why, size, "%s: %s", path, reason);
		json_decref(root);
		return -1;
	}
	policy = root;
	policy_path = xstrdup(path);
	return 0;
}

const char *course_path(void)
{
	return policy_path;
}

/* True when key ("03", "3" or "03-worker-pool") names chapter id. */
static bool names_chapter(const char *key, const char *id)
{
	char *end;
	long n = strtol(key, &end, 10);

	if (strcmp(key, id) == 0)
		return true;
	return end != key && *end == '\0' && n == strtol(id, NULL, 10);
}

static json_t *chapter_policy(const char *id)
{
	const char *key;
	json_t *ch;

	json_object_foreach(json_object_get(policy, "chapters"), key, ch)
		if (names_chapter(key, id))
			return ch;
	return NULL;
}

/* The value of gate g's key: the chapter's, else the course's, else NULL. */
static json_t *gate_setting(const char *id, enum gate g, const char *key)
{
	json_t *ch = json_object_get(json_object_get(chapter_policy(id), "gates"), gate_name(g));
	json_t *v = json_object_get(ch, key);

	if (v)
		return v;
	return json_object_get(json_object_get(json_object_get(policy, "gates"), gate_name(g)),
			       key);
}

enum course_mode course_mode(const char *id, enum gate g)
{
	const char *mode = json_string_value(gate_setting(id, g, "mode"));

	if (mode && strcmp(mode, "off") == 0)
		return COURSE_OFF;
	if (mode && strcmp(mode, "feedback") == 0)
		return COURSE_FEEDBACK;
	return COURSE_SCORED;
}

const char *course_visibility(const char *id, enum gate g)
{
	const char *v = json_string_value(gate_setting(id, g, "visibility"));

	return v ? v : "visible";
}

const char *course_hidden_visibility(void)
{
	const char *v = json_string_value(json_object_get(policy, "hidden_visibility"));

	return v ? v : "after_published";
}

char *course_assignment(const char *name)
{
	json_t *list = json_object_get(json_object_get(policy, "assignments"), name), *ch;
	char *out = NULL, *grown;
	size_t i;

	json_array_foreach(list, i, ch) {
		grown = xasprintf("%s%s%s", out ? out : "", out ? " " : "", json_string_value(ch));
		free(out);
		out = grown;
	}
	return out;
}

static json_t *throughput_setting(const char *key)
{
	return json_object_get(json_object_get(policy, "throughput"), key);
}

double course_throughput_target(void)
{
	json_t *v = throughput_setting("target");

	return v ? json_number_value(v) : DEFAULT_TARGET;
}

int course_throughput_trials(void)
{
	json_t *v = throughput_setting("trials");

	return v ? (int)json_integer_value(v) : DEFAULT_TRIALS;
}

enum course_inconclusive course_inconclusive(void)
{
	const char *v = json_string_value(throughput_setting("inconclusive"));

	if (v && strcmp(v, "full") == 0)
		return INCONCLUSIVE_FULL;
	return INCONCLUSIVE_MEASURED;
}

static double weight_of(json_t *v)
{
	return v ? json_number_value(v) : 1.0;
}

/* Rescores one gate; base_max is its maximum before the policy. */
static void score_gate(struct chapter_result *c, enum gate i, bool correct)
{
	struct gate_result *g = &c->gates[i];
	enum course_mode mode = course_mode(c->id, i);
	bool independent = (json_is_string(json_object_get(policy, "partial_credit")) &&
			    strcmp(json_string_value(json_object_get(policy, "partial_credit")),
				   "independent") == 0) ||
			   course_mode(c->id, GATE_CORRECTNESS) == COURSE_OFF;
	int base_max = g->max_score;
	double share, weight = weight_of(json_object_get(chapter_policy(c->id), "weight")) *
			       weight_of(gate_setting(c->id, i, "weight"));

	if (mode == COURSE_OFF) {
		g->applies = false;
		g->score = g->max_score = 0;
		return;
	}
	if (independent && i != GATE_CORRECTNESS && correct)
		share = base_max ? (double)g->score / base_max : 0;
	else if (independent && i != GATE_CORRECTNESS)
		share = g->tool_passed ? 1 : g->fraction;
	else
		share = base_max ? (double)g->score / base_max : 0;
	g->max_score = mode == COURSE_FEEDBACK ? 0 : (int)lround(base_max * weight);
	g->score = (int)floor(share * g->max_score + 1e-9);
	if (mode == COURSE_FEEDBACK && g->summary && !strstr(g->summary, "[feedback only"))
		gate_set_summary(g, "%s [feedback only: no points]", g->summary);
}

void course_score_gate(struct chapter_result *c, enum gate i)
{
	if (policy && c->gates[i].applies)
		score_gate(c, i, c->gates[GATE_CORRECTNESS].tool_passed);
}

void course_throughput_target_apply(struct gate_result *g)
{
	double target = course_throughput_target();
	json_t *f = g->figures;

	if (!policy || fabs(target - DEFAULT_TARGET) < 1e-9 || !f ||
	    !json_is_true(json_object_get(f, "valid")) ||
	    !json_object_get(f, "reference_efficiency"))
		return;
	g->fraction = throughput_fraction(
		json_number_value(json_object_get(f, "efficiency")),
		json_number_value(json_object_get(f, "floor_efficiency")),
		json_number_value(json_object_get(f, "reference_efficiency")) * target);
	g->tool_passed = g->fraction >= 1;
	json_object_set_new(f, "target_share", json_real(target));
}
