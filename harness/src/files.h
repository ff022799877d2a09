/*
 * files.h - the grader's file helpers: reads that are bounded, never block
 * and never follow a link, and whole directory trees
 *
 * Thread-safe: no shared state (remove_tree() uses nftw(), which is).
 */
#ifndef GRADER_FILES_H
#define GRADER_FILES_H

#include <stdbool.h>
#include <stddef.h>

/* Removes a directory tree (like rm -rf). */
void remove_tree(const char *path);

/* Creates a directory and its parents (like mkdir -p); 0 or an errno. */
int make_dirs(const char *path);

/*
 * Opens path for reading without following a link or blocking on a FIFO;
 * returns the descriptor of a regular file (the caller closes it), or -1
 * (errno says why: ELOOP for a link, EINVAL for anything not regular).
 */
int open_regular(const char *path);

/*
 * Reads up to cap bytes of fd from its current offset; *got gets how many.
 * Returns a malloc'd, NUL-terminated buffer of cap + 1 bytes.
 */
char *read_bounded(int fd, size_t cap, size_t *got);

/*
 * The first cap bytes of a regular file as a malloc'd string, or NULL. Never
 * blocks and never follows a link: a FIFO, a device or a symbolic link
 * where a file should be reads as missing.
 */
char *read_text(const char *path, size_t cap);

/*
 * Whether a folder on the way from base (included) down to path is a
 * symbolic link: then returns a malloc'd copy of the first such folder's
 * path, else NULL. path must be base or below it (otherwise every folder
 * of path is checked). Used so that a submission's links (to a classmate's
 * folder, to solutions/) are refused, not followed. Thread-safe.
 */
char *first_link_on_path(const char *base, const char *path);

/*
 * The names in folder dir that keep(dirfd, name) accepts ("." and ".." are
 * never offered), sorted by strcmp, in a NULL-ended array of strings the
 * caller frees (each name, then the array); *n, when not NULL, gets their
 * number. NULL when dir cannot be opened (errno says why). keep may look
 * at the entry through dirfd (fstatat). Thread-safe.
 */
char **list_names(const char *dir, bool (*keep)(int dirfd, const char *name), size_t *n);

#endif
