/*
 * main.c - build/bin/learn: the learner's commands, as the Makefile calls them.
 *
 *   learn record REPORT.json        merge a grading into progress (make grade)
 *   learn progress                  the progress table (make progress / list)
 *   learn hint CH                   the next hint tier (make hint)
 *   learn reset CH                  the starter back (make reset)
 *   learn interview CH [MINUTES]    interview mode (make interview)
 *   learn blank CH                  print the blank implementation of CH's header
 *   learn clock [CH]                the interview clock, when one is on
 *   learn watch [CH] [--stay]       re-grade on save (make watch)
 *   learn compile-commands [FILE]   compile_commands.json (make compile-commands)
 *   learn export DIR                the classroom template (make classroom-template)
 *
 * Run from the workbook's root (the Makefile's folder).
 */
#define _GNU_SOURCE
#include "learn.h"

#include <stdio.h>
#include <string.h>

static int usage(void)
{
	fprintf(stderr, "usage: learn record REPORT | progress | hint CH | reset CH | interview CH [MINUTES]\n"
			"       learn blank CH | clock [CH] | watch [CH] [--stay] | compile-commands [FILE] | export DIR\n");
	return 2;
}

/* The chapter argument; prints the usage when it is missing. */
static bool chapter_arg(int argc, char **argv, const char *what, struct chapter *ch)
{
	if (argc < 3 || !*argv[2]) {
		fprintf(stderr, "usage: make %s CH=NN (for example CH=03)\n", what);
		return false;
	}
	return book_find(argv[2], ch);
}

int main(int argc, char **argv)
{
	struct chapter ch;
	const char *cmd = argc > 1 ? argv[1] : "";

	if (strcmp(cmd, "record") == 0) {
		reset_remember_base();
		return argc > 2 && progress_record(argv[2], argc > 3 && strcmp(argv[3], "--quiet") == 0) == 0 ? 0 : 1;
	}
	if (strcmp(cmd, "progress") == 0) {
		reset_remember_base();
		return progress_show();
	}
	if (strcmp(cmd, "hint") == 0) {
		reset_remember_base();
		return chapter_arg(argc, argv, "hint", &ch) && hint_next(&ch) == 0 ? 0 : 1;
	}
	if (strcmp(cmd, "reset") == 0) {
		reset_remember_base();
		return chapter_arg(argc, argv, "reset", &ch) && reset_chapter(&ch) == 0 ? 0 : 1;
	}
	if (strcmp(cmd, "interview") == 0) {
		reset_remember_base();
		return chapter_arg(argc, argv, "interview", &ch) &&
		       interview_start(&ch, argc > 3 && *argv[3] ? atoi(argv[3]) : 45) == 0 ? 0 : 1;
	}
	if (strcmp(cmd, "blank") == 0) {
		char *text;

		if (!chapter_arg(argc, argv, "interview", &ch) || interview_blank(&ch, &text) != 0)
			return 1;
		fputs(text, stdout);
		free(text);
		return 0;
	}
	if (strcmp(cmd, "clock") == 0) {
		interview_clock(argc > 2 && *argv[2] ? argv[2] : NULL);
		return 0;
	}
	if (strcmp(cmd, "watch") == 0) {
		const char *name = NULL;
		bool stay = false;

		reset_remember_base();
		for (int i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--stay") == 0)
				stay = true;
			else if (*argv[i])
				name = argv[i];
		}
		return watch_run(name, stay);
	}
	if (strcmp(cmd, "compile-commands") == 0)
		return editor_compile_commands(argc > 2 ? argv[2] : "compile_commands.json") == 0 ? 0 : 1;
	if (strcmp(cmd, "export") == 0)
		return export_template(argc > 2 ? argv[2] : NULL) == 0 ? 0 : 1;
	return usage();
}
