/*
 * workspace.h - one chapter's build directory and the binaries each gate runs
 *
 * The learner's .c files are copied alone into <build>/<id>/src/; headers
 * come from the workbook's chapter directory through -I, so a header placed
 * next to a submitted file changes nothing. The harness's own sources are
 * compiled once per flavour into a cache (<cache>/<stamp>/<flavour>/, the
 * stamp naming the state of every trusted input), and linked with each
 * learner's file. The simulated world is linked as
 * object code, not as an archive: a learner's definition of one of its
 * symbols is a "multiple definition" link error, never a silent override.
 *
 * Layout of <build>/<id>/, which belongs to the grader: src/ (the learner's
 * copies), bin/ (every binary a gate runs: moved there from out/ after the
 * build, owned by the grader, read-only to the sandbox user, checked before
 * each run), out/ (the compiler's output, the sandbox user's while it
 * builds) and scratch/ (the working directory of every run, the sandbox
 * user's: the only place learner code may write). Verdicts never come
 * from files: see harness/lib/channel.h.
 *
 * Files: workspace.c (opening, the sandbox and its uids, sealing),
 * build.c (the compiler command, flavours, the object cache), display.c
 * (the learner's paths); files.h has the bounded readers underneath.
 *
 * Ownership: workspace_open() allocates; workspace_close() frees.
 * Not thread-safe.
 */
#ifndef GRADER_WORKSPACE_H
#define GRADER_WORKSPACE_H

#include <stdbool.h>
#include <stddef.h>

#include "chapter.h"
#include "files.h"
#include "job.h"
#include "proc.h"

/* The binaries a grading builds, in the order they are built. */
enum flavor {
	FLAVOR_SUITE,		/* Criterion suite, -O1 -g */
	FLAVOR_TSAN,		/* race driver, -fsanitize=thread */
	FLAVOR_HELGRIND,	/* race driver, -O0 -g, for Valgrind */
	FLAVOR_BENCH,		/* benchmark, -O2 */
	FLAVOR_TSAN_BENCH,	/* benchmark, -fsanitize=thread: races at scale */
	FLAVOR_LEAKS,		/* race driver, -fsanitize=leak */
	FLAVOR_COLLIDER,	/* race driver, full speed: lib/collider.h */
	FLAVOR_COUNT
};

/* One row per flavour: its binary's file name and what it is, for messages. */
struct flavor_info {
	const char *binary;	/* "suite", "tsan_driver", ... */
	const char *what;	/* "the Criterion suite", ... */
};

extern const struct flavor_info flavor_table[FLAVOR_COUNT];

struct workspace {
	const char *root;		/* the workbook */
	const char *cache_root;		/* the harness's compiled objects */
	const struct chapter *chapter;
	char *dir;			/* <build>/<id> */
	int lock_fd;			/* <build>/<id>.lock, held while open; -1 if none */
	char *src_dir;			/* <dir>/src: the learner's copies */
	char *bin_dir;			/* <dir>/bin: the grader's binaries */
	char *out_dir;			/* <dir>/out: where the compiler writes */
	char *scratch_dir;		/* <dir>/scratch: the runs' working directory */
	char *display_dir;		/* how to name the learner's files */
	char *binaries[FLAVOR_COUNT];
	struct binary_stamp {
		unsigned long long dev, ino, size;
		long long mtime_ns;
		bool built;
	} stamps[FLAVOR_COUNT];		/* what each binary was when built */
	struct sandbox sandbox;		/* for every run of learner-built code */
	struct sandbox build_sandbox;	/* the same, but hidden tests visible */
	const char *hidden[8];		/* what the sandbox hides */
	const char *build_hidden[8];	/* what the build sandbox hides */
	char *owned_paths[6];		/* strings behind hidden[] */
	char *hidden_tests;		/* <root>/harness/hidden/<id>.c, or NULL */
	char seed_env[40];		/* "TC_SEED=N" for the scenario gates, or
					   "TC_SEED=": no perturbation (perturb.h) */
	/* What earlier gates found: written by grade.c before later gates run. */
	bool correctness_passed;	/* the tsan gate judges the benchmark's work */
	bool leaks_found;		/* the benchmark's leak check is then moot */
};

/*
 * Empties <job->build_root>/<id>, copies the learner's files in, and
 * prepares the sandbox: when the grader runs as root the workspace belongs
 * to a uid of this grader process and job->slot, and the solutions, the
 * tests, .git and the submission directory are hidden from the learner's
 * code. w keeps pointers into job and chapter: both must outlive it. On
 * failure returns false and writes the reason (for the learner) into why;
 * workspace_close() is still needed.
 * Blocks while another grader process has the same chapter's workspace in
 * the same build folder open (an flock on <build>/<id>.lock, held until
 * workspace_close()): two gradings of one chapter in one build folder, say
 * make watch and make grade in two terminals, would otherwise remove and
 * replace each other's files.
 */
bool workspace_open(struct workspace *w, const struct grade_job *job,
		    const struct chapter *chapter, char *why, size_t size);

/* Makes path (a directory under the workspace) the sandbox user's. */
void workspace_own(const struct workspace *w, const char *path);

/*
 * Between two phases of a grading: seal gives the workspace back to the
 * grader's user (the next learner's runs cannot read it), unseal to the
 * sandbox user again.
 */
void workspace_seal(const struct workspace *w);
void workspace_unseal(const struct workspace *w);

/*
 * Compiles the learner's files alone with warnings on. Returns false when
 * they do not compile; *log gets the compiler's messages either way
 * (malloc'd, paths shown as the learner knows them).
 */
bool workspace_check_compiles(struct workspace *w, char **log);

/* Builds one flavour. Returns false on error; *log as above. */
bool workspace_build(struct workspace *w, enum flavor f, char **log);

/*
 * True when binary f is still exactly what workspace_build() made: the same
 * file (device, inode, size, time), owned by the grader, writable by
 * nobody else, not a link.
 */
bool workspace_binary_intact(const struct workspace *w, enum flavor f);

/*
 * The simulated world's defined symbols, as `nm -P --defined-only` prints
 * them ("name type ..." lines), compiled into the cache if need be.
 * malloc'd, or NULL when they could not be listed.
 */
char *workspace_world_symbols(struct workspace *w);

/* Replaces the copies' paths in text by the learner's own. malloc'd. */
char *workspace_rewrite(const struct workspace *w, const char *text);

/* True when path names one of the learner's copies (as in debug info). */
bool workspace_is_learner_file(const struct workspace *w, const char *path);

/* The learner's path as people should see it: relative to cwd if inside. */
char *display_path(const char *path);

/* Seals the workspace and frees what workspace_open() allocated. */
void workspace_close(struct workspace *w);

#endif
