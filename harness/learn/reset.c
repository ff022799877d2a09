/*
 * reset.c - make reset CH=NN: the starter back, the learner's file kept.
 *
 * Where the starter comes from: git, at the commit the learner started from.
 * Not simply HEAD: a learner who commits their work (a Classroom repository
 * is made for exactly that) moves HEAD, and HEAD's copy of the file is then
 * their own code. So the first learn command run in a clone (make grade,
 * watch, hint, ...) writes HEAD's id into .threadclinic/base; that is the
 * template or upstream commit, since a learner runs make grade before
 * committing anything. A chapter that commit does not have (added by a later
 * pull) comes from HEAD. No copy of the starters is kept beside them: git
 * already has every version, and a second copy could drift.
 *
 * After an interview of the chapter, reset restores the learner's own file
 * as it was when the interview began (the interview's backup) instead.
 */
#define _GNU_SOURCE
#include "learn.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BASE_FILE STATE_DIR "/base"

/* Runs cmd, returns its whole stdout (caller frees) or NULL when it fails. */
static char *capture(const char *cmd, size_t *len)
{
	FILE *f = popen(cmd, "r");
	char *buf;

	if (!f)
		return NULL;
	buf = read_stream(f, len);
	if (pclose(f) != 0 || !buf) {
		free(buf);
		return NULL;
	}
	return buf;
}

void reset_remember_base(void)
{
	char *head;

	if (access(BASE_FILE, F_OK) == 0 || access(".git", F_OK) != 0)
		return;
	head = capture("git rev-parse --verify -q HEAD 2>/dev/null", NULL);
	if (head && strlen(head) >= 40 && make_dirs(STATE_DIR) == 0)
		write_text(BASE_FILE, head, strlen(head));
	free(head);
}

/* The starter of ch from git into *text; names the commit in rev. */
static int starter_from_git(const struct chapter *ch, char **text, size_t *len, char *rev, size_t size)
{
	char cmd[1024], *base = read_text(BASE_FILE, NULL);
	const char *revs[2] = { base, "HEAD" };

	if (strchr(ch->source, '\'')) {
		free(base);
		return -1;
	}
	if (base)
		base[strcspn(base, "\n")] = '\0';
	for (int i = 0; i < 2; i++) {
		if (!revs[i] || !*revs[i])
			continue;
		snprintf(cmd, sizeof(cmd), "git show '%s:%s' 2>/dev/null", revs[i], ch->source);
		*text = capture(cmd, len);
		if (*text) {
			snprintf(rev, size, "%.12s", revs[i]);
			free(base);
			return 0;
		}
	}
	free(base);
	return -1;
}

int reset_chapter(const struct chapter *ch)
{
	json_t *iv = json_load_file(INTERVIEW_FILE, 0, NULL);
	const char *interview_backup = NULL;
	char saved[1024], rev[64], *text = NULL;
	size_t len = 0;

	if (iv && strcmp(json_string_value(json_object_get(iv, "chapter")) ?: "", ch->id) == 0)
		interview_backup = json_string_value(json_object_get(iv, "backup"));
	if (interview_backup) {
		text = read_text(interview_backup, &len);
		if (!text) {
			fprintf(stderr, "reset: the interview's backup %s is gone\n", interview_backup);
			json_decref(iv);
			return -1;
		}
	} else if (starter_from_git(ch, &text, &len, rev, sizeof(rev)) != 0) {
		fprintf(stderr, "reset: cannot read the starter of %s from git "
			"(is this a git clone of the workbook?)\n", ch->source);
		json_decref(iv);
		return -1;
	}
	if (backup_file(ch->source, ch, NULL, saved, sizeof(saved)) != 0) {
		fprintf(stderr, "reset: cannot back up %s; nothing changed\n", ch->source);
		free(text);
		json_decref(iv);
		return -1;
	}
	if (write_text(ch->source, text, len) != 0) {
		fprintf(stderr, "reset: cannot write %s\n", ch->source);
		free(text);
		json_decref(iv);
		return -1;
	}
	printf("your file is kept as %s\n", saved);
	if (interview_backup) {
		printf("%s is back as it was before the interview (from %s); the interview is over\n",
		       ch->source, interview_backup);
		unlink(INTERVIEW_FILE);
	} else {
		printf("%s is the starter again (git, commit %s)\n", ch->source, rev);
	}
	free(text);
	json_decref(iv);
	return 0;
}
