#define _GNU_SOURCE
#include "manifest.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

const char *const manifest_gate_names[] = {
	"correctness", "tsan", "helgrind", "leaks", "throughput", NULL,
};

/* The keys a manifest has; any other key is a mistake (a typo, most likely). */
static const char *const top_keys[] = {
	"id", "title", "lesson", "module", "scenarios", "bench", "solution", "zoo",
	"leaks_gate", "atomics", "throughput", "starter", NULL,
};
static const char *const module_keys[] = { "sources", "headers", NULL };
static const char *const throughput_keys[] = { "target_efficiency", "trials", NULL };
static const char *const starter_keys[] = { "loses", "may_lose", "symptoms", "passes", "vacuous", NULL };

struct reader {
	const char *path;
	char *error;
	size_t size;
	bool failed;
};

static void fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	int used;

	if (r->failed)
		return;
	r->failed = true;
	used = snprintf(r->error, r->size, "%s: ", r->path);
	if (used < 0 || (size_t)used >= r->size)
		return;
	va_start(ap, fmt);
	vsnprintf(r->error + used, r->size - (size_t)used, fmt, ap);
	va_end(ap);
}

bool manifest_lists(char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

static bool known(const char *const *names, const char *name)
{
	for (size_t i = 0; names[i]; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* Fails on a key of obj that is not in keys. */
static void only_keys(struct reader *r, json_t *obj, const char *where,
		      const char *const *keys)
{
	const char *key;
	json_t *value;

	json_object_foreach(obj, key, value)
		if (!known(keys, key))
			fail(r, "unknown key \"%s\"%s%s", key, where[0] ? " in " : "", where);
}

static json_t *object(struct reader *r, json_t *parent, const char *key)
{
	json_t *v = json_object_get(parent, key);

	if (!json_is_object(v))
		fail(r, "\"%s\" must be an object", key);
	return json_is_object(v) ? v : NULL;
}

/* A non-empty string field, copied; NULL (and a failure) otherwise. */
static char *text(struct reader *r, json_t *parent, const char *key)
{
	json_t *v = json_object_get(parent, key);

	if (!json_is_string(v) || json_string_length(v) == 0) {
		fail(r, "\"%s\" must be a non-empty string", key);
		return NULL;
	}
	return xstrdup(json_string_value(v));
}

/* An array of non-empty strings; gates: each must be a gate name. */
static char **strings(struct reader *r, json_t *parent, const char *key, bool gates,
		      bool allow_empty, size_t *n)
{
	json_t *v = json_object_get(parent, key), *item;
	char **list;
	size_t i;

	*n = 0;
	if (!json_is_array(v) || (!allow_empty && json_array_size(v) == 0)) {
		fail(r, "\"%s\" must be a%s array of strings", key, allow_empty ? "n" :
		     " non-empty");
		return NULL;
	}
	list = xcalloc(json_array_size(v) + 1, sizeof(*list));
	json_array_foreach(v, i, item) {
		const char *s = json_string_value(item);

		if (!s || !*s) {
			fail(r, "\"%s\"[%zu] must be a non-empty string", key, i);
			break;
		}
		if (gates && !known(manifest_gate_names, s)) {
			fail(r, "\"%s\" names \"%s\", which is not a gate", key, s);
			break;
		}
		list[(*n)++] = xstrdup(s);
	}
	return list;
}

/* "symptoms": { "gate": ["text", ...], ... } */
static void read_symptoms(struct reader *r, json_t *starter, struct chapter_manifest *m)
{
	json_t *v = json_object_get(starter, "symptoms"), *texts, *item;
	const char *gate;
	size_t total = 0, i;

	if (!json_is_object(v)) {
		fail(r, "\"symptoms\" must be an object: gate -> array of texts");
		return;
	}
	json_object_foreach(v, gate, texts)
		total += json_array_size(texts);
	m->symptoms = xcalloc(total + 1, sizeof(*m->symptoms));
	json_object_foreach(v, gate, texts) {
		if (!known(manifest_gate_names, gate) ||
		    !(manifest_lists(m->loses, m->nloses, gate) ||
		      manifest_lists(m->may_lose, m->nmay_lose, gate))) {
			fail(r, "symptoms of \"%s\", a gate the starter does not lose", gate);
			return;
		}
		if (!json_is_array(texts) || json_array_size(texts) == 0) {
			fail(r, "symptoms of \"%s\" must be a non-empty array of texts", gate);
			return;
		}
		json_array_foreach(texts, i, item) {
			struct manifest_symptom *s = &m->symptoms[m->nsymptoms];

			if (!json_is_string(item) || json_string_length(item) == 0) {
				fail(r, "symptoms of \"%s\"[%zu] must be a non-empty string", gate, i);
				return;
			}
			s->gate = xstrdup(gate);
			s->text = xstrdup(json_string_value(item));
			m->nsymptoms++;
		}
	}
}

static void read_throughput(struct reader *r, json_t *root, struct chapter_manifest *m)
{
	json_t *t = object(r, root, "throughput");
	json_t *eff = json_object_get(t, "target_efficiency");
	json_t *trials = json_object_get(t, "trials");

	if (!t)
		return;
	only_keys(r, t, "\"throughput\"", throughput_keys);
	if (!json_is_number(eff) || json_number_value(eff) <= 0 || json_number_value(eff) > 1)
		fail(r, "\"target_efficiency\" must be a number in (0, 1]");
	else
		m->target_efficiency = json_number_value(eff);
	if (!json_is_integer(trials) || json_integer_value(trials) < 1 ||
	    json_integer_value(trials) > 15 || json_integer_value(trials) % 2 == 0)
		fail(r, "\"trials\" must be an odd integer from 1 to 15 (a clean median)");
	else
		m->trials = (unsigned)json_integer_value(trials);
}

static void read_starter(struct reader *r, json_t *root, struct chapter_manifest *m)
{
	json_t *s = object(r, root, "starter");

	if (!s)
		return;
	only_keys(r, s, "\"starter\"", starter_keys);
	m->loses = strings(r, s, "loses", true, false, &m->nloses);
	m->may_lose = strings(r, s, "may_lose", true, true, &m->nmay_lose);
	if (json_object_get(s, "passes"))
		m->starter_passes = strings(r, s, "passes", false, true, &m->nstarter_passes);
	if (json_object_get(s, "vacuous"))
		m->vacuous = strings(r, s, "vacuous", false, true, &m->nvacuous);
	if (!r->failed && manifest_lists(m->loses, m->nloses, "leaks") && !m->leaks_gate)
		fail(r, "the starter \"loses\" leaks, but \"leaks_gate\" is false");
	if (!r->failed)
		read_symptoms(r, s, m);
	for (size_t i = 0; !r->failed && i < m->nloses; i++) {
		bool declared = false;

		for (size_t k = 0; k < m->nsymptoms; k++)
			declared = declared || strcmp(m->symptoms[k].gate, m->loses[i]) == 0;
		if (!declared)
			fail(r, "no symptom declared for \"%s\", a gate the starter loses",
			     m->loses[i]);
	}
}

static void read_fields(struct reader *r, json_t *root, const char *expected_id,
			struct chapter_manifest *m)
{
	json_t *module, *leaks = json_object_get(root, "leaks_gate");
	json_t *atomics = json_object_get(root, "atomics");

	only_keys(r, root, "", top_keys);
	m->id = text(r, root, "id");
	if (m->id && expected_id && strcmp(m->id, expected_id) != 0)
		fail(r, "\"id\" is \"%s\", but the file is named for \"%s\"", m->id, expected_id);
	m->title = text(r, root, "title");
	m->lesson = text(r, root, "lesson");
	m->scenarios = text(r, root, "scenarios");
	m->bench = text(r, root, "bench");
	m->solution = text(r, root, "solution");
	m->zoo = text(r, root, "zoo");
	module = object(r, root, "module");
	if (module) {
		only_keys(r, module, "\"module\"", module_keys);
		m->sources = strings(r, module, "sources", false, false, &m->nsources);
		m->headers = strings(r, module, "headers", false, false, &m->nheaders);
	}
	if (!json_is_boolean(leaks))
		fail(r, "\"leaks_gate\" must be true or false");
	m->leaks_gate = json_is_true(leaks);
	if (atomics && !json_is_boolean(atomics))
		fail(r, "\"atomics\" must be true or false");
	m->atomics = !atomics || json_is_true(atomics);
	read_throughput(r, root, m);
	read_starter(r, root, m);
}

bool manifest_load(const char *path, const char *expected_id, struct chapter_manifest *m,
		   char *error, size_t size)
{
	struct reader r = { path, error, size, false };
	json_error_t jerr;
	json_t *root;

	memset(m, 0, sizeof(*m));
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (jerr.line < 0)
			fail(&r, "cannot read it (%s)", jerr.text);
		else
			fail(&r, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
		return false;
	}
	if (!json_is_object(root))
		fail(&r, "must hold one JSON object");
	else
		read_fields(&r, root, expected_id, m);
	json_decref(root);
	m->path = r.failed ? NULL : xstrdup(path);
	if (r.failed)
		manifest_free(m);
	return !r.failed;
}

static void free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void manifest_free(struct chapter_manifest *m)
{
	if (!m)
		return;
	free(m->path);
	free(m->id);
	free(m->title);
	free(m->lesson);
	free(m->scenarios);
	free(m->bench);
	free(m->solution);
	free(m->zoo);
	free_list(m->sources, m->nsources);
	free_list(m->headers, m->nheaders);
	free_list(m->loses, m->nloses);
	free_list(m->may_lose, m->nmay_lose);
	free_list(m->starter_passes, m->nstarter_passes);
	free_list(m->vacuous, m->nvacuous);
	for (size_t i = 0; i < m->nsymptoms; i++) {
		free(m->symptoms[i].gate);
		free(m->symptoms[i].text);
	}
	free(m->symptoms);
	memset(m, 0, sizeof(*m));
}

char *manifest_path(const char *root, const char *id)
{
	return xasprintf("%s/harness/manifests/%s.json", root, id);
}
