/*
 * test_pointer_values.c - the policy refuses code that reads an address as a
 * number (the way a program could tell a race tool's allocator or stacks
 * from the plain ones), and leaves ordinary pointer code alone
 *
 * Each case is a small C file read by clang, as the grader reads a learner's
 * file; the refused cases are the ways red-team attacks and textbooks turn
 * an address into a number.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect.h"

/* The refusal scan_pointer_values gives for `code`, or NULL. */
static char *scan(const char *code)
{
	char path[] = "/tmp/tc-pointer-valuesXXXXXX.c", *command, *dump = NULL, *message;
	size_t size = 0;
	int fd = mkstemps(path, 2);
	FILE *pipe;

	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, code, strlen(code)), (ssize_t)strlen(code));
	close(fd);
	cr_assert(asprintf(&command, "clang -std=gnu11 -fsyntax-only -w -fno-color-diagnostics "
			   "-Xclang -ast-dump %s", path) > 0);
	pipe = popen(command, "r");
	cr_assert(pipe);
	{
		FILE *out = open_memstream(&dump, &size);
		char buf[65536];
		size_t n;

		while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0)
			fwrite(buf, 1, n, out);
		fclose(out);
	}
	cr_assert_eq(pclose(pipe), 0, "clang could not read:\n%s", code);
	message = scan_pointer_values(dump, path, "learner.c");
	free(dump);
	free(command);
	unlink(path);
	return message;
}

static void assert_refused(const char *code, const char *line, const char *why)
{
	char *message = scan(code);

	cr_assert(message, "not refused:\n%s", code);
	cr_expect(strstr(message, line), "wrong line in \"%s\"", message);
	cr_expect(strstr(message, why), "wrong reason in \"%s\"", message);
	free(message);
}

Test(pointer_values, refuses_a_pointer_read_as_a_number)
{
	assert_refused("#include <stdint.h>\n"
		       "int tool(void *p)\n{\n\treturn (uintptr_t)p >= 0x7b0000000000ULL;\n}\n",
		       "learner.c:4:", "pointer to an integer");
	assert_refused("#include <stdint.h>\nint f(void *p)\n{\n\tuintptr_t x = p;\n"
		       "\treturn x > 5;\n}\n", "learner.c:4:", "pointer to an integer");
	assert_refused("int f(void *arg)\n{\n\treturn (int)(long)arg;\n}\n", "learner.c:3:",
		       "pointer to an integer");
}

Test(pointer_values, refuses_an_address_made_from_a_number)
{
	assert_refused("int f(char *p)\n{\n\treturn p < (char *)0x100000000ULL;\n}\n",
		       "learner.c:3:", "integer to a pointer");
	assert_refused("#include <stdint.h>\nvoid *f(int i)\n{\n\treturn (void *)(intptr_t)i;\n}\n",
		       "learner.c:4:", "integer to a pointer");
}

Test(pointer_values, refuses_a_pointers_bytes_read_as_numbers)
{
	assert_refused("int f(void *p)\n{\n\tunsigned long *n = (unsigned long *)&p;\n"
		       "\treturn *n > 5;\n}\n", "learner.c:3:", "bytes as numbers");
	assert_refused("int f(void *p)\n{\n\treturn ((const unsigned char *)&p)[5];\n}\n",
		       "learner.c:3:", "bytes as numbers");
	assert_refused("union view {\n\tvoid *p;\n\tunsigned long n;\n};\n"
		       "int f(void *p)\n{\n\tunion view v = { .p = p };\n\treturn v.n > 5;\n}\n",
		       "learner.c:1:", "union of a pointer and a number");
}

Test(pointer_values, refuses_the_distance_between_two_pointers)
{
	assert_refused("#include <stdlib.h>\nint f(void)\n{\n\tchar *a = malloc(1000), *b = malloc(1000);\n"
		       "\treturn b - a == 1008;\n}\n", "learner.c:5:", "subtracts two pointers");
	assert_refused("#include <string.h>\nint f(void *p)\n{\n\tunsigned long u;\n\n"
		       "\tmemcpy(&u, &p, sizeof(u));\n\treturn u > 5;\n}\n", "learner.c:6:",
		       "copies or compares a pointer's bytes");
}

Test(pointer_values, refuses_percent_p)
{
	assert_refused("#include <stdio.h>\nint f(void *p)\n{\n\tchar b[32];\n\n"
		       "\tsnprintf(b, sizeof(b), \"%#18p\", p);\n\treturn b[2];\n}\n",
		       "learner.c:6:", "%p");
}

Test(pointer_values, leaves_ordinary_pointer_code_alone)
{
	char *message = scan(
		"#include <signal.h>\n#include <stddef.h>\n#include <stdio.h>\n"
		"struct job { void *data; long n; };\n"
		"union cell { struct job job; int ids[4]; };\n"
		"union number { int i; long l; };\n"
		"static void *worker(void *arg)\n{\n\tstruct job *j = arg;\n\n\treturn j->data;\n}\n"
		"int f(void **out, char *buf, char *end, struct job *a, struct job *b)\n{\n"
		"\tvoid *p = NULL, *item = (void *)0;\n\tptrdiff_t used = end[-1] + buf[1];\n\n"
		"\tif (!p || a < b)\n\t\tout = (void **)&item;\n"
		"\tprintf(\"%d%% %zu %s\\n\", 5, (size_t)used, \"p\");\n"
		"\tsignal(SIGPIPE, SIG_IGN);\n"
		"\treturn worker(&item) == NULL && ((unsigned char *)buf)[0] && out;\n}\n");

	cr_expect_null(message, "refused: %s", message);
	free(message);
}
