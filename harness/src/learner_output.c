#define _GNU_SOURCE
#include "learner_output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARK "\036tc-output "

/* Skips a terminal escape sequence starting at p (ESC); returns its end. */
static const char *skip_escape(const char *p, const char *end)
{
	p++;
	if (p < end && *p == '[') {		/* CSI: parameters, then a final byte */
		for (p++; p < end && !(*p >= 0x40 && *p <= 0x7e); p++)
			;
		return p < end ? p + 1 : end;
	}
	if (p < end && *p == ']') {		/* OSC: up to BEL or ESC \ */
		for (p++; p < end && *p != '\a' && *p != '\033'; p++)
			;
		if (p < end && *p == '\033' && p + 1 < end)
			p++;
		return p < end ? p + 1 : end;
	}
	return p < end ? p + 1 : end;		/* two-byte sequences */
}

/* Appends text[0..len) to out, cleaned: no control characters, no escapes. */
static void put_clean(FILE *out, const char *text, const char *end)
{
	for (const char *p = text; p < end;) {
		unsigned char c = (unsigned char)*p;

		if (c == '\033') {
			p = skip_escape(p, end);
		} else if (c == '\t') {
			fputs("    ", out);
			p++;
		} else if (c < 0x20 || c == 0x7f) {
			p++;
		} else if (c == 0xc2 && p + 1 < end && (unsigned char)p[1] >= 0x80 &&
			   (unsigned char)p[1] <= 0x9f) {
			p += 2;			/* C1 controls in UTF-8 (U+0080..U+009F) */
		} else {
			fputc(c, out);
			p++;
		}
	}
}

/* The span of output between scenario index's begin and end marks. */
static bool find_share(const char *output, size_t index, const char **from, const char **to)
{
	char begin[48];
	const char *b, *e;

	snprintf(begin, sizeof(begin), MARK "begin %zu\036\n", index);
	b = strstr(output, begin);
	if (!b)
		return false;
	b += strlen(begin);
	e = strstr(b, MARK);	/* its end mark, or the next one's begin */
	*from = b;
	*to = e ? e : b + strlen(b);
	/* The harness's own newline before each mark is not the learner's. */
	if (*to > *from && (*to)[-1] == '\n')
		(*to)--;
	return true;
}

bool learner_output_has(const char *output, size_t index, const char *text)
{
	const char *from, *to;

	return output && find_share(output, index, &from, &to) &&
	       memmem(from, (size_t)(to - from), text, strlen(text)) != NULL;
}

char *learner_output_of(const char *output, size_t index, size_t max_lines,
			size_t max_bytes, size_t *more)
{
	const char *from, *to;
	char *text = NULL;
	size_t len = 0, lines = 0, bytes = 0;
	FILE *out;

	*more = 0;
	if (!output || !find_share(output, index, &from, &to) || from == to)
		return NULL;
	out = open_memstream(&text, &len);
	if (!out)
		return NULL;
	while (from < to) {
		const char *nl = memchr(from, '\n', (size_t)(to - from));
		const char *end = nl ? nl : to;

		if ((max_lines && lines >= max_lines) ||
		    (max_bytes && bytes + (size_t)(end - from) > max_bytes && lines > 0)) {
			(*more)++;
		} else {
			fputs("  | ", out);
			put_clean(out, from, max_bytes && (size_t)(end - from) > max_bytes ?
				  from + max_bytes : end);
			fputc('\n', out);
			lines++;
			bytes += (size_t)(end - from);
		}
		from = nl ? nl + 1 : to;
	}
	fclose(out);
	return text;
}

void learner_output_add(struct gate_result *g, const char *output, size_t index, bool all)
{
	size_t more;
	char *text = learner_output_of(output, index, all ? 0 : LEARNER_OUTPUT_LINES,
				       all ? 0 : LEARNER_OUTPUT_BYTES, &more);

	if (!text)
		return;
	gate_add_detail(g, "  your program printed:");
	/* gate_add_detail adds the last newline itself. */
	if (*text)
		text[strlen(text) - 1] = '\0';
	gate_add_detail(g, "%s", text);
	if (more)
		gate_add_detail(g, "  | ... and %zu more line%s (VERBOSE=1 shows all of it)", more,
				more == 1 ? "" : "s");
	free(text);
}

void learner_output_strip_marks(char *text)
{
	char *out = text;

	for (char *p = text; *p;) {
		if (strncmp(p, "\n" MARK, strlen(MARK) + 1) == 0) {
			char *end = strchr(p + strlen(MARK) + 1, '\036');

			if (end && end[1] == '\n') {
				p = end + 2;
				continue;
			}
		}
		*out++ = *p++;
	}
	*out = '\0';
}
